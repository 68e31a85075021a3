package io.lumaharvester.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {

    private static PropertiesComponent properties(Map<String, String> settings) {
        PropertiesComponent properties = new DefaultCamelContext().getPropertiesComponent();
        Properties initial = new Properties();
        initial.putAll(settings);
        properties.setInitialProperties(initial);
        return properties;
    }

    @Test
    void kafkaClientSettingsFromFilesAndTheEnvironmentReachEveryClient() {
        Map<String, String> collected = KafkaClients.collect(properties(Map.of(
                "kafka.client.security.protocol", "SASL_SSL",
                "kafka.client.sasl.mechanism", "SCRAM-SHA-512",
                "kafka.brokers", "not-a-client-setting:9092",
                "luma.api.token", "unrelated")),
                Map.of("KAFKA_CLIENT_SASL_JAAS_CONFIG", "ScramLoginModule required password=\"s3cret\";",
                        "KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/ca.p12",
                        "KAFKA_BROKERS", "not-a-client-setting:9092"));

        assertThat(collected).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "ScramLoginModule required password=\"s3cret\";",
                "ssl.truststore.location", "/etc/kafka/ca.p12"));

        KafkaClients clients = new KafkaClients("broker-1:9093", collected);
        assertThat(clients.client()).containsEntry("bootstrap.servers", "broker-1:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "ScramLoginModule required password=\"s3cret\";");
        assertThat(clients.producer()).containsEntry("acks", "all").containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        assertThat(clients.describe()).isEqualTo("SASL_SSL SCRAM-SHA-512");
        assertThat(clients.toString()).doesNotContain("s3cret");
    }

    /** What bounds every record the routes write: the setting, else Kafka's own default (1 MB). */
    @Test
    void theLargestRequestIsTheMaxRequestSizeSettingElseKafkasDefault() {
        assertThat(new KafkaClients("b:9092", Map.of("max.request.size", "300000")).maxRequestSize())
                .isEqualTo(300_000);
        assertThat(new KafkaClients("b:9092", Map.of()).maxRequestSize()).isEqualTo(1_048_576);
    }

    @Test
    void settingsMayUsePlaceholdersAndEachClientGetsItsOwnCopy() {
        KafkaClients clients = new KafkaClients("b:9092", KafkaClients.collect(properties(Map.of(
                "secrets.dir", "/var/run/secrets/kafka",
                "kafka.client.ssl.keystore.location", "{{secrets.dir}}/client.p12")), Map.of()));

        assertThat(clients.client()).containsEntry("ssl.keystore.location", "/var/run/secrets/kafka/client.p12");
        clients.client().put("key.deserializer", "changed by one client");
        assertThat(clients.client()).doesNotContainKey("key.deserializer");
        assertThat(clients.describe()).isEqualTo("PLAINTEXT");
    }
}
