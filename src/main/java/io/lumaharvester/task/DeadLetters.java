package io.lumaharvester.task;

import io.lumaharvester.intake.RejectedTaskException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * The reason code of a record sent to the dead-letter topic (the header {@code luma.dlq.reason}; the error policy in
 * routes/error-policy.camel.yaml sets it with the other {@code luma.dlq.*} headers).
 */
public class DeadLetters {

    /** A ticket this version cannot read: garbage, or a newer version's that does not parse. */
    public static final String UNREADABLE_TICKET = "unreadable_ticket";

    public String reason(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception cause) {
        return cause instanceof RejectedTaskException rejected ? rejected.reason() : UNREADABLE_TICKET;
    }
}
