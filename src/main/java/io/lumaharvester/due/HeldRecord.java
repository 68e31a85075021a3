package io.lumaharvester.due;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * What a {@link DueConsumer} keeps of a record it holds: its key and value as read, and the values of the headers the
 * route gets ({@code copyHeaders}), nothing else. An instance holds one per task waiting for its next poll, up to
 * hundreds of thousands: Kafka's own {@link ConsumerRecord} with its header objects (each name a String of its own)
 * and its optional leader epoch cost some 650 bytes more a record than the record's bytes (HeldTasksIT).
 *
 * @param key the record's key, or null
 * @param value the record's value, or null
 * @param copiedHeaders the copied headers' values as text, in the order of their names, each null when absent; null
 *        when none is copied or none is present
 */
record HeldRecord(byte[] key, byte[] value, String[] copiedHeaders) {

    static HeldRecord of(ConsumerRecord<byte[], byte[]> record, List<String> copiedHeaderNames) {
        String[] copied = null;
        for (int i = 0; i < copiedHeaderNames.size(); i++) {
            Header header = record.headers().lastHeader(copiedHeaderNames.get(i));
            if (header != null && header.value() != null) {
                if (copied == null) {
                    copied = new String[copiedHeaderNames.size()];
                }
                copied[i] = new String(header.value(), StandardCharsets.UTF_8);
            }
        }
        return new HeldRecord(record.key(), record.value(), copied);
    }
}
