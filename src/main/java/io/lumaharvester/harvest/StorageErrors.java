package io.lumaharvester.harvest;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Locale;
import java.util.Set;

import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * Sorts a failed upload into temporary (S3 5xx, throttling, connection errors, time-outs: back off and try again,
 * however long it takes) and permanent (S3 refused the request itself, or the spool disk is full, read-only, missing
 * or not writable: trying again only helps if someone changes something, so the tries are counted). A plain function
 * of the error; the error may be wrapped by Camel, so the whole chain of causes is read.
 */
public final class StorageErrors {

    /** Who refused and why, for the failure detail: {@code S3} / {@code NoSuchBucket (404)}. */
    public record Refusal(String refuser, String why) {
    }

    /**
     * S3 error codes that come with a 3xx or 4xx status and still pass: throttling, a request or a body that this try
     * got wrong (a slow socket, a clock that drifted, bytes damaged on the way), credentials that are being refreshed,
     * a multipart upload another try of the same key aborted.
     */
    private static final Set<String> TEMPORARY_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "TooManyRequests", "RequestTimeout", "RequestTimeTooSkewed", "ExpiredToken", "OperationAborted",
            "NoSuchUpload", "BadDigest", "IncompleteBody", "XAmzContentSHA256Mismatch", "InternalError",
            "ServiceUnavailable", "KMS.ThrottlingException");

    /** Messages of a local disk that will not take the file until someone frees or remounts it. */
    private static final Set<String> FULL_OR_READ_ONLY = Set.of("no space left on device", "disk quota exceeded",
            "read-only file system");

    /** The spool directory itself is wrong (a path under a file, a directory removed): a setting or mount to fix. */
    private static final Set<String> NO_SPOOL_DIRECTORY = Set.of("not a directory", "no such file or directory");

    private StorageErrors() {
    }

    /** The permanent refusal in {@code error}'s chain, or null when the error is temporary (or not the store's). */
    public static Refusal refusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AwsServiceException aws) {
                return permanent(aws) ? new Refusal("S3", code(aws) + " (" + aws.statusCode() + ")") : null;
            }
            if (t instanceof SpoolSpace.DiskException spool) {
                // the message names the directory, the setting and the disk's own error
                return diskRefused(spool.getCause()) || spoolDirectoryMissing(spool.getCause())
                        ? new Refusal("the local disk", spool.getMessage()) : null;
            }
            if (diskRefused(t)) {
                return new Refusal("the local disk", t.getClass().getSimpleName() + ": " + t.getMessage());
            }
        }
        return null;
    }

    static boolean permanent(AwsServiceException aws) {
        int status = aws.statusCode();
        if (status == 408 || status == 429 || status < 300 || status >= 500) {
            return false;
        }
        String code = code(aws);
        return !TEMPORARY_CODES.contains(code) && !code.toLowerCase(Locale.ROOT).contains("throttl");
    }

    private static String code(AwsServiceException aws) {
        String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
        // a HEAD answer has no body to name its code
        return code == null || code.isBlank() ? aws.getClass().getSimpleName() : code;
    }

    private static boolean spoolDirectoryMissing(Throwable t) {
        if (t instanceof java.nio.file.NoSuchFileException) {
            return true;
        }
        String lower = t instanceof FileSystemException fs && fs.getReason() != null
                ? fs.getReason().toLowerCase(Locale.ROOT) : "";
        return NO_SPOOL_DIRECTORY.stream().anyMatch(lower::contains);
    }

    private static boolean diskRefused(Throwable t) {
        if (t instanceof ReadOnlyFileSystemException || t instanceof AccessDeniedException) {
            return true;
        }
        String message = t instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason()
                : t instanceof java.io.IOException ? t.getMessage() : null;
        if (message == null) {
            return false;
        }
        String lower = message.toLowerCase(Locale.ROOT);
        return FULL_OR_READ_ONLY.stream().anyMatch(lower::contains);
    }
}
