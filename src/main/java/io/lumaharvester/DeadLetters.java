package io.lumaharvester;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Prepares a rejected record for the dead-letter topic: the original bytes and key stay as they were, the reason
 * and the record's origin become headers, and no inbound header travels on.
 */
public class DeadLetters {

    public static final String REASON = "luma.dlq.reason";
    public static final String DETAIL = "luma.dlq.detail";
    public static final String SOURCE_TOPIC = "luma.dlq.source-topic";
    public static final String SOURCE_PARTITION = "luma.dlq.source-partition";
    public static final String SOURCE_OFFSET = "luma.dlq.source-offset";

    public void describe(Exchange exchange) {
        Message message = exchange.getMessage();
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        // a ticket this version cannot read (garbage, or a newer version's that does not parse)
        String reason = cause instanceof RejectedTaskException rejected ? rejected.reason() : "unreadable_ticket";
        String detail = cause == null ? "" : cause.getMessage();
        Object key = message.getHeader(KafkaConstants.KEY);
        String topic = message.getHeader(KafkaConstants.TOPIC, String.class);
        String partition = message.getHeader(KafkaConstants.PARTITION, String.class);
        String offset = message.getHeader(KafkaConstants.OFFSET, String.class);
        message.removeHeaders("*");
        if (key != null) {
            message.setHeader(KafkaConstants.KEY, key);
        }
        message.setHeader(REASON, reason);
        message.setHeader(DETAIL, detail);
        message.setHeader(SOURCE_TOPIC, topic);
        message.setHeader(SOURCE_PARTITION, partition);
        message.setHeader(SOURCE_OFFSET, offset);
    }
}
