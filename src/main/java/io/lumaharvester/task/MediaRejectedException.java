package io.lumaharvester.task;

/** The CDN pointed somewhere the media policy does not allow (a redirect to another host); nothing is fetched. */
public class MediaRejectedException extends Exception {

    public MediaRejectedException(String message) {
        super(message);
    }
}
