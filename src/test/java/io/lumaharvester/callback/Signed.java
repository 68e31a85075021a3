package io.lumaharvester.callback;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The headers each provider signs a callback with, made the way its documentation says: for tests that post. */
public final class Signed {

    private Signed() {
    }

    /** Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256 of id.timestamp.body). */
    public static Map<String, String> standardWebhook(byte[] key, String id, long epochSeconds, byte[] body)
            throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + epochSeconds + ".").getBytes(StandardCharsets.UTF_8));
        return Map.of("webhook-id", id, "webhook-timestamp", String.valueOf(epochSeconds), "webhook-signature",
                "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body)));
    }

    /** fal: hex Ed25519 of request id, user id, timestamp and hex(sha256(body)), one per line. */
    public static Map<String, String> fal(KeyPair key, String requestId, long epochSeconds, byte[] body)
            throws Exception {
        String message = requestId + "\nuser-1\n" + epochSeconds + "\n"
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(key.getPrivate());
        signer.update(message.getBytes(StandardCharsets.UTF_8));
        return Map.of("X-Fal-Webhook-Request-Id", requestId, "X-Fal-Webhook-User-Id", "user-1",
                "X-Fal-Webhook-Timestamp", String.valueOf(epochSeconds),
                "X-Fal-Webhook-Signature", HexFormat.of().formatHex(signer.sign()));
    }

    /** A JSON Web Key Set holding the public key of {@code key}. */
    public static byte[] jwks(KeyPair key) {
        byte[] encoded = key.getPublic().getEncoded();
        String x = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
        return ("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Vidu: base64 HMAC-SHA256 with the token over POST, path, query, "vidu", Date and the signed headers. */
    public static Map<String, String> vidu(String token, String path, String query, Instant at, String nonce)
            throws Exception {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(at, ZoneOffset.UTC));
        String signing = "POST\n" + path + "\n" + (query == null ? "" : query) + "\nvidu\n" + date + "\nDate:" + date
                + "\nx-request-nonce:" + nonce + "\n";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Map.of("Date", date, "x-request-nonce", nonce, "X-HMAC-SIGNED-HEADERS", "Date;x-request-nonce",
                "X-HMAC-SIGNATURE", Base64.getEncoder().encodeToString(
                        mac.doFinal(signing.getBytes(StandardCharsets.UTF_8))),
                "X-HMAC-ALGORITHM", "hmac-sha256", "X-HMAC-ACCESS-KEY", "vidu");
    }
}
