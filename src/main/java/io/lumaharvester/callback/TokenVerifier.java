package io.lumaharvester.callback;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code token}: for providers that sign nothing (Luma, Kling, MiniMax, the aggregator's families). The callback URL
 * given to the provider carries a secret, {@code ?token=<luma.callbacks.token>}; only a caller that knows the URL can
 * wake a task. Compared in constant time, so the answer's timing tells nothing about how much of a guess was right.
 */
public final class TokenVerifier implements CallbackVerifier {

    private final byte[] token;

    /** {@code token}: luma.callbacks.token; empty refuses every callback. */
    public TokenVerifier(String token) {
        this.token = token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Verification verify(CallbackRequest request) {
        if (token.length == 0) {
            return Verification.refused("luma.callbacks.token is not set");
        }
        String given = null;
        for (String parameter : request.rawQuery() == null ? new String[0] : request.rawQuery().split("&")) {
            int equals = parameter.indexOf('=');
            if (equals < 0 || !"token".equals(parameter.substring(0, equals))) {
                continue;
            }
            if (given != null) {
                return Verification.refused("more than one token");
            }
            try {
                given = URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Verification.refused("a token that cannot be decoded");
            }
        }
        if (given == null) {
            return Verification.refused("no token");
        }
        return MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8)) ? Verification.passed(null)
                : Verification.refused("wrong token");
    }
}
