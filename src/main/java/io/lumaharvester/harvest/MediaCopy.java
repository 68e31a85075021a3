package io.lumaharvester.harvest;

import io.lumaharvester.task.StoredMedia;
import io.lumaharvester.task.MediaRejectedException;
import io.lumaharvester.task.MediaUnavailableException;
import io.lumaharvester.task.StorageUnavailableException;
import io.lumaharvester.task.StorageRejectedException;
import io.lumaharvester.task.TaskTicket;
import io.lumaharvester.task.TaskExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Message;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.util.ObjectHelper;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The two ends of one media copy, CDN to S3. {@link #download} prepares the GET, {@link #upload} checks the answer
 * and wraps its body so that the bytes are counted while the S3 producer streams them, {@link #stored} checks the
 * count and describes the object. A body that goes up in one PUT with a SHA-256 checksum is hashed by the S3 client as
 * it sends it, and the copy takes that value ({@link S3Uploads#sha256OfPut}); any other body is hashed on the way. A
 * body of unknown length is spooled to a temporary file first: the S3 producer would otherwise copy it into memory. A
 * copy has a wall-clock limit (luma.harvest.max-copy-ms) from the request's start: the read time-out only catches a
 * CDN that goes silent, not one that trickles. Until the answer's head is read {@link CopyLimit} holds it; from then on
 * a watchdog here, for what is left of it. Past the limit the download's connection is dropped and the copy fails as a
 * media attempt. A failed copy drops the connection too, instead of reading the rest of the body.
 */
public class MediaCopy {

    private static final String HASHING = "lumaHashing";
    private static final String STARTED = "lumaCopyStarted";
    private static final String WATCHDOG = "lumaCopyWatchdog";

    private final MediaPolicy policy;
    private final String bucket;
    private final S3Client s3;
    private final SpoolSpace spoolSpace;
    private final boolean includePrompt;
    private final long maxCopyMs;
    private final ScheduledExecutorService watchdog;
    private final long sentSha256UpTo;

    /**
     * {@code sentSha256UpTo}: the largest body the S3 client hashes for its checksum (s3.multipart.threshold-bytes:
     * one PUT, whose checksum is the body's SHA-256), -1 if it sends none (s3.checksum-algorithm=NONE).
     */
    public MediaCopy(MediaPolicy policy, String bucket, S3Client s3, SpoolSpace spoolSpace,
            boolean includePrompt, long maxCopyMs, ScheduledExecutorService watchdog, long sentSha256UpTo) {
        this.sentSha256UpTo = sentSha256UpTo;
        this.maxCopyMs = maxCopyMs;
        this.watchdog = watchdog;
        this.policy = policy;
        this.bucket = bucket;
        this.s3 = s3;
        this.spoolSpace = spoolSpace;
        this.includePrompt = includePrompt;
    }

    /** Disk held by bodies of unknown length now (a metric; zero once no such copy is in flight). */
    public SpoolSpace spoolSpace() {
        return spoolSpace;
    }

    public void download(Exchange exchange) {
        MediaFile file = exchange.getMessage().getBody(MediaFile.class);
        exchange.setProperty(TaskExchange.MEDIA, file);
        // the limit covers the whole copy: CopyLimit until the answer's head is read, then the watchdog (see watch)
        exchange.setProperty(STARTED, System.nanoTime());
        // the GET has no body; its URL is the file's own (route copy-media, step media-url)
        exchange.getMessage().setBody(null);
    }

    public void upload(Exchange exchange) throws MediaUnavailableException, MediaRejectedException,
            StorageRejectedException, StorageUnavailableException, IOException, InvalidPayloadException {
        MediaFile file = exchange.getProperty(TaskExchange.MEDIA, MediaFile.class);
        Message message = exchange.getMessage();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String location = message.getHeader("Location", String.class);
        if (status != null && status >= 300 && status < 400 && location != null && !policy.allows(location)) {
            throw new MediaRejectedException("the " + file.keyRole() + " media redirects to a location that is not "
                    + "allowed: " + policy.refusal(location));
        }
        if (status == null || status != 200) {
            // an error page can be large too: not read to its end
            HashingInputStream.abort(message.getBody(InputStream.class));
            throw new MediaUnavailableException(
                    "HTTP " + status + " for the " + file.keyRole() + " media from " + hostOf(file.sourceUrl()));
        }
        String contentType = MediaNaming.storedContentType(file.keyRole(),
                message.getHeader(Exchange.CONTENT_TYPE, String.class));
        Long length = message.getHeader(Exchange.CONTENT_LENGTH, Long.class);
        TaskTicket ticket = exchange.getProperty(TaskExchange.TICKET, TaskTicket.class);
        boolean sentWithSha256 = length != null && length >= 0 && length <= sentSha256UpTo;
        HashingInputStream hashing = new HashingInputStream(message.getMandatoryBody(InputStream.class),
                length == null ? -1 : length, !sentWithSha256);
        exchange.setProperty(HASHING, hashing);
        watch(exchange, file, hashing);
        if (length == null || length < 0) {
            SpoolSpace.Spool spool = spool(exchange);
            try (hashing) {
                spool.fill(hashing);
            } catch (SpoolSpace.LargerThanSpoolException e) {
                // never fits, whichever URL the next poll brings: a refusal, counted like S3's
                throw new StorageRejectedException("the local disk refused the " + file.keyRole() + " media: it came "
                        + "without a length and " + e.getMessage(), e);
            } catch (SpoolSpace.SpoolFullException e) {
                // other copies hold the cap now; they end, and this one fits then
                throw new StorageUnavailableException("the local disk could not take the " + file.keyRole()
                        + " media: " + e.getMessage(), e);
            }
            length = hashing.count();
            message.setBody(spool.file().toFile());
        } else {
            message.setBody(hashing);
        }
        message.setHeader(AWS2S3Constants.CONTENT_TYPE, contentType);
        message.setHeader(AWS2S3Constants.CONTENT_LENGTH, length);
        message.setHeader(AWS2S3Constants.METADATA, S3Metadata.of(ticket, file, includePrompt));
    }

    /**
     * A spool file for this copy's body, handed back when the exchange is done (stored or not). A disk that will not
     * take it throws a {@link SpoolSpace.DiskException}, which {@link #classified} names.
     */
    private SpoolSpace.Spool spool(Exchange exchange) throws SpoolSpace.DiskException {
        SpoolSpace.Spool spool = spoolSpace.open();
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                spool.close();
            }
        });
        return spool;
    }

    /**
     * Before a multipart upload of a key: an earlier attempt at it that S3 failed mid-way (the abort could not reach S3
     * either) or that a kill cut off is still open, holding its parts. The key is the task's own, so those are aborted.
     */
    public void abortEarlierUploads(@Header(AWS2S3Constants.KEY) String key) {
        s3.listMultipartUploads(b -> b.bucket(bucket).prefix(key)).uploads().stream()
                .filter(upload -> upload.key().equals(key))
                .forEach(upload -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(upload.uploadId())));
    }

    /**
     * Names a failed copy for the task's recovery (the split's result for this file, see {@link CopyFailure}): on the
     * storage side, when the download had answered and its stream
     * was intact when the upload failed, either refused for good ({@link StorageRejectedException}: a 4xx such as
     * AccessDenied, a full or read-only spool disk; see {@link StorageErrors}) or for now
     * ({@link StorageUnavailableException}: connection refused, 5xx, throttling, or the SDK unable to replay a stream it had
     * started to send); or on the CDN's ({@link MediaUnavailableException}). A refused redirect stays a
     * {@link MediaRejectedException}.
     */
    public CopyFailure copyFailure(Exchange exchange) {
        MediaFile file = exchange.getProperty(TaskExchange.MEDIA, MediaFile.class);
        unwatch(exchange);
        HashingInputStream hashing = exchange.getProperty(HASHING, HashingInputStream.class);
        // camel-http would drain the rest of the body when the exchange completes, to reuse the connection
        if (hashing != null) {
            hashing.abort();
        } else if (exchange.getMessage().getBody() instanceof InputStream body) {
            HashingInputStream.abort(body);
        }
        return new CopyFailure(file, classified(exchange, file));
    }

    /** Expires the copy's stream when luma.harvest.max-copy-ms has passed since the download started. */
    private void watch(Exchange exchange, MediaFile file, HashingInputStream hashing) {
        Long started = exchange.getProperty(STARTED, Long.class);
        long elapsedMs = started == null ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String why = pastLimit(file);
        Future<?> task = watchdog.schedule(() -> hashing.expire(why), Math.max(0, maxCopyMs - elapsedMs),
                TimeUnit.MILLISECONDS);
        // the handle is kept as a Runnable, not the Future: a tracer that prints exchange properties (KameletMain's
        // backlog tracer) turns a Future into text by waiting for it, which held every copy until the watchdog fired
        Runnable cancel = () -> task.cancel(false);
        exchange.setProperty(WATCHDOG, cancel);
        // also when the copy ends some other way; a watchdog left queued would hold the stream
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                task.cancel(false);
            }
        });
    }

    /** Why a copy was cancelled at luma.harvest.max-copy-ms, before or after its answer's head. */
    private String pastLimit(MediaFile file) {
        return "the " + (file == null ? "" : file.keyRole() + " ") + "media took longer than " + maxCopyMs
                + " ms (luma.harvest.max-copy-ms) to copy and was cancelled";
    }

    private static void unwatch(Exchange exchange) {
        Runnable cancel = exchange.getProperty(WATCHDOG, Runnable.class);
        if (cancel != null) {
            cancel.run();
        }
    }

    private Exception classified(Exchange exchange, MediaFile file) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String role = file == null ? "" : file.keyRole() + " ";
        if (cause instanceof MediaRejectedException || cause instanceof MediaUnavailableException
                || cause instanceof StorageRejectedException || cause instanceof StorageUnavailableException) {
            return cause;
        }
        if (ObjectHelper.getException(CopyLimit.ExceededException.class, cause) != null) {
            return new MediaUnavailableException(pastLimit(file), cause);
        }
        HashingInputStream watched = exchange.getProperty(HASHING, HashingInputStream.class);
        if (watched != null && watched.expired() != null && watched.sourceFailed()) {
            // whatever the reader made of the dropped connection (the S3 SDK wraps it), the CDN was too slow; a
            // watchdog that fired after S3 had failed the copy changes nothing (no read failed)
            return new MediaUnavailableException(watched.expired(), cause);
        }
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof MediaAddresses.PrivateAddressException refused) {
                return new MediaRejectedException("the " + role + "media is refused: " + refused.getMessage());
            }
        }
        HashingInputStream hashing = exchange.getProperty(HASHING, HashingInputStream.class);
        String why = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        if (hashing != null && !hashing.sourceFailed()) {
            StorageErrors.Refusal refusal = StorageErrors.refusal(cause);
            if (refusal != null) {
                return new StorageRejectedException(refusal.refuser() + " refused the " + role + "media: "
                        + refusal.why(), cause);
            }
            return new StorageUnavailableException((spoolFailed(cause) ? "the local disk failed spooling the "
                    : "S3 failed storing the ") + role + "media (" + why + ")", cause);
        }
        return new MediaUnavailableException("the " + role + "media could not be downloaded (" + why + ")", cause);
    }

    private static boolean spoolFailed(Throwable error) {
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SpoolSpace.DiskException) {
                return true;
            }
        }
        return false;
    }

    public StoredMedia storedMedia(Exchange exchange) throws MediaUnavailableException {
        unwatch(exchange);
        MediaFile file = exchange.getProperty(TaskExchange.MEDIA, MediaFile.class);
        HashingInputStream hashing = exchange.getProperty(HASHING, HashingInputStream.class);
        Message message = exchange.getMessage();
        long expected = message.getHeader(AWS2S3Constants.CONTENT_LENGTH, Long.class);
        if (hashing.count() != expected) {
            throw new MediaUnavailableException("the " + file.keyRole() + " media ended after " + hashing.count()
                    + " of " + expected + " bytes");
        }
        String key = message.getHeader(AWS2S3Constants.KEY, String.class);
        String sha256 = hashing.hashes() ? hashing.sha256Hex() : S3Uploads.sha256OfPut(key)
                .orElseThrow(() -> new IllegalStateException("the S3 client sent no SHA-256 checksum for " + key));
        return new StoredMedia(file.roles(), file.sourceUrl(), bucket, key, "s3://" + bucket + "/" + key,
                message.getHeader(AWS2S3Constants.CONTENT_TYPE, String.class), expected, sha256,
                file.width(), file.height(), file.duration());
    }

    private static String hostOf(String url) {
        try {
            return URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return "an unreadable URL";
        }
    }
}
