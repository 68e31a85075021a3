package io.lumaharvester.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code standard-webhooks} (standardwebhooks.com; Replicate, OpenAI): headers {@code webhook-id},
 * {@code webhook-timestamp} (Unix seconds) and {@code webhook-signature}, a space-separated list of
 * {@code v1,<base64 HMAC-SHA256>} over {@code id.timestamp.body}, keyed with the base64 bytes after {@code whsec_} of
 * the provider's secret ({@code luma.providers.<name>.callback-secret}). A timestamp more than {@link #TOLERANCE} from
 * now is refused, so a captured callback cannot be replayed later; the id is the delivery's, the same on retries.
 */
public final class StandardWebhooksVerifier implements CallbackVerifier {

    /** The scheme's own tolerance: five minutes either way. */
    static final Duration TOLERANCE = Duration.ofMinutes(5);
    private static final String PREFIX = "whsec_";

    private final byte[] key;
    private final Clock clock;

    /** {@code secret}: {@code whsec_<base64>} (prefix optional); null, empty or not base64 refuses every callback. */
    public StandardWebhooksVerifier(String secret, Clock clock) {
        this.key = key(secret);
        this.clock = clock;
    }

    private static byte[] key(String secret) {
        if (secret == null || secret.isBlank()) {
            return null;
        }
        String encoded = secret.strip().startsWith(PREFIX) ? secret.strip().substring(PREFIX.length()) : secret.strip();
        try {
            byte[] key = Base64.getDecoder().decode(encoded);
            return key.length == 0 ? null : key;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public Verification verify(CallbackRequest request) {
        if (key == null) {
            return Verification.refused("no callback secret (whsec_<base64>) for this provider");
        }
        String id = request.header("webhook-id");
        String timestamp = request.header("webhook-timestamp");
        String signatures = request.header("webhook-signature");
        if (id == null || timestamp == null || signatures == null) {
            return Verification.refused("missing webhook-id, webhook-timestamp or webhook-signature");
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return Verification.refused("webhook-timestamp is not a number");
        }
        if (Math.abs(clock.millis() / 1000 - seconds) > TOLERANCE.toSeconds()) {
            return Verification.refused("webhook-timestamp is more than 5 minutes from now");
        }
        byte[] expected = sign(id + "." + timestamp + ".", request.body());
        for (String signature : signatures.strip().split(" +")) {
            int comma = signature.indexOf(',');
            if (comma < 0 || !"v1".equals(signature.substring(0, comma))) {
                continue; // another version, which this verifier does not know
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(signature.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, given)) {
                return Verification.passed(id);
            }
        }
        return Verification.refused("no v1 signature matches");
    }

    private byte[] sign(String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
