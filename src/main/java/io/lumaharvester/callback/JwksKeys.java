package io.lumaharvester.callback;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Ed25519 public keys of a JSON Web Key Set (RFC 8037: {@code kty} OKP, {@code crv} Ed25519, {@code x} the raw
 * key, base64url), fetched from its URL and kept for {@link #MAX_AGE}. A signature no kept key verifies may be from a
 * key rotated in since: the set is fetched again then, at most once per {@link #REFETCH_AFTER}, so forged callbacks
 * cannot make the harvester hammer the URL.
 */
public class JwksKeys {

    static final Duration MAX_AGE = Duration.ofHours(1);
    static final Duration REFETCH_AFTER = Duration.ofMinutes(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** DER of an Ed25519 SubjectPublicKeyInfo up to the 32 key bytes (RFC 8410): the JDK reads keys in this form. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final Clock clock;
    private final HttpClient client;
    private List<PublicKey> keys = List.of();
    private long fetchedAt = Long.MIN_VALUE;

    public JwksKeys(URI url, Clock clock) {
        this.url = url;
        this.clock = clock;
        this.client = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The keys kept, fetched first if there are none or they are older than {@link #MAX_AGE}. */
    public synchronized List<PublicKey> keys() throws IOException {
        if (keys.isEmpty() || clock.millis() - fetchedAt > MAX_AGE.toMillis()) {
            fetch();
        }
        return keys;
    }

    /** The keys fetched again, unless they were fetched less than {@link #REFETCH_AFTER} ago: then null. */
    public synchronized List<PublicKey> refetched() throws IOException {
        if (clock.millis() - fetchedAt < REFETCH_AFTER.toMillis()) {
            return null;
        }
        fetch();
        return keys;
    }

    private void fetch() throws IOException {
        fetchedAt = clock.millis();
        HttpResponse<byte[]> answer;
        try {
            answer = client.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + url, e);
        }
        if (answer.statusCode() != 200) {
            throw new IOException(url + " answered " + answer.statusCode());
        }
        keys = parse(JSON.readTree(answer.body()));
    }

    /** The Ed25519 keys of a key set; other keys are skipped. */
    static List<PublicKey> parse(JsonNode set) throws IOException {
        List<PublicKey> parsed = new ArrayList<>();
        for (JsonNode key : set.path("keys")) {
            if (!"OKP".equals(key.path("kty").asText()) || !"Ed25519".equals(key.path("crv").asText())
                    || !key.path("x").isTextual()) {
                continue;
            }
            try {
                byte[] raw = Base64.getUrlDecoder().decode(key.path("x").asText());
                if (raw.length != 32) {
                    continue;
                }
                byte[] der = new byte[X509_PREFIX.length + raw.length];
                System.arraycopy(X509_PREFIX, 0, der, 0, X509_PREFIX.length);
                System.arraycopy(raw, 0, der, X509_PREFIX.length, raw.length);
                parsed.add(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der)));
            } catch (IllegalArgumentException | GeneralSecurityException e) {
                // not a key: skipped
            }
        }
        if (parsed.isEmpty()) {
            throw new IOException("no Ed25519 key in the key set");
        }
        return List.copyOf(parsed);
    }
}
