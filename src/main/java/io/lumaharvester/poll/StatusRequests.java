package io.lumaharvester.poll;

import io.lumaharvester.provider.Provider;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskStep;
import io.lumaharvester.task.TaskTicket;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Headers;

/**
 * The requests a poll sends to the task's provider, as its profile builds them: the status GET, and for a profile
 * with a media-request the second GET. The route sends each to {@code url} (as CamelRestHttpUri), with {@code query} as
 * the HTTP query and the provider's auth and extra headers ({@link #sign} sets all three).
 */
public class StatusRequests {

    /** One request: its URL without the query (the route's endpoint), the query (or null) and its headers. */
    public record ProviderRequest(String url, String query, Map<String, String> headers) {

        /** Without the headers' values: they hold the provider's token. */
        @Override
        public String toString() {
            return "ProviderRequest[url=" + url + ", query=" + query + ", headers=" + headers.keySet() + "]";
        }

        /**
         * The URL's braces are percent-encoded, as vertx-http would send them: it reads the request's URL for
         * property placeholders, and a {@code {{name}}} in a task id or in a URL the provider named must reach the
         * provider as text, never become a setting's value.
         */
        public static ProviderRequest of(String url, Map<String, String> headers) {
            int q = url.indexOf('?');
            return q < 0 ? new ProviderRequest(braces(url), null, headers)
                    : new ProviderRequest(braces(url.substring(0, q)), url.substring(q + 1), headers);
        }

        private static String braces(String url) {
            return url.indexOf('{') < 0 && url.indexOf('}') < 0 ? url
                    : url.replace("{", "%7B").replace("}", "%7D");
        }
    }

    private final Providers providers;

    public StatusRequests(Providers providers) {
        this.providers = providers;
    }

    /** The status request of the task in hand. */
    public ProviderRequest status(@ExchangeProperty(TaskExchange.TICKET) TaskTicket ticket) {
        Provider provider = providers.get(ticket.providerName());
        return ProviderRequest.of(provider.statusUrl(ticket.taskId(), ticket.metadata()), provider.requestHeaders());
    }

    /** The second request of a {@code media_request} step: the URL the status answer named, with the same auth. */
    public ProviderRequest media(@ExchangeProperty(TaskExchange.MEDIA_STEP) TaskStep step) {
        Provider provider = providers.get(step.ticket().providerName());
        return ProviderRequest.of(step.mediaRequest(), provider.requestHeaders());
    }

    /**
     * Sets the request on the message the route sends: its URL as CamelRestHttpUri (where vertx-http sends it), its
     * query as CamelHttpQuery, and the provider's headers. The message holds no other header (the route drops them all
     * first): vertx-http sends every header but Camel's own. One bean step: a {@code setHeader} of
     * {@code ${exchangeProperty.lumaRequest.url}} would copy the exchange (docs/performance.md).
     */
    public void sign(@ExchangeProperty(TaskExchange.REQUEST) ProviderRequest request,
            @Headers Map<String, Object> headers) {
        headers.putAll(request.headers());
        headers.put(Exchange.REST_HTTP_URI, request.url());
        if (request.query() != null) {
            headers.put(Exchange.HTTP_QUERY, request.query());
        }
    }
}
