package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

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

    /**
     * Files a killed process left: removed when the next one starts, if last written before it started and no other
     * running process wrote them (its pid in the name). Anything else in the directory stays.
     */
    @Test
    void aStartRemovesTheSpoolFilesThatEndedProcessesLeftAndNothingElse() throws IOException {
        long self = ProcessHandle.current().pid();
        long otherRunning = ProcessHandle.current().parent().orElseThrow().pid();
        FileTime beforeThisProcess = FileTime.from(ProcessHandle.current().info().startInstant().orElseThrow()
                .minus(Duration.ofHours(1)));
        Path ended = left("luma-media-99999999-1.part", beforeThisProcess);
        Path samePidBefore = left("luma-media-" + self + "-2.part", beforeThisProcess);
        Path olderVersion = left("luma-media-3.part", beforeThisProcess);
        Path ownInFlight = left("luma-media-" + self + "-4.part", FileTime.from(Instant.now()));
        Path anotherRunningInstance = left("luma-media-" + otherRunning + "-5.part", beforeThisProcess);
        Path notASpoolFile = left("other-6.part", beforeThisProcess);
        Path anotherSuffix = left("luma-media-7.txt", beforeThisProcess);
        Path aDirectory = Files.createDirectory(dir.resolve("luma-media-8.part"));
        Files.setLastModifiedTime(aDirectory, beforeThisProcess);

        new SpoolSpace(dir, 500_000);

        assertThat(ended).doesNotExist();
        assertThat(samePidBefore).as("a pid reused by this process (PID 1 after a container restart)").doesNotExist();
        assertThat(olderVersion).doesNotExist();
        assertThat(ownInFlight).exists();
        assertThat(anotherRunningInstance).exists();
        assertThat(notASpoolFile).exists();
        assertThat(anotherSuffix).exists();
        assertThat(aDirectory).isDirectory();
    }

    @Test
    void aSpoolFileIsNamedAfterItsProcess() throws IOException {
        try (SpoolSpace.Spool spool = new SpoolSpace(dir, 500_000).open()) {
            assertThat(spool.file().getFileName().toString())
                    .matches("luma-media-" + ProcessHandle.current().pid() + "-\\d+\\.part");
        }
    }

    private Path left(String name, FileTime modified) throws IOException {
        Path file = Files.write(dir.resolve(name), new byte[100]);
        Files.setLastModifiedTime(file, modified);
        return file;
    }
}
