package io.lumaharvester.task;

/**
 * S3 or the local spool disk refused a media copy in a way that another try of the same request will not change
 * (a 4xx such as AccessDenied, NoSuchBucket or MetadataTooLarge; a full or read-only disk). Counted against
 * {@code luma.harvest.max-storage-rejections}; when they run out the task fails {@code storage_rejected}.
 */
public class StorageRejectedException extends Exception {

    public StorageRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
