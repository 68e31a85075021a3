package io.lumaharvester.task;

/**
 * S3 or the spool disk could not take a media file for now; the file itself was fine. Retried without using up the
 * media's attempts.
 */
public class StorageUnavailableException extends Exception {

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
