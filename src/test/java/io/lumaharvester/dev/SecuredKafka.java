package io.lumaharvester.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A broker as enterprise clusters run it, in a child JVM: a SASL_SSL listener (SCRAM-SHA-512) and a mutual-TLS
 * listener, both with certificates from a CA made for the run; ACLs with nothing allowed by default; no topic
 * auto-creation. Its PLAINTEXT listener is the tests' own back door (a super user).
 */
public final class SecuredKafka implements AutoCloseable {

    /** A SCRAM user with the ACLs docs/kafka.md lists, Create included. */
    public static final String HARVESTER = "harvester";
    /** A SCRAM user with the same ACLs except Create. */
    public static final String READER = "reader";
    /** The client certificate's name: mutual TLS authenticates it as User:CN=harvester-tls. */
    public static final String TLS_CLIENT = "harvester-tls";

    public final ChildKafka broker;
    public final TestCertificates certificates;
    private final Path logFile;

    private SecuredKafka(ChildKafka broker, TestCertificates certificates, Path logFile) {
        this.broker = broker;
        this.certificates = certificates;
        this.logFile = logFile;
    }

    /** ACLs on topics and consumer groups whose names start with {@code prefix}. */
    public static SecuredKafka start(Path dir, String prefix) throws Exception {
        TestCertificates certificates = TestCertificates.create(dir.resolve("tls"));
        Path brokerKeys = certificates.keyStore("kafka-broker");
        String secret = TestCertificates.PASSWORD;
        // the broker logs each failed authentication at INFO: the tests count them
        Path logging = Files.writeString(Files.createDirectories(dir).resolve("broker-log4j2.properties"),
                String.join("\n", "appender.out.type=Console", "appender.out.name=out",
                        "appender.out.layout.type=PatternLayout", "appender.out.layout.pattern=%d %p %c - %m%n",
                        "rootLogger.level=WARN", "rootLogger.appenderRef.out.ref=out",
                        "logger.auth.name=org.apache.kafka.common.network.Selector", "logger.auth.level=INFO", ""));
        ChildKafka broker = ChildKafka.start(dir.resolve("broker"),
                Map.of("SASL_SSL", "SASL_SSL", "SSL", "SSL"), List.of(
                        "auto.create.topics.enable=false",
                        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                        "super.users=User:ANONYMOUS",
                        "allow.everyone.if.no.acl.found=false",
                        "sasl.enabled.mechanisms=SCRAM-SHA-512",
                        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                                + "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                        "listener.name.ssl.ssl.client.auth=required",
                        "ssl.keystore.type=PKCS12",
                        "ssl.keystore.location=" + brokerKeys.toAbsolutePath(),
                        "ssl.keystore.password=" + secret,
                        "ssl.key.password=" + secret,
                        "ssl.truststore.type=PKCS12",
                        "ssl.truststore.location=" + certificates.trustStore().toAbsolutePath(),
                        "ssl.truststore.password=" + secret),
                List.of("-Dlog4j2.configurationFile=" + logging.toAbsolutePath()));
        try (Admin admin = EmbeddedKafka.admin(broker.bootstrapServers())) {
            admin.alterUserScramCredentials(List.of(
                    new UserScramCredentialUpsertion(HARVESTER,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password(HARVESTER)),
                    new UserScramCredentialUpsertion(READER,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password(READER))))
                    .all().get();
            List<AclBinding> acls = new ArrayList<>();
            acls.addAll(harvesterAcls("User:" + HARVESTER, prefix, true));
            acls.addAll(harvesterAcls("User:CN=" + TLS_CLIENT, prefix, true));
            acls.addAll(harvesterAcls("User:" + READER, prefix, false));
            admin.createAcls(acls).all().get();
        }
        return new SecuredKafka(broker, certificates, dir.resolve("broker").resolve("broker.log"));
    }

    /** What docs/kafka.md (Permissions) tells operators to grant. */
    private static List<AclBinding> harvesterAcls(String principal, String prefix, boolean mayCreate) {
        List<AclOperation> onTopics = new ArrayList<>(List.of(AclOperation.DESCRIBE, AclOperation.READ,
                AclOperation.WRITE, AclOperation.DESCRIBE_CONFIGS));
        if (mayCreate) {
            onTopics.add(AclOperation.CREATE);
        }
        List<AclBinding> acls = new ArrayList<>();
        ResourcePattern topics = new ResourcePattern(ResourceType.TOPIC, prefix, PatternType.PREFIXED);
        ResourcePattern groups = new ResourcePattern(ResourceType.GROUP, prefix, PatternType.PREFIXED);
        onTopics.forEach(op -> acls.add(new AclBinding(topics,
                new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW))));
        acls.add(new AclBinding(groups, new AccessControlEntry(principal, "*", AclOperation.READ,
                AclPermissionType.ALLOW)));
        return acls;
    }

    public static String password(String user) {
        return user + "-scram-secret";
    }

    /** Settings for a SCRAM user over SASL_SSL, verifying the broker against the test CA. */
    public Map<String, String> scram(String user, String password) {
        Map<String, String> settings = trust("SASL_SSL");
        settings.put("kafka.client.security.protocol", "SASL_SSL");
        settings.put("kafka.client.sasl.mechanism", "SCRAM-SHA-512");
        settings.put("kafka.client.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule "
                + "required username=\"" + user + "\" password=\"" + password + "\";");
        return settings;
    }

    /** Settings for mutual TLS with a client certificate signed by the test CA. */
    public Map<String, String> mutualTls(Path keyStore, String keyStorePassword) {
        Map<String, String> settings = trust("SSL");
        settings.put("kafka.client.security.protocol", "SSL");
        settings.put("kafka.client.ssl.keystore.type", "PKCS12");
        settings.put("kafka.client.ssl.keystore.location", keyStore.toAbsolutePath().toString());
        settings.put("kafka.client.ssl.keystore.password", keyStorePassword);
        settings.put("kafka.client.ssl.key.password", keyStorePassword);
        return settings;
    }

    private Map<String, String> trust(String listener) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("kafka.brokers", broker.bootstrapServers(listener));
        settings.put("kafka.client.ssl.truststore.type", "PKCS12");
        settings.put("kafka.client.ssl.truststore.location", certificates.trustStore().toAbsolutePath().toString());
        settings.put("kafka.client.ssl.truststore.password", TestCertificates.PASSWORD);
        return settings;
    }

    /** The broker's own log, where it records each failed authentication. */
    public String log() throws IOException {
        return Files.readString(logFile);
    }

    @Override
    public void close() throws Exception {
        broker.close();
    }
}
