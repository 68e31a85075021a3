package io.lumaharvester.harvest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.apache.hc.core5.http.io.EofSensorInputStream;

/**
 * Counts and SHA-256-hashes the bytes that pass through it, so the copy to S3 is hashed while it streams; or only
 * counts them, when the S3 client hashes them anyway (see {@link S3Uploads#sha256OfPut}). A copy that runs too long is
 * {@link #expire expired}, a failed one {@link #abort aborted}: both drop the download's connection.
 */
public class HashingInputStream extends FilterInputStream {

    private final MessageDigest digest;
    private long count;
    private volatile boolean sourceFailed;
    private volatile String expired;
    private final long expectedLength;
    private boolean ended;

    /**
     * {@code expectedLength}: the body's Content-Length, -1 if unknown; a close before it is an {@link #abort}.
     * {@code hash}: false to count the bytes only.
     */
    public HashingInputStream(InputStream in, long expectedLength, boolean hash) {
        super(in);
        this.expectedLength = expectedLength;
        try {
            this.digest = hash ? MessageDigest.getInstance("SHA-256") : null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = source(() -> in.read());
        ended |= b < 0;
        if (b >= 0) {
            if (digest != null) {
                digest.update((byte) b);
            }
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = source(() -> in.read(buffer, offset, length));
        ended |= n < 0;
        if (n > 0) {
            if (digest != null) {
                digest.update(buffer, offset, n);
            }
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

    /**
     * Closed before the end of the body (the S3 producer closes its stream when an upload fails): the connection is
     * dropped, as HttpClient would otherwise read the rest of the body to reuse it. Closed at the end, the connection
     * goes back to the pool.
     */
    @Override
    public void close() throws IOException {
        if (ended || (expectedLength >= 0 && count >= expectedLength)) {
            super.close();
        } else {
            abort();
        }
    }

    /** True when reading the source threw: the download failed, not whatever was reading this stream. */
    public boolean sourceFailed() {
        return sourceFailed;
    }

    /**
     * The copy ran past its wall-clock limit: the next read throws, and a read blocked now fails as the connection
     * drops. Called from the watchdog's thread.
     */
    public void expire(String why) {
        expired = why;
        abort();
    }

    /** Why the copy was cancelled, or null. */
    public String expired() {
        return expired;
    }

    /**
     * Drops the download's connection without reading the rest of the body. Closing an HttpClient response stream
     * reads it to its end to reuse the connection: for a 5 GB file that failed at S3's first part, 5 GB downloaded
     * for nothing.
     */
    public void abort() {
        abort(in);
    }

    /** As {@link #abort()}, for a download's body that was never wrapped. */
    public static void abort(InputStream body) {
        try {
            if (body instanceof EofSensorInputStream sensor) {
                sensor.abort();
            } else if (body instanceof HashingInputStream hashing) {
                hashing.abort();
            } else if (body != null) {
                // not HttpClient's stream (a gzip wrapper, a spool file): closing is all there is
                body.close();
            }
        } catch (IOException | RuntimeException ignored) {
            // the connection is being dropped; an error doing so changes nothing
        }
    }

    private int source(IoRead read) throws IOException {
        String why = expired;
        if (why != null) {
            sourceFailed = true;
            throw new IOException(why);
        }
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

    /** False when the stream only counts. */
    public boolean hashes() {
        return digest != null;
    }

    public String sha256Hex() {
        if (digest == null) {
            throw new IllegalStateException("this stream counts its bytes but does not hash them");
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
