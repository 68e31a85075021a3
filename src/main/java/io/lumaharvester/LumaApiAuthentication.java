package io.lumaharvester;

import java.util.List;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * Puts the Bearer token on the API endpoint's own HTTP client. The token is never an exchange header, so it cannot
 * follow an exchange to the CDN or onto Kafka, and only the client built for {@code luma.api.base-url} carries it.
 */
public class LumaApiAuthentication implements HttpClientConfigurer {

    private final String token;

    public LumaApiAuthentication(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("luma.api.token is not set: export LUMA_API_TOKEN=<your API token> "
                    + "(the harvester cannot poll the Luma API without it)");
        }
        this.token = token.strip();
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.setDefaultHeaders(List.of(new BasicHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token)));
    }

    @Override
    public String toString() {
        return "LumaApiAuthentication[token=***]";
    }
}
