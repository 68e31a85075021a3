package io.lumaharvester.dev;

import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made for one test run, and PKCS12 key and trust stores signed by it: the broker's (its
 * certificate names 127.0.0.1, so clients verify the host as they would in production) and a client's.
 */
public final class TestCertificates {

    public static final String PASSWORD = "test-store-secret";

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestCertificates(Path dir, KeyPair caKeys, X509Certificate ca) {
        this.dir = dir;
        this.caKeys = caKeys;
        this.ca = ca;
    }

    public static TestCertificates create(Path dir) throws Exception {
        Files.createDirectories(dir);
        KeyPair caKeys = keys();
        X509Certificate ca = sign("CN=luma-test-ca", caKeys, "CN=luma-test-ca", caKeys, true);
        TestCertificates certificates = new TestCertificates(dir, caKeys, ca);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        certificates.save(trust, "truststore.p12");
        return certificates;
    }

    /** Trusts the test CA and nothing else. */
    public Path trustStore() {
        return dir.resolve("truststore.p12");
    }

    /** A key store holding a key for {@code cn} and its certificate, signed by the test CA. */
    public Path keyStore(String cn) throws Exception {
        KeyPair keys = keys();
        X509Certificate certificate = sign("CN=" + cn, keys, "CN=luma-test-ca", caKeys, false);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(cn, keys.getPrivate(), PASSWORD.toCharArray(), new Certificate[] {certificate, ca});
        return save(store, cn + ".p12");
    }

    private Path save(KeyStore store, String name) throws Exception {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
        return file;
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys,
            boolean authority) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))), new X500Name(subject), subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
        if (!authority) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress()),
                    new GeneralName(GeneralName.dNSName, "localhost")}));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    }
}
