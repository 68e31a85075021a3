package io.lumaharvester.callback;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code fal-ed25519} (docs.fal.ai, Webhooks, "Verifying your webhook"): headers {@code X-Fal-Webhook-Request-Id},
 * {@code X-Fal-Webhook-User-Id}, {@code X-Fal-Webhook-Timestamp} (Unix seconds) and {@code X-Fal-Webhook-Signature},
 * the hex Ed25519 signature of {@code request-id \n user-id \n timestamp \n hex(sha256(body))}, by one of the keys of
 * fal's JSON Web Key Set ({@link JwksKeys}). A timestamp more than five minutes from now is refused.
 */
public final class FalEd25519Verifier implements CallbackVerifier {

    static final Duration TOLERANCE = Duration.ofMinutes(5);

    private final JwksKeys keys;
    private final Clock clock;

    public FalEd25519Verifier(JwksKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public Verification verify(CallbackRequest request) {
        String requestId = request.header("X-Fal-Webhook-Request-Id");
        String userId = request.header("X-Fal-Webhook-User-Id");
        String timestamp = request.header("X-Fal-Webhook-Timestamp");
        String signature = request.header("X-Fal-Webhook-Signature");
        if (requestId == null || userId == null || timestamp == null || signature == null) {
            return Verification.refused("missing X-Fal-Webhook-Request-Id, -User-Id, -Timestamp or -Signature");
        }
        long seconds;
        byte[] given;
        try {
            seconds = Long.parseLong(timestamp.strip());
            given = HexFormat.of().parseHex(signature.strip());
        } catch (IllegalArgumentException e) {
            return Verification.refused("X-Fal-Webhook-Timestamp or -Signature cannot be read");
        }
        if (Math.abs(clock.millis() / 1000 - seconds) > TOLERANCE.toSeconds()) {
            return Verification.refused("X-Fal-Webhook-Timestamp is more than 5 minutes from now");
        }
        byte[] message = (requestId + "\n" + userId + "\n" + timestamp + "\n" + sha256Hex(request.body()))
                .getBytes(StandardCharsets.UTF_8);
        try {
            if (signedByOneOf(keys.keys(), message, given)) {
                return Verification.passed(null);
            }
            // a key rotated in since the set was fetched
            List<PublicKey> fresh = keys.refetched();
            return fresh != null && signedByOneOf(fresh, message, given) ? Verification.passed(null)
                    : Verification.refused("no key of the key set verifies the signature");
        } catch (IOException e) {
            return Verification.refused("the key set could not be fetched: " + e.getMessage());
        }
    }

    private static boolean signedByOneOf(List<PublicKey> keys, byte[] message, byte[] signature) {
        for (PublicKey key : keys) {
            try {
                Signature verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(message);
                if (verifier.verify(signature)) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // a signature of the wrong length, say: not this key's
            }
        }
        return false;
    }

    static String sha256Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
