package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MediaNamingTest {

    @ParameterizedTest(name = "{0} + {1} -> .{2}")
    @CsvSource(delimiter = '|', textBlock = """
            video               | https://cdn/a/clip.MP4?sig=1            | mp4
            video               | https://cdn/a/clip.mov                  | mov
            video_raw           | https://cdn/a/clip.webm                 | webm
            artifact_video      | https://cdn/x/public                    | mp4
            video               | https://cdn/a/clip.jpg                  | mp4
            video               | https://cdn/a.exe                       | mp4
            video               | https://cdn/dir.mov/public              | mp4
            video               | not a url                               | mp4
            thumbnail           | https://imagedelivery.net/a/b/public    | webp
            artifact_thumbnail  | https://cdn/a/b.jpeg                    | jpg
            thumbnail           | https://cdn/a/b.png                     | png
            last_frame          | https://cdn/a/video_0_last_frame.jpg    | jpg
            last_frame          | https://cdn/a/frame                     | jpg
            last_frame          | https://cdn/a/frame.mp4                 | jpg
            artifact_last_frame | https://cdn/a/frame.WEBP                | webp
            mystery             | https://cdn/a/clip.mp4                  | bin
            video_2             | https://cdn/a/clip.webm                 | webm
            image               | https://cdn/a/pic                       | png
            image_3             | https://cdn/a/pic.jpeg                  | jpg
            progress_video      | https://cdn/a/p                         | mp4
            audio               | https://cdn/a/song.wav                  | wav
            audio_2             | https://cdn/a/song                      | mp3
            output              | https://cdn/a/out.mp4                   | bin
            """)
    void extensionComesFromTheUrlWhenTheRoleAllowsItElseFromTheRole(String keyRole, String url, String ext) {
        assertThat(MediaNaming.extension(keyRole, url)).isEqualTo(ext);
    }

    @ParameterizedTest(name = "{0}: CDN says {1} -> stored as {2}")
    @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
            video               | video/mp4                   | video/mp4
            video               | video/mp4; codecs=avc1      | video/mp4
            artifact_video_raw  | VIDEO/QUICKTIME             | video/quicktime
            video_raw           | video/webm                  | video/webm
            video               | image/jpeg                  | application/octet-stream
            video               | text/html                   | application/octet-stream
            video               | video/x-msvideo             | application/octet-stream
            video               | null                        | application/octet-stream
            thumbnail           | image/webp                  | image/webp
            thumbnail           | image/png                   | image/png
            last_frame          | image/jpeg                  | image/jpeg
            last_frame          | image/svg+xml               | application/octet-stream
            last_frame          | video/mp4                   | application/octet-stream
            thumbnail           | text/html; charset=utf-8    | application/octet-stream
            mystery             | video/mp4                   | application/octet-stream
            image_2             | image/png                   | image/png
            audio               | audio/mpeg                  | audio/mpeg
            audio               | video/mp4                   | application/octet-stream
            """)
    void storedContentTypeIsTheCdnsOnlyWhenTheRoleAllowsIt(String keyRole, String cdnContentType, String stored) {
        assertThat(MediaNaming.storedContentType(keyRole, cdnContentType)).isEqualTo(stored);
    }

    @Test
    void keyIsPrefixTaskIdRoleAndExtension() {
        assertThat(new MediaNaming("luma/", null).key("e70fdf3c-ce95", "video", "https://cdn/x"))
                .isEqualTo("luma/e70fdf3c-ce95/video.mp4");
        assertThat(new MediaNaming("", MediaNaming.DEFAULT_PATTERN).key("abc", "last_frame", "https://cdn/f.jpg"))
                .isEqualTo("abc/last_frame.jpg");
    }

    @Test
    void noUnvalidatedTextReachesAKey() {
        MediaNaming naming = new MediaNaming("luma/", null);
        assertThatThrownBy(() -> naming.key("../etc", "video", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> naming.key("abc", "../video", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTaskIdThatIsAPathNamesKeysUnderThePrefix() {
        String key = new MediaNaming("luma/", null).key("models/veo-3.0-generate-001/operations/zzqlxn3w0b9c", "video",
                "https://generativelanguage.googleapis.com/v1beta/files/3k9x1p0w7d2m:download?alt=media");

        assertThat(key).isEqualTo("luma/models/veo-3.0-generate-001/operations/zzqlxn3w0b9c/video.mp4");
        assertThat(Path.of(key).normalize()).isEqualTo(Path.of(key)).startsWithRaw(Path.of("luma"));
    }

    /** Whatever a profile's task-id lets through, a task id with these never names a key. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"..", ".", "../x", "a/../b", "a/..", "a/./b", "./a", "/a", "a//b", "a/", ".hidden", "a.",
            "a..b", "a/.b", "a\\b", "a/b/../../../c", "%2e%2e/x", "a/%2e%2e", "a:b", "a/b?c", " a/b"})
    void aTaskIdCannotLeaveTheKeyPrefix(String taskId) {
        assertThatThrownBy(() -> new MediaNaming("luma/", null).key(taskId, "video", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTaskIdPathIsAtMost128Characters() {
        String id = "models/" + "a".repeat(121);
        assertThat(new MediaNaming("", null).key(id, "video", "https://cdn/x")).startsWith(id + "/");
        assertThatThrownBy(() -> new MediaNaming("", null).key(id + "a", "video", "https://cdn/x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyPatternLaysTheKeyOutAndTheDefaultIsTheLayoutUsedSoFar() {
        assertThat(new MediaNaming("luma/", "{role}/{task_id}.{extension}").key("abc", "video", "https://cdn/v.mov"))
                .isEqualTo("luma/video/abc.mov");
        assertThat(new MediaNaming("", "by-task/{task_id}/{role}").key("abc", "thumbnail", "https://cdn/t"))
                .isEqualTo("by-task/abc/thumbnail");
        assertThat(MediaNaming.DEFAULT_PATTERN).isEqualTo("{task_id}/{role}.{extension}");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {task_id}.{extension}         | must contain {task_id} and {role}
            {role}.{extension}            | must contain {task_id} and {role}
            {task_id}/{role}.{ext}        | names [ext]
            /{task_id}/{role}.{extension} | must not start with /
            """)
    void aKeyPatternThatWouldMakeFilesShareAKeyIsRefused(String pattern, String problem) {
        assertThat(MediaNaming.patternProblem(pattern)).contains(problem);
        assertThatThrownBy(() -> new MediaNaming("", pattern)).hasMessageContaining("s3.key-pattern");
    }
}
