package io.lumaharvester.poll;

import static org.assertj.core.api.Assertions.assertThat;

import io.lumaharvester.poll.StatusRequests.ProviderRequest;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A provider request set on the message vertx-http sends: where it goes, its query and the provider's headers. */
class StatusRequestsTest {

    @Test
    void aSignedRequestCarriesItsUrlQueryAndTheProvidersHeadersOnly() {
        ProviderRequest request = ProviderRequest.of("https://api.example.com/v1/tasks/{{x}}?wait=false",
                Map.of("Authorization", "Bearer t0ken", "X-Runway-Version", "2024-11-06"));
        Map<String, Object> headers = new HashMap<>();

        new StatusRequests(null).sign(request, headers);

        assertThat(headers).containsExactlyInAnyOrderEntriesOf(Map.of(
                "CamelRestHttpUri", "https://api.example.com/v1/tasks/%7B%7Bx%7D%7D",
                "CamelHttpQuery", "wait=false",
                "Authorization", "Bearer t0ken",
                "X-Runway-Version", "2024-11-06"));
    }

    @Test
    void aRequestWithoutAQuerySetsNone() {
        Map<String, Object> headers = new HashMap<>();

        new StatusRequests(null).sign(ProviderRequest.of("https://api.example.com/v1/tasks/t1", Map.of()), headers);

        assertThat(headers).containsOnlyKeys("CamelRestHttpUri");
    }
}
