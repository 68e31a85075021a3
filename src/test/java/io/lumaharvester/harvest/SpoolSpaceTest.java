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
    void aFileWithinTheCapIsWrittenWholeAndHeldUntilClosed() throws IOException {
        SpoolSpace space = new SpoolSpace(dir, 1_000_000);
        byte[] body = new byte[300_000];
        SpoolSpace.Spool spool = space.open();
        assertThat(spool.file().getParent()).isEqualTo(dir);
        assertThat(spool.fill(new ByteArrayInputStream(body))).isEqualTo(body.length);
        assertThat(Files.readAllBytes(spool.file())).isEqualTo(body);
        assertThat(space.used()).isEqualTo(body.length);
        spool.close();
        assertThat(space.used()).isZero();
        assertThat(spool.file()).doesNotExist();
    }

    @Test
    void aBodyLargerThanTheWholeCapNeverFitsEvenInAnEmptySpool() throws IOException {
        SpoolSpace space = new SpoolSpace(dir, 500_000);
        try (SpoolSpace.Spool spool = space.open()) {
            assertThatThrownBy(() -> spool.fill(new ByteArrayInputStream(new byte[600_000])))
                    .isInstanceOf(SpoolSpace.LargerThanSpoolException.class)
                    .hasMessageContaining("larger than the whole spool")
                    .hasMessageContaining("luma.harvest.max-spool-bytes=500000");
            assertThat(space.used()).isLessThanOrEqualTo(500_000);
        }
        assertThat(space.used()).isZero();
    }

    @Test
    void aBodyThatMeetsTheCapHeldByOtherCopiesIsFullForNowAndFitsOnceTheyAreDone() throws IOException {
        SpoolSpace space = new SpoolSpace(dir, 500_000);
        SpoolSpace.Spool other = space.open();
        other.fill(new ByteArrayInputStream(new byte[300_000]));
        SpoolSpace.Spool second = space.open();
        assertThatThrownBy(() -> second.fill(new ByteArrayInputStream(new byte[300_000])))
                .isInstanceOf(SpoolSpace.SpoolFullException.class)
                .hasMessageContaining("held by other copies")
                .hasMessageContaining("luma.harvest.max-spool-bytes=500000");
        assertThat(space.used()).isLessThanOrEqualTo(500_000);
        second.close();
        other.close();
        assertThat(space.used()).isZero();

        try (SpoolSpace.Spool again = space.open()) {
            assertThat(again.fill(new ByteArrayInputStream(new byte[300_000]))).isEqualTo(300_000);
        }
        assertThat(space.used()).isZero();
    }

    @Test
    void aSpoolDirectoryUnderARegularFileIsADiskErrorNamingTheDirectoryAndTheSetting() throws IOException {
        Path file = Files.createFile(dir.resolve("a-file"));
        SpoolSpace space = new SpoolSpace(file.resolve("spool"), 500_000);
        assertThatThrownBy(space::open)
                .isInstanceOf(SpoolSpace.DiskException.class)
                .hasMessageStartingWith("the spool directory " + file.resolve("spool")
                        + " (luma.harvest.spool-dir) cannot be written: Not a directory");
        assertThat(space.used()).isZero();
    }

    @Test
    void anEmptySpoolDirSettingIsTheJvmsTempDirectory() {
        assertThat(SpoolSpace.directory("")).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(SpoolSpace.directory(" /var/spool/luma ")).isEqualTo(Path.of("/var/spool/luma"));
    }

    @Test
    void aCapOfZeroIsRefused() {
        assertThatThrownBy(() -> new SpoolSpace(dir, 0)).hasMessageContaining("luma.harvest.max-spool-bytes");
    }
}
