package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;

import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskTicket;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each request the media client sends (the first, and each redirect it follows) gets the task's provider's auth only
 * when the profile says media-auth and the request goes to the provider's base URL's scheme, host and port.
 */
class MediaAuthHeadersTest {

    private static final MediaAuthHeaders HEADERS = new MediaAuthHeaders(TestProviders.with(Map.of(
            "luma.providers.openai.token", "sk-openai-1", "luma.providers.veo.token", "goog-key-2",
            "luma.providers.runway.token", "runway-key-3")));
    private static final DefaultCamelContext CONTEXT = new DefaultCamelContext();

    /**
     * provider | the request's URL | the provider's auth header | its value on the request that leaves, - for none.
     * The request comes with a stale value of that header: one the auth is not for leaves without it.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            openai | https://api.openai.com/v1/videos/video_1/content                             | Authorization  | Bearer sk-openai-1
            openai | https://api.openai.com:443/v1/videos/video_1/content?variant=thumbnail       | Authorization  | Bearer sk-openai-1
            openai | https://videos.cdn.example/v/video_1.mp4?sig=x                               | Authorization  | -
            openai | http://api.openai.com/v1/videos/video_1/content                              | Authorization  | -
            openai | https://api.openai.com:8443/v1/videos/video_1/content                        | Authorization  | -
            openai | https://api.openai.com.cdn.example/v1/videos/video_1/content                 | Authorization  | -
            veo    | https://generativelanguage.googleapis.com/v1beta/files/f1:download?alt=media | x-goog-api-key | goog-key-2
            veo    | https://storage.googleapis.com/bucket/f1.mp4                                 | x-goog-api-key | -
            runway | https://api.dev.runwayml.com/v1/tasks/t1                                     | Authorization  | -
            """)
    void aMediaRequestLeavesWithTheAuthOnlyForItsProvidersOwnApi(String provider, String url, String header,
            String value) {
        Exchange exchange = new DefaultExchange(CONTEXT);
        exchange.setProperty(TaskExchange.TICKET, TaskTicket.accepted("t1", JsonNodeFactory.instance.objectNode(), 0,
                60_000, 0).withProvider(provider));
        HttpRequest request = new BasicHttpRequest("GET", URI.create(url));
        request.setHeader(header, "stale");

        HEADERS.onRequestSubmitted(this, exchange, null, request, null);

        assertThat(Arrays.stream(request.getHeaders(header)).map(Header::getValue).toList())
                .isEqualTo(value == null ? List.of() : List.of(value));
    }
}
