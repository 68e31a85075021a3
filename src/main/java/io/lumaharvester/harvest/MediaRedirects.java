package io.lumaharvester.harvest;

import java.net.URI;
import java.net.URISyntaxException;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.DefaultRedirectStrategy;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Lets the media client follow a redirect only to a location the {@link MediaPolicy} allows. A redirect elsewhere is
 * handed back as the 3xx response, and the copy is refused.
 */
public class MediaRedirects implements HttpClientConfigurer {

    private final MediaPolicy policy;

    public MediaRedirects(MediaPolicy policy) {
        this.policy = policy;
    }

    /** A relative location stays on the allowed host it came from; an absolute one must pass the policy itself. */
    boolean allowed(Header location) {
        if (location == null) {
            return false;
        }
        try {
            URI uri = new URI(location.getValue());
            return !uri.isAbsolute() && uri.getRawAuthority() == null || policy.allows(location.getValue());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.setRedirectStrategy(new DefaultRedirectStrategy() {
            @Override
            public boolean isRedirected(HttpRequest request, HttpResponse response, HttpContext context)
                    throws ProtocolException {
                return super.isRedirected(request, response, context) && allowed(response.getFirstHeader("Location"));
            }
        });
    }
}
