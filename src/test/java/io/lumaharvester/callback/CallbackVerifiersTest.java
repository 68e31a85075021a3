package io.lumaharvester.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each scheme against a table: a callback signed as its provider signs it passes, and a wrong secret, a stale
 * timestamp, a tampered body or a missing header is refused. The signatures are made here the way each provider's
 * documentation says, independently of the verifiers.
 */
class CallbackVerifiersTest {

    private static final long NOW = 1_770_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final byte[] BODY = "{\"id\":\"abc\",\"status\":\"succeeded\"}".getBytes(StandardCharsets.UTF_8);

    /** A callback as it arrives: method, path, query, headers, body. */
    record Call(String method, String path, String query, Map<String, String> headers, byte[] body) {

        Call with(String header, String value) {
            Map<String, String> changed = headers();
            changed.put(header, value);
            return new Call(method, path, query, changed, body);
        }

        Call without(String header) {
            Map<String, String> changed = headers();
            changed.remove(header);
            return new Call(method, path, query, changed, body);
        }

        Call body(String text) {
            return new Call(method, path, query, headers(), text.getBytes(StandardCharsets.UTF_8));
        }

        Call query(String changed) {
            return new Call(method, path, changed, headers(), body);
        }

        @Override
        public Map<String, String> headers() {
            Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            copy.putAll(headers);
            return copy;
        }

        CallbackRequest request() {
            Map<String, String> received = headers();
            return new CallbackRequest(method, path, query, received::get, body);
        }
    }

    private static Call call(String query, Map<String, String> headers) {
        return new Call("POST", "/callbacks/test", query, headers, BODY);
    }

    // token

