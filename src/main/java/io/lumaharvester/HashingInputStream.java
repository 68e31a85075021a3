package io.lumaharvester;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Counts and SHA-256-hashes the bytes that pass through it, so the copy to S3 is hashed while it streams. */
public class HashingInputStream extends FilterInputStream {

    private final MessageDigest digest;
    private long count;
    private volatile boolean sourceFailed;

    public HashingInputStream(InputStream in) {
        super(in);
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = source(() -> in.read());
        if (b >= 0) {
            digest.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = source(() -> in.read(buffer, offset, length));
        if (n > 0) {
            digest.update(buffer, offset, n);
            count += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // skipping would leave bytes out of the hash
        byte[] sink = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(sink, 0, (int) Math.min(sink.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** True when reading the source threw: the download failed, not whatever was reading this stream. */
    public boolean sourceFailed() {
        return sourceFailed;
    }

    private int source(IoRead read) throws IOException {
        try {
            return read.read();
        } catch (IOException | RuntimeException e) {
            sourceFailed = true;
            throw e;
        }
    }

    private interface IoRead {
        int read() throws IOException;
    }

    public long count() {
        return count;
    }

    public String sha256Hex() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
