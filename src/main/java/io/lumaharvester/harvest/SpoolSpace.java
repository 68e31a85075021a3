package io.lumaharvester.harvest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local disk that bodies of unknown length are spooled to ({@code luma.harvest.spool-dir}), shared by every copy in
 * flight and capped at {@code luma.harvest.max-spool-bytes}: under Kubernetes the temp directory is an emptyDir with a
 * size limit, and a pod that writes past it is evicted with all its copies. A failure says whose it is: the body is
 * larger than the whole cap (it never fits), the cap is held by other copies now (it may fit later), or the disk
 * itself would not take the file ({@link DiskException}).
 * <p>
 * A spool file is named after the process that wrote it ({@code luma-media-<pid>-<n>.part}). A process that was
 * killed leaves its files behind; the next one removes them when it starts ({@link #sweep}).
 */
public final class SpoolSpace {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolSpace.class);
    private static final ProcessHandle PROCESS = ProcessHandle.current();
    private static final String PREFIX = "luma-media-";
    private static final String SUFFIX = ".part";
    /** The name of a spool file, with the writer's pid (older versions wrote none). */
    private static final Pattern SPOOL_FILE = Pattern.compile("luma-media-(?:(\\d{1,18})-)?\\d+\\.part");

    /** A body larger than the whole cap: it does not fit however empty the spool is. */
    public static final class LargerThanSpoolException extends IOException {
        LargerThanSpoolException(String message) {
            super(message);
        }
    }

    /** The cap is held by other copies now: the body may fit once they are done. */
    public static final class SpoolFullException extends IOException {
        SpoolFullException(String message) {
            super(message);
        }
    }

    /**
     * The spool directory would not take the file (full, read-only, missing, not a directory, no permission): the
     * disk's own error, with the directory and the setting that names it.
     */
    public static final class DiskException extends IOException {
        public DiskException(Path directory, IOException cause) {
            super("the spool directory " + directory + " (luma.harvest.spool-dir) cannot be written: " + reason(cause),
                    cause);
        }

        /** The operating system's words ({@code Read-only file system}), which Java leaves out of some exceptions. */
        private static String reason(IOException e) {
            if (e instanceof AccessDeniedException && e.getMessage() != null) {
                return "Permission denied (" + e.getMessage() + ")";
            }
            if (e instanceof NoSuchFileException && e.getMessage() != null) {
                return "No such file or directory (" + e.getMessage() + ")";
            }
            if (e instanceof FileSystemException fs && fs.getReason() != null) {
                return fs.getReason() + " (" + fs.getFile() + ")";
            }
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** One spooled body: its file and the bytes held for it, handed back (and the file deleted) by {@link #close}. */
    public final class Spool implements AutoCloseable {
        private final Path file;
        private final AtomicLong held = new AtomicLong();

        private Spool(Path file) {
            this.file = file;
        }

        public Path file() {
            return file;
        }

        /**
         * Writes {@code in} to the file, holding each chunk against the cap before it is written. A failed read is the
         * source's and passes unchanged; a failed write is a {@link DiskException}. The bytes held stay held until
         * {@link #close}, whatever the file ended up holding (a full disk can take part of a chunk).
         */
        public long fill(InputStream in) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            long written = 0;
            OutputStream out = open();
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    hold(written, n);
                    held.addAndGet(n);
                    try {
                        out.write(buffer, 0, n);
                    } catch (IOException e) {
                        throw new DiskException(directory, e);
                    }
                    written += n;
                }
            } catch (IOException | RuntimeException e) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the first failure is the one that says what happened
                }
                throw e;
            }
            try {
                out.close();
            } catch (IOException e) {
                throw new DiskException(directory, e);
            }
            return written;
        }

        private OutputStream open() throws DiskException {
            try {
                return Files.newOutputStream(file);
            } catch (IOException e) {
                throw new DiskException(directory, e);
            }
        }

        /** Hands the space back and deletes the file; once. */
        @Override
        public void close() {
            used.addAndGet(-held.getAndSet(0));
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a disk that refused the file may refuse its removal too; nothing is held for it any more
            }
        }
    }

    private final Path directory;
    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    /** Also removes the spool files that ended processes left in {@code directory} ({@link #sweep}). */
    public SpoolSpace(Path directory, long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("luma.harvest.max-spool-bytes must be above 0, not " + capacity);
        }
        this.directory = directory;
        this.capacity = capacity;
        sweep(PROCESS.info().startInstant().orElse(Instant.EPOCH));
    }

    /**
     * Removes the spool files last written before {@code startedAt} (this process's start), unless another process
     * that is still running wrote them (two instances may share a directory). Their copies ended with the process that
     * wrote them (a kill, an out-of-memory error), and nothing else deletes them: under Kubernetes an emptyDir
     * outlives a container's restart, and a spool that fills up evicts the pod. Only the spool's own files, by their
     * name; returns how many were removed. A directory that cannot be listed removes nothing: writing to it fails
     * each copy with a {@link DiskException}, which says why.
     */
    int sweep(Instant startedAt) {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                try {
                    if (left(file, startedAt) && Files.deleteIfExists(file)) {
                        removed++;
                    }
                } catch (NoSuchFileException gone) {
                    // removed meanwhile
                } catch (IOException e) {
                    LOG.warn("could not remove the spool file {} left by an ended process: {}", file, e.toString());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("could not look for spool files left by ended processes in {}: {}", directory, e.toString());
        }
        if (removed > 0) {
            LOG.info("removed {} spool files left in {} by processes that ended", removed, directory);
        }
        return removed;
    }

    /** A spool file of no running process but this one, last written before {@code startedAt}. */
    private static boolean left(Path file, Instant startedAt) throws IOException {
        Matcher name = SPOOL_FILE.matcher(file.getFileName().toString());
        if (!name.matches()) {
            return false;
        }
        if (name.group(1) != null) {
            long pid = Long.parseLong(name.group(1));
            if (pid != PROCESS.pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return false;
            }
        }
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return attributes.isRegularFile() && attributes.lastModifiedTime().toInstant().isBefore(startedAt);
    }

    /** {@code luma.harvest.spool-dir}; empty means the JVM's temp directory ({@code java.io.tmpdir}). */
    public static Path directory(String setting) {
        return Path.of(setting == null || setting.isBlank() ? System.getProperty("java.io.tmpdir") : setting.strip());
    }

    public Path directory() {
        return directory;
    }

    /** A new empty file in the spool directory, holding nothing yet. */
    public Spool open() throws DiskException {
        try {
            return new Spool(Files.createTempFile(directory, PREFIX + PROCESS.pid() + "-", SUFFIX));
        } catch (IOException e) {
            throw new DiskException(directory, e);
        }
    }

    /** Holds {@code n} more bytes for a file that has {@code written}, or says why not. */
    private void hold(long written, int n) throws IOException {
        if (written + n > capacity) {
            throw new LargerThanSpoolException("is larger than the whole spool: more than " + capacity
                    + " bytes (luma.harvest.max-spool-bytes=" + capacity + ")");
        }
        long now = used.addAndGet(n);
        if (now > capacity) {
            used.addAndGet(-n);
            throw new SpoolFullException("the spool is full for now: " + (written + n) + " bytes of this file and "
                    + (now - n - written) + " held by other copies would pass luma.harvest.max-spool-bytes=" + capacity);
        }
    }

    public long used() {
        return used.get();
    }
}
