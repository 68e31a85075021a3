package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MediaPolicyTest {

    private final MediaPolicy defaults = new MediaPolicy("storage.cdn-luma.com,imagedelivery.net,*.example.com", "https");
    private final MediaPolicy listedIp = new MediaPolicy("127.0.0.1:8080", "http,https,file");
    private final MediaPolicy withPorts = new MediaPolicy(
            "cdn.example.net,media.example.org:8443,*.imgs.example.com:9000,10.1.2.3:8080,[::1]:8443,[fe80::1]",
            "http,https");

    @ParameterizedTest(name = "{0} allowed={1}")
    @CsvSource(delimiter = '|', textBlock = """
            https://storage.cdn-luma.com/dream-machine/a/video.mp4  | true
            https://STORAGE.CDN-LUMA.COM/a.mp4                      | true
            https://imagedelivery.net/x/public                      | true
            https://media.example.com/a.mp4                         | true
            https://example.com/a.mp4                               | false
            https://storage.cdn-luma.com.evil.net/a.mp4             | false
            https://evilstorage.cdn-luma.com/a.mp4                  | false
            http://storage.cdn-luma.com/a.mp4                       | false
            file:///etc/passwd                                      | false
            ftp://storage.cdn-luma.com/a.mp4                        | false
            jar:https://storage.cdn-luma.com/a.jar!/x               | false
            https://127.0.0.1/a.mp4                                 | false
            https://10.0.0.8/a.mp4                                  | false
            https://169.254.169.254/latest/meta-data                | false
            https://[::1]/a.mp4                                     | false
            https://user@storage.cdn-luma.com/a.mp4                 | false
            https://storage.cdn-luma.com/a.mp4?x={{luma.api.token}} | false
            not a url                                               | false
            """)
    void onlyListedSchemesAndHostsAreFetched(String url, boolean allowed) {
        assertThat(defaults.allows(url)).isEqualTo(allowed);
    }

    @ParameterizedTest(name = "{0} allowed={1}")
    @CsvSource(delimiter = '|', textBlock = """
            http://127.0.0.1:8080/a.mp4  | true
            http://127.0.0.1/a.mp4       | false
            http://127.0.0.2:8080/a.mp4  | false
            file:///etc/passwd           | false
            """)
    void anIpLiteralIsFetchedOnlyWhenListedItselfAndFileNever(String url, boolean allowed) {
        assertThat(listedIp.allows(url)).isEqualTo(allowed);
    }

    @ParameterizedTest(name = "{0} allowed={1}")
    @CsvSource(delimiter = '|', textBlock = """
            https://cdn.example.net/a.mp4               | true
            https://cdn.example.net:443/a.mp4           | true
            http://cdn.example.net/a.mp4                | true
            http://cdn.example.net:80/a.mp4             | true
            https://cdn.example.net:8443/a.mp4          | false
            http://cdn.example.net:443/a.mp4            | false
            https://cdn.example.net:22/a.mp4            | false
            https://media.example.org:8443/a.mp4        | true
            https://media.example.org/a.mp4             | false
            http://media.example.org:8443/a.mp4         | true
            https://media.example.org:8444/a.mp4        | false
            https://a.imgs.example.com:9000/x.jpg       | true
            https://a.imgs.example.com/x.jpg            | false
            http://10.1.2.3:8080/a.mp4                  | true
            http://10.1.2.3/a.mp4                       | false
            http://10.1.2.3:8081/a.mp4                  | false
            https://[::1]:8443/a.mp4                    | true
            https://[::1]/a.mp4                         | false
            https://[fe80::1]/a.mp4                     | true
            https://[fe80::1]:8443/a.mp4                | false
            """)
    void anEntryWithoutAPortAllowsOnlyTheSchemesDefaultPortAndHostPortOnlyThatPort(String url, boolean allowed) {
        assertThat(withPorts.allows(url)).isEqualTo(allowed);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            cdn.example.net:
            cdn.example.net:https
            cdn.example.net:0
            cdn.example.net:65536
            [::1]:x
            """)
    void anAllowListEntryWithABadPortIsRefusedWithTheEntryNamed(String entry) {
        assertThatThrownBy(() -> new MediaPolicy(entry, "https"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("luma.harvest.allowed-hosts").hasMessageContaining(entry);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            https://cdn.example.net:8443/a.mp4  | host cdn.example.net:8443 is not allowed
            http://10.1.2.3:9/a.mp4             | IP address 10.1.2.3:9 is not listed
            """)
    void theRefusalNamesThePort(String url, String refusal) {
        assertThat(withPorts.refusal(url)).isEqualTo(refusal);
    }
}