    static Stream<Arguments> tokenCalls() {
        Call valid = call("token=s3cret%2Bx", Map.of());
        return Stream.of(
                Arguments.of("the right token", valid, true),
                Arguments.of("a wrong token", valid.query("token=s3cret%2By"), false),
                Arguments.of("a prefix of the token", valid.query("token=s3cret"), false),
                Arguments.of("no token", valid.query(null), false),
                Arguments.of("an empty token", valid.query("token="), false),
                Arguments.of("the token twice", valid.query("token=s3cret%2Bx&token=s3cret%2Bx"), false),
                Arguments.of("the token as a header, not in the query", valid.query(null).with("token", "s3cret+x"),
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenCalls")
    void aTokenCallbackPassesOnlyWithTheSecretTokenInItsQuery(String name, Call call, boolean passes) {
        assertThat(new TokenVerifier("s3cret+x").verify(call.request()).verified()).isEqualTo(passes);
    }

    @Test
    void noConfiguredTokenRefusesEveryCallback() {
        assertThat(new TokenVerifier("").verify(call("token=", Map.of()).request()).verified()).isFalse();
        assertThat(new TokenVerifier(null).verify(call(null, Map.of()).request()).verified()).isFalse();
    }

    // standard-webhooks

    private static final byte[] WEBHOOK_KEY = "a secret of the standard webhooks".getBytes(StandardCharsets.UTF_8);
    private static final String WHSEC = "whsec_" + Base64.getEncoder().encodeToString(WEBHOOK_KEY);

    private static String webhookSignature(byte[] key, String id, long timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    private static Call webhook(byte[] key, long timestamp) throws Exception {
        return call(null, Map.of("webhook-id", "msg_2a", "webhook-timestamp", String.valueOf(timestamp),
                "webhook-signature", webhookSignature(key, "msg_2a", timestamp, BODY)));
    }

    static Stream<Arguments> standardWebhooksCalls() throws Exception {
        Call valid = webhook(WEBHOOK_KEY, NOW);
        String good = valid.headers().get("webhook-signature");
        return Stream.of(
                Arguments.of("valid", valid, true),
                Arguments.of("4 minutes old", webhook(WEBHOOK_KEY, NOW - 240), true),
                Arguments.of("one of several signatures matches", valid.with("webhook-signature",
                        "v1,bm90IHRoaXMgb25l v2,whatever " + good), true),
                Arguments.of("signed with another secret", webhook("another secret".getBytes(StandardCharsets.UTF_8),
                        NOW), false),
                Arguments.of("stale timestamp (6 minutes old)", webhook(WEBHOOK_KEY, NOW - 360), false),
                Arguments.of("timestamp 6 minutes ahead", webhook(WEBHOOK_KEY, NOW + 360), false),
                Arguments.of("the timestamp changed after signing", valid.with("webhook-timestamp",
                        String.valueOf(NOW - 1)), false),
                Arguments.of("another id", valid.with("webhook-id", "msg_2b"), false),
                Arguments.of("tampered body", valid.body("{\"id\":\"abd\",\"status\":\"succeeded\"}"), false),
                Arguments.of("the signature without its v1, prefix", valid.with("webhook-signature",
                        good.substring(3)), false),
                Arguments.of("no webhook-signature", valid.without("webhook-signature"), false),
                Arguments.of("no webhook-timestamp", valid.without("webhook-timestamp"), false),
                Arguments.of("no webhook-id", valid.without("webhook-id"), false),
                Arguments.of("a timestamp that is not a number", valid.with("webhook-timestamp", "soon"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("standardWebhooksCalls")
    void aStandardWebhookPassesOnlyWithAFreshSignatureOfItsIdTimestampAndBody(String name, Call call,
            boolean passes) {
        Verification verification = new StandardWebhooksVerifier(WHSEC, CLOCK).verify(call.request());
        assertThat(verification.verified()).as(verification.why()).isEqualTo(passes);
        if (passes) {
            assertThat(verification.deliveryId()).isEqualTo(call.headers().get("webhook-id"));
        }
    }

    @Test
    void aStandardWebhookSecretThatIsNotBase64RefusesEveryCallback() throws Exception {
        assertThat(new StandardWebhooksVerifier("whsec_***", CLOCK).verify(webhook(WEBHOOK_KEY, NOW).request())
                .verified()).isFalse();
        assertThat(new StandardWebhooksVerifier(null, CLOCK).verify(webhook(WEBHOOK_KEY, NOW).request())
                .verified()).isFalse();
    }

    // fal-ed25519, with fal's key set served by a stand-in

    private static KeyPair falKey;
    private static KeyPair otherKey;
    private static HttpServer jwksServer;
    private static final AtomicInteger JWKS_REQUESTS = new AtomicInteger();

    @BeforeAll
    static void serveTheKeySet() throws Exception {
        falKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        otherKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] encoded = falKey.getPublic().getEncoded();
        // the raw key is the last 32 bytes of its SubjectPublicKeyInfo
        String x = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
        byte[] jwks = ("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
                + "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k1\",\"x\":\"" + x + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwksServer.createContext("/.well-known/jwks.json", exchange -> {
            JWKS_REQUESTS.incrementAndGet();
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        jwksServer.start();
    }

    @AfterAll
    static void stopServing() {
        jwksServer.stop(0);
    }

    private static URI jwksUrl() {
        return URI.create("http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/.well-known/jwks.json");
    }

    private static Call fal(KeyPair key, long timestamp, byte[] body) throws Exception {
        String message = "req-1\nuser-1\n" + timestamp + "\n" + HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(body));
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(key.getPrivate());
        signer.update(message.getBytes(StandardCharsets.UTF_8));
        return new Call("POST", "/callbacks/fal", null, Map.of("X-Fal-Webhook-Request-Id", "req-1",
                "X-Fal-Webhook-User-Id", "user-1", "X-Fal-Webhook-Timestamp", String.valueOf(timestamp),
                "X-Fal-Webhook-Signature", HexFormat.of().formatHex(signer.sign())), body);
    }

    static Stream<Arguments> falCalls() throws Exception {
        Call valid = fal(falKey, NOW, BODY);
        return Stream.of(
                Arguments.of("valid", valid, true),
                Arguments.of("signed by a key not in the set", fal(otherKey, NOW, BODY), false),
                Arguments.of("stale timestamp (6 minutes old)", fal(falKey, NOW - 360, BODY), false),
                Arguments.of("tampered body", valid.body("{\"request_id\":\"req-2\",\"status\":\"OK\"}"), false),
                Arguments.of("another user id", valid.with("X-Fal-Webhook-User-Id", "user-2"), false),
                Arguments.of("another request id", valid.with("X-Fal-Webhook-Request-Id", "req-2"), false),
                Arguments.of("a signature that is not hex", valid.with("X-Fal-Webhook-Signature", "zz"), false),
                Arguments.of("no signature", valid.without("X-Fal-Webhook-Signature"), false),
                Arguments.of("no timestamp", valid.without("X-Fal-Webhook-Timestamp"), false),
                Arguments.of("no user id", valid.without("X-Fal-Webhook-User-Id"), false),
                Arguments.of("no request id", valid.without("X-Fal-Webhook-Request-Id"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("falCalls")
    void aFalWebhookPassesOnlyWithAFreshEd25519SignatureByAKeyOfTheKeySet(String name, Call call, boolean passes) {
        Verification verification = new FalEd25519Verifier(new JwksKeys(jwksUrl(), CLOCK), CLOCK)
                .verify(call.request());
        assertThat(verification.verified()).as(verification.why()).isEqualTo(passes);
    }

    @Test
    void theKeySetIsFetchedOnceAndForgedSignaturesDoNotMakeItFetchedAgainAndAgain() throws Exception {
        FalEd25519Verifier verifier = new FalEd25519Verifier(new JwksKeys(jwksUrl(), CLOCK), CLOCK);
        int before = JWKS_REQUESTS.get();
        for (int i = 0; i < 5; i++) {
            assertThat(verifier.verify(fal(falKey, NOW, BODY).request()).verified()).isTrue();
            assertThat(verifier.verify(fal(otherKey, NOW, BODY).request()).verified()).isFalse();
        }
        // the first fetch; a signature no key verifies fetches again at most once a minute (the clock stands still)
        assertThat(JWKS_REQUESTS.get() - before).isLessThanOrEqualTo(2);
    }

    @Test
    void aKeySetThatCannotBeFetchedRefusesTheCallback() throws Exception {
        URI nowhere = URI.create("http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/no-such-set");
        Verification verification = new FalEd25519Verifier(new JwksKeys(nowhere, CLOCK), CLOCK)
                .verify(fal(falKey, NOW, BODY).request());
        assertThat(verification.verified()).isFalse();
        assertThat(verification.why()).contains("404");
    }

    // vidu-hmac, as platform.vidu.com/docs/callback-signature builds the signing string

    private static final String VIDU_TOKEN = "vda_token";
    private static final String DATE = DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.ofInstant(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    private static Call vidu(String token, String date, UnaryOperator<String> tamper) throws Exception {
        String nonce = "123e4567-e89b-12d3-a456-426614174000";
        String signing = "POST\n/callbacks/vidu\nname=james&age=36\nvidu\n" + date + "\nDate:" + date
                + "\nx-request-nonce:" + nonce + "\n";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = Base64.getEncoder().encodeToString(
                mac.doFinal(tamper.apply(signing).getBytes(StandardCharsets.UTF_8)));
        return new Call("POST", "/callbacks/vidu", "name=james&age=36", Map.of("Date", date, "x-request-nonce", nonce,
                "X-HMAC-SIGNED-HEADERS", "Date;x-request-nonce", "X-HMAC-SIGNATURE", signature,
                "X-HMAC-ALGORITHM", "hmac-sha256", "X-HMAC-ACCESS-KEY", "vidu"), BODY);
    }

    static Stream<Arguments> viduCalls() throws Exception {
        Call valid = vidu(VIDU_TOKEN, DATE, UnaryOperator.identity());
        String staleDate = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(Instant.ofEpochSecond(NOW - 360), ZoneOffset.UTC));
        return Stream.of(
                Arguments.of("valid", valid, true),
                Arguments.of("signed with another token", vidu("other", DATE, UnaryOperator.identity()), false),
                Arguments.of("stale Date (6 minutes old)", vidu(VIDU_TOKEN, staleDate, UnaryOperator.identity()),
                        false),
                Arguments.of("another nonce than signed", valid.with("x-request-nonce", "replayed"), false),
                Arguments.of("another query than signed", valid.query("name=james&age=37"), false),
                Arguments.of("signed without the final newline", vidu(VIDU_TOKEN, DATE,
                        s -> s.substring(0, s.length() - 1)), false),
                Arguments.of("no signature", valid.without("X-HMAC-SIGNATURE"), false),
                Arguments.of("no Date", valid.without("Date"), false),
                Arguments.of("a signed header missing", valid.without("x-request-nonce"), false),
                Arguments.of("another algorithm", valid.with("X-HMAC-ALGORITHM", "hmac-sha1"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("viduCalls")
    void aViduCallbackPassesOnlyWithTheDocumentedHmacOfItsRequestLineDateAndSignedHeaders(String name, Call call,
            boolean passes) {
        Verification verification = new ViduHmacVerifier(VIDU_TOKEN, CLOCK).verify(call.request());
        assertThat(verification.verified()).as(verification.why()).isEqualTo(passes);
    }

    @Test
    void theKeySetParserTakesOnlyEd25519Keys() throws IOException {
        assertThat(JwksKeys.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + Base64.getUrlEncoder().withoutPadding()
                        .encodeToString(new byte[32]) + "\"},{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}]}")))
                .hasSize(1);
    }
}
