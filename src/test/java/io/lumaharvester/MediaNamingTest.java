package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class MediaNamingTest {

    @ParameterizedTest(name = "{0} + {1} -> .{2}")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            video/mp4                  | https://cdn/x/public          | mp4
            video/mp4; codecs=avc1     | https://cdn/x                 | mp4
            IMAGE/JPEG                 | https://cdn/x                 | jpg
            image/webp                 | https://cdn/x.jpg             | webp
            image/png                  | https://cdn/x                 | png
            application/octet-stream   | https://cdn/a/video_0.jpg     | jpg
            null                       | https://cdn/a/clip.MP4?sig=1  | mp4
            null                       | https://cdn/a/b.jpeg          | jpg
            text/html                  | https://cdn/x/public          | bin
            null                       | https://cdn/a.exe             | bin
            null                       | https://cdn/dir.mp4/public    | bin
            null                       | not a url                     | bin
            """)
    void extensionComesFromContentTypeThenUrlThenBin(String contentType, String url, String ext) {
        assertThat(MediaNaming.extension(contentType, url)).isEqualTo(ext);
    }

    @Test
    void keyIsPrefixTaskIdRoleAndExtension() {
        assertThat(new MediaNaming("luma/").key("e70fdf3c-ce95", "video", "video/mp4", "https://cdn/x"))
                .isEqualTo("luma/e70fdf3c-ce95/video.mp4");
        assertThat(new MediaNaming("").key("abc", "last_frame", null, "https://cdn/f.jpg"))
                .isEqualTo("abc/last_frame.jpg");
    }

    @Test
    void noUnvalidatedTextReachesAKey() {
        MediaNaming naming = new MediaNaming("luma/");
        assertThatThrownBy(() -> naming.key("../etc", "video", "video/mp4", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> naming.key("abc", "../video", "video/mp4", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
