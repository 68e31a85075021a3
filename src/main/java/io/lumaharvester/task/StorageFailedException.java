package io.lumaharvester.task;

/** A media copy failed on the S3 side; the file itself was fine. Retried without using up the media's attempts. */
public class StorageFailedException extends Exception {

    public StorageFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
