package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MediaPolicyTest {

    private final MediaPolicy defaults = new MediaPolicy("storage.cdn-luma.com,imagedelivery.net,*.example.com", "https");
    private final MediaPolicy listedIp = new MediaPolicy("127.0.0.1", "http,https,file");

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
            http://127.0.0.2:8080/a.mp4  | false
            file:///etc/passwd           | false
            """)
    void anIpLiteralIsFetchedOnlyWhenListedItselfAndFileNever(String url, boolean allowed) {
        assertThat(listedIp.allows(url)).isEqualTo(allowed);
    }
}
