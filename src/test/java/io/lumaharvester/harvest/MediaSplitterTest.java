package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.provider.Providers;
import io.lumaharvester.provider.TestProviders;
import org.junit.jupiter.api.Test;

class ArtifactSplitterTest {

    private static final String MP4 = "https://storage.cdn-luma.com/dream-machine/907ef9be-7057-45de-9867-099d6aba37b7/"
            + "6ece4f7a-f60a-442c-9ad2-84132a528741/video0bb8885f3511c4b7bad55c117405a2875.mp4";
    private static final String THUMBNAIL = "https://imagedelivery.net/1KomXrSWiTojGGip43n0SQ/"
            + "3d9fbfa9-6146-4eb9-3798-ac923a2a0e00/public";
    private static final String LAST_FRAME = "https://storage.cdn-luma.com/dream-machine/"
            + "907ef9be-7057-45de-9867-099d6aba37b7/543b6898-5179-4477-bc9f-f6507c7cde97/video_0_last_frame.jpg";

    private final MediaSplitter splitter = new MediaSplitter();

    /** The seed's generations, read as the built-in luma-aggregator profile reads them. */
    private List<MediaFile> split(com.fasterxml.jackson.databind.JsonNode generation) {
        return splitter.split(TestProviders.builtIns().get(Providers.LUMA_AGGREGATOR).media("t", null, generation));
    }

    @Test
    void theSeedSampleHasThreeDistinctFilesNamedByTheirFirstRole() {
        List<MediaFile> files = split(LumaApiStandIn.seed());

        assertThat(files).containsExactly(
                new MediaFile(MP4, List.of("video", "artifact.video", "video_raw", "artifact.video_raw"), "video",
                        1360, 752, 5.041667),
                new MediaFile(THUMBNAIL, List.of("thumbnail", "artifact.thumbnail"), "thumbnail", 1360, 752, null),
                new MediaFile(LAST_FRAME, List.of("last_frame", "artifact.last_frame"), "last_frame", 1360, 752,
                        null));
    }

    @Test
    void downloadUrlIsPreferredOverUrl() {
        ObjectNode generation = LumaApiStandIn.seed();
        ((ObjectNode) generation.get("video")).put("download_url", "https://storage.cdn-luma.com/dl/video.mp4");

        List<MediaFile> files = split(generation);

        assertThat(files.get(0).sourceUrl()).isEqualTo("https://storage.cdn-luma.com/dl/video.mp4");
        assertThat(files.get(0).roles()).containsExactly("video");
        assertThat(files.get(1).sourceUrl()).isEqualTo(MP4);
        assertThat(files.get(1).roles()).containsExactly("artifact.video", "video_raw", "artifact.video_raw");
        assertThat(files.get(1).keyRole()).isEqualTo("artifact_video");
    }

    @Test
    void aRunningTaskWithNullOrAbsentMediaHasNoFiles() {
        assertThat(split(LumaApiStandIn.runningBody("t", "processing"))).isEmpty();
        assertThat(split(null)).isEmpty();
    }

    @Test
    void blankAndNonTextUrlsAreIgnored() {
        ObjectNode generation = LumaApiStandIn.runningBody("t", "completed");
        generation.putObject("video").put("url", " ").put("download_url", "");
        generation.putObject("thumbnail").put("url", 42);
        generation.putObject("last_frame").put("url", "https://storage.cdn-luma.com/x.jpg");

        assertThat(split(generation)).extracting(MediaFile::keyRole).containsExactly("last_frame");
    }
}
