package io.lumaharvester.harvest;

import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskTicket;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.component.http.HttpActivityListener;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.net.URIAuthority;

/**
 * Gives a media request its provider's auth when the provider's profile says {@code media-auth} and the request goes
 * to the provider's own API (its base URL's scheme, host and port: {@link Provider#mediaHeaders}); any other request
 * goes without it. camel-http calls this for each request the client sends, a followed redirect included, with the
 * exchange that sent it: a redirect from the API to a CDN is sent to the CDN without the auth. (HttpClient builds
 * each redirect from the first request as the exchange gave it, which carries no auth; the auth's header names are
 * removed from a request to any other host all the same.)
 */
public class MediaAuthHeaders implements HttpActivityListener {

    private final Providers providers;

    public MediaAuthHeaders(Providers providers) {
        this.providers = providers;
    }

    @Override
    public void onRequestSubmitted(Object source, Exchange exchange, HttpHost firstHost, HttpRequest request,
            HttpEntity entity) {
        TaskTicket ticket = exchange == null ? null : exchange.getProperty(TaskExchange.TICKET, TaskTicket.class);
        if (ticket == null || !providers.has(ticket.providerName())) {
            return;
        }
        Provider provider = providers.get(ticket.providerName());
        // the request's own target (set by HttpClient for each request it sends), not firstHost: after a redirect
        // they differ
        URIAuthority target = request.getAuthority();
        Map<String, String> headers = target == null ? Map.of()
                : provider.mediaHeaders(request.getScheme(), target.getHostName(), target.getPort());
        if (headers.isEmpty()) {
            provider.requestHeaders().keySet().forEach(request::removeHeaders);
        } else {
            headers.forEach(request::setHeader);
        }
    }

    @Override
    public void onResponseReceived(Object source, Exchange exchange, HttpHost host, HttpResponse response,
            HttpEntity entity, long elapsed) {
        // nothing: the answer is MediaCopy's
    }
}
