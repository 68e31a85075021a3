package io.lumaharvester.task;

/** A media file could not be copied this time; the task goes back to its poll loop for fresh URLs. */
public class MediaUnavailableException extends Exception {

    public MediaUnavailableException(String message) {
        super(message);
    }

    public MediaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
