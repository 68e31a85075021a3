package io.lumaharvester.task;

/** A record on the task topic that is not a task. It goes to the dead-letter topic with {@link #reason()}. */
public class RejectedTaskException extends Exception {

    private final String reason;

    public RejectedTaskException(String reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    /** A short, stable code (for example {@code invalid_task_id}) for the {@code luma.dlq.reason} header. */
    public String reason() {
        return reason;
    }
}
