package io.lumaharvester.harvest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local disk that bodies of unknown length are spooled to, shared by every copy in flight and capped at
 * {@code luma.media.max-spool-bytes}: under Kubernetes the temp directory is an emptyDir with a size limit, and a
 * pod that writes past it is evicted with all its copies.
 */
public final class SpoolSpace {

    /** A spool that would pass the cap. */
    public static final class SpoolFullException extends IOException {
        SpoolFullException(String message) {
            super(message);
        }
    }

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    public SpoolSpace(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("luma.media.max-spool-bytes must be above 0, not " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Writes {@code in} to {@code file}, holding each chunk against the cap before it is written; what is held stays
     * held until {@link #release} with the file's size. On any failure the chunk not written is handed back, so the
     * file's size is always what is held for it.
     */
    public long fill(InputStream in, Path file) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (used.addAndGet(n) > capacity) {
                    used.addAndGet(-n);
                    throw new SpoolFullException("the spool is full: " + (written + n) + " bytes of this file and "
                            + (used.get() - written) + " of others would pass luma.media.max-spool-bytes=" + capacity);
                }
                try {
                    out.write(buffer, 0, n);
                } catch (IOException e) {
                    used.addAndGet(-n);
                    throw e;
                }
                written += n;
            }
        }
        return written;
    }

    /** Hands back the space of a spool file, before it is deleted. */
    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    public long used() {
        return used.get();
    }
}
