package io.lumaharvester.harvest;

import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.StorageUnavailableException;
import io.lumaharvester.task.StorageRejectedException;
import io.lumaharvester.poll.GenerationReader;
import io.lumaharvester.task.TaskTicket;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A body without a length that the spool cannot take, as the task's recovery sees it: larger than the whole cap is a
 * refusal (counted, then storage_rejected naming luma.harvest.max-spool-bytes), the cap held by other copies is
 * temporary (retried, nothing counted), a directory that cannot be written is a refusal naming it.
 */
class SpoolFailuresTest {

    private static final int CAP = 500_000;

    @TempDir
    Path dir;

    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
    private final DefaultCamelContext context = new DefaultCamelContext();

    @AfterEach
    void stop() {
        watchdog.shutdownNow();
    }

    private MediaCopy copy(SpoolSpace space) {
        return new MediaCopy(new MediaPolicy("cdn.test", "https"), "bucket", null,
                space, false, 60_000, watchdog, -1);
    }

    /** The CDN answered 200 without a Content-Length, as camel-http hands it on. */
    private Exchange answered(MediaCopy copy, int bodyBytes) {
        Exchange exchange = new DefaultExchange(context);
        exchange.setProperty(TaskExchange.TICKET, TaskTicket.accepted("t-1", null, 0, 60_000, 0)
                .polled("completed", JsonNodeFactory.instance.objectNode().put("state", "completed")));
        exchange.getMessage().setBody(new MediaFile("https://cdn.test/v.mp4", List.of("video"), "video", null, null,
                null));
        copy.download(exchange);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "video/mp4");
        exchange.getMessage().setBody(new ByteArrayInputStream(new byte[bodyBytes]));
        return exchange;
    }

    /** What the copy route's doCatch hands the task: upload fails, then copyFailure() names the failure. */
    private Exception copyFailure(MediaCopy copy, Exchange exchange) {
        assertThatThrownBy(() -> copy.upload(exchange)).satisfies(
                e -> exchange.setProperty(Exchange.EXCEPTION_CAUGHT, e));
        return copy.copyFailure(exchange).error();
    }

    /** The exchange's end, as the route's unit of work runs it: the spool file is handed back. */
    private static void ended(Exchange exchange) {
        exchange.getExchangeExtension().handoverCompletions().forEach(done -> done.onFailure(exchange));
    }

    @Test
    void aBodyLargerThanTheWholeCapIsAStorageRefusalNamingMaxSpoolBytes() {
        SpoolSpace space = new SpoolSpace(dir, CAP);
        MediaCopy copy = copy(space);
        Exchange exchange = answered(copy, CAP + 1);

        Exception error = copyFailure(copy, exchange);

        assertThat(error).isInstanceOf(StorageRejectedException.class)
                .hasMessage("the local disk refused the video media: it came without a length and is larger than "
                        + "the whole spool: more than " + CAP + " bytes (luma.harvest.max-spool-bytes=" + CAP + ")");
        ended(exchange);
        assertThat(space.used()).isZero();
    }

    @Test
    void aBodyThatMeetsTheCapHeldByAnotherCopyFailsForNowWithoutARefusal() throws Exception {
        SpoolSpace space = new SpoolSpace(dir, CAP);
        MediaCopy copy = copy(space);
        try (SpoolSpace.Spool other = space.open()) {
            other.fill(new ByteArrayInputStream(new byte[CAP - 100_000]));
            Exchange exchange = answered(copy, 200_000);

            Exception error = copyFailure(copy, exchange);

            assertThat(error).isInstanceOf(StorageUnavailableException.class)
                    .hasMessageStartingWith("the local disk could not take the video media: the spool is full for now")
                    .hasMessageContaining("held by other copies");
            ended(exchange);
        }
        assertThat(space.used()).isZero();
        try (var files = Files.list(dir)) {
            assertThat(files).as("spool files left").isEmpty();
        }
    }

    @Test
    void aSpoolDirectoryThatCannotBeWrittenIsAStorageRefusalNamingTheDirectory() throws Exception {
        Path notADirectory = Files.createFile(dir.resolve("a-file"));
        MediaCopy copy = copy(new SpoolSpace(notADirectory.resolve("spool"), CAP));
        Exchange exchange = answered(copy, 1_000);

        Exception error = copyFailure(copy, exchange);

        assertThat(error).isInstanceOf(StorageRejectedException.class)
                .hasMessageStartingWith("the local disk refused the video media: the spool directory "
                        + notADirectory.resolve("spool")
                        + " (luma.harvest.spool-dir) cannot be written: Not a directory");
    }
}
