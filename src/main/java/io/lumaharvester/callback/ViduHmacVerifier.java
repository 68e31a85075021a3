package io.lumaharvester.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code vidu-hmac}, as platform.vidu.com/docs/callback-signature specifies it: {@code X-HMAC-SIGNATURE} is
 * base64(HMAC-SHA256(token, signing string)), keyed with the API token the task was created with, over
 * {@code METHOD \n path \n query \n "vidu" \n Date \n} and, for each header named in {@code X-HMAC-SIGNED-HEADERS}
 * (semicolon-separated, in that order), {@code Name:value \n}. The path and query are the callback URL's, as they
 * reach the harvester (a proxy that rewrites them breaks the signature).
 * <p>
 * The document says nothing of a tolerance for {@code Date} or of how {@code x-request-nonce} is checked; the
 * harvester refuses a {@code Date} more than five minutes from now (as for the other schemes), and a callback sent
 * again within that time has the body of one already taken, which deduplication answers. The body is not signed: a
 * callback is only a signal and its body is read for the task id only, so a changed body can at most wake another
 * running task (or, with luma.callbacks.start-unknown, start polling an id Vidu does not know: not_found).
 */
public final class ViduHmacVerifier implements CallbackVerifier {

    static final Duration TOLERANCE = Duration.ofMinutes(5);
    /** "access_key: API identifier, fixed as vidu". */
    private static final String ACCESS_KEY = "vidu";

    private final byte[] key;
    private final Clock clock;

    /** {@code token}: the provider's API token; null or empty refuses every callback. */
    public ViduHmacVerifier(String token, Clock clock) {
        this.key = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    @Override
    public Verification verify(CallbackRequest request) {
        if (key == null) {
            return Verification.refused("no token for this provider");
        }
        String signature = request.header("X-HMAC-SIGNATURE");
        String date = request.header("Date");
        String signedHeaders = request.header("X-HMAC-SIGNED-HEADERS");
        if (signature == null || date == null || signedHeaders == null) {
            return Verification.refused("missing X-HMAC-SIGNATURE, Date or X-HMAC-SIGNED-HEADERS");
        }
        String algorithm = request.header("X-HMAC-ALGORITHM");
        if (algorithm != null && !"hmac-sha256".equalsIgnoreCase(algorithm.strip())) {
            return Verification.refused("X-HMAC-ALGORITHM is not hmac-sha256");
        }
        try {
            long at = ZonedDateTime.parse(date.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()
                    .toEpochMilli();
            if (Math.abs(clock.millis() - at) > TOLERANCE.toMillis()) {
                return Verification.refused("Date is more than 5 minutes from now");
            }
        } catch (DateTimeParseException e) {
            return Verification.refused("Date is not an HTTP date");
        }
        StringBuilder signing = new StringBuilder()
                .append(request.method().toUpperCase(java.util.Locale.ROOT)).append('\n')
                .append(request.path() == null || request.path().isEmpty() ? "/" : request.path()).append('\n')
                .append(request.rawQuery() == null ? "" : request.rawQuery()).append('\n')
                .append(ACCESS_KEY).append('\n')
                .append(date).append('\n');
        for (String name : signedHeaders.split(";")) {
            String trimmed = name.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            String value = request.header(trimmed);
            if (value == null) {
                return Verification.refused("signed header " + trimmed + " is missing");
            }
            signing.append(trimmed).append(':').append(value).append('\n');
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(signature.strip());
        } catch (IllegalArgumentException e) {
            return Verification.refused("X-HMAC-SIGNATURE is not base64");
        }
        if (!MessageDigest.isEqual(hmac(signing.toString()), given)) {
            return Verification.refused("the signature does not match");
        }
        return Verification.passed(null);
    }

    private byte[] hmac(String signing) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(signing.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
