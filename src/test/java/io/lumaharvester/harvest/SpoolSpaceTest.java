package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolSpaceTest {

    @TempDir
    Path dir;

    @Test
    void aFileWithinTheCapIsWrittenWholeAndHeldUntilReleased() throws IOException {
        SpoolSpace space = new SpoolSpace(1_000_000);
        byte[] body = new byte[300_000];
        Path file = dir.resolve("a.part");
        assertThat(space.fill(new ByteArrayInputStream(body), file)).isEqualTo(body.length);
        assertThat(Files.readAllBytes(file)).isEqualTo(body);
        assertThat(space.used()).isEqualTo(body.length);
        space.release(Files.size(file));
        assertThat(space.used()).isZero();
    }

    @Test
    void filesTogetherNeverPassTheCapAndAFailedFileHoldsOnlyWhatItWrote() throws IOException {
        SpoolSpace space = new SpoolSpace(500_000);
        Path first = dir.resolve("first.part");
        space.fill(new ByteArrayInputStream(new byte[300_000]), first);
        Path second = dir.resolve("second.part");
        assertThatThrownBy(() -> space.fill(new ByteArrayInputStream(new byte[300_000]), second))
                .isInstanceOf(SpoolSpace.SpoolFullException.class)
                .hasMessageContaining("luma.media.max-spool-bytes=500000");
        assertThat(space.used()).isEqualTo(Files.size(first) + Files.size(second)).isLessThanOrEqualTo(500_000);
        space.release(Files.size(second));
        space.release(Files.size(first));
        assertThat(space.used()).isZero();
    }

    @Test
    void aCapOfZeroIsRefused() {
        assertThatThrownBy(() -> new SpoolSpace(0)).hasMessageContaining("luma.media.max-spool-bytes");
    }
}
