package io.lumaharvester.task;

import io.lumaharvester.provider.TestProviders;
import io.lumaharvester.harvest.SpoolSpace;
import io.lumaharvester.dev.HandClock;
import io.lumaharvester.harvest.StorageErrors;
import io.lumaharvester.ops.LumaApiAccessCheck;
import io.lumaharvester.poll.ApiGate;
import io.lumaharvester.poll.ApiGates;
import io.lumaharvester.poll.GenerationReader;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelExecutionException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** What a task's error does to it: Kafka's errors are not the task's, storage refusals are counted on their own. */
class TaskRecoveryTest {

    private final TaskRecovery recovery = recovery(new PollSchedule(1000, 8000, Clock.systemUTC()));

    /** 5 media attempts, 3 storage rejections; Kafka's default request size, the shipped answer and record limits. */
    private static TaskRecovery recovery(PollSchedule schedule) {
        return new TaskRecovery(schedule, 5, 3, 1_048_576, 262_144, 65_536);
    }

    private static TaskTicket harvesting() {
        return TaskTicket.accepted("t-1", null, 0, 60_000, 0).polled("completed",
                JsonNodeFactory.instance.objectNode().put("state", "completed"));
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                // error, handled by the task's error policy (else left to the due: consumer's redelivery)
                Arguments.of("Kafka: the write timed out", new TimeoutException("expired"), false),
                Arguments.of("Kafka: not enough replicas", new NotEnoughReplicasException("2 of 3"), false),
                Arguments.of("Kafka, wrapped by Camel", new CamelExecutionException("send", null,
                        new TimeoutException("metadata")), false),
                Arguments.of("Kafka refuses the record itself (too large)", new RecordTooLargeException("2 MB"), true),
                Arguments.of("S3 failed", new StorageUnavailableException("S3 failed", null), true),
                Arguments.of("the CDN failed", new MediaUnavailableException("HTTP 503"), true),
                Arguments.of("an I/O error", new IOException("reset"), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void kafkaErrorsAreLeftToRedeliveryAndNeverCostAMediaAttempt(String name, Exception error, boolean handled) {
        assertThat(recovery.retriesTask(harvesting(), error)).isEqualTo(handled);
    }

    /**
     * A ticket Kafka refuses as too large would be refused on every try: the task ends at once, with the ticket that
     * was refused (its poll and the provider's state count) and a detail naming the record, its size and the limits.
     */
    @Test
    void aNextTicketKafkaRefusesAsTooLargeEndsTheTaskNamingItsSizeTheLimitsAndTheSettings() {
        TaskTicket polled = TaskTicket.accepted("t-1", null, 0, 60_000, 0);
        TaskTicket next = polled.polled("completed", JsonNodeFactory.instance.objectNode().put("state", "completed")
                .put("padding", "x".repeat(2_000)));
        TaskStep step = recovery.afterError(polled, next, new CamelExecutionException("send", null,
                new RecordTooLargeException("The request included a message larger than the max message size the "
                        + "server will accept.")), "kafka://luma.tasks.harvest");
        TaskTicket last = step.ticket();

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        Failure failure = step.failure();
        assertThat(failure.reason()).isEqualTo(Failure.RECORD_TOO_LARGE);
        assertThat(failure.detail()).startsWith("Kafka refused the task's next ticket on luma.tasks.harvest (")
                .containsPattern("\\(2[0-9]{3} bytes\\) as too large \\(RecordTooLargeException: The request included")
                .contains("kafka.client.max.request.size (1048576)", "the topic's max.message.bytes",
                        "luma.api.max-response-bytes=262144", "luma.tasks.max-record-bytes=65536");
        assertThat(last).isSameAs(next);
        assertThat(last.mediaAttempts()).as("no media attempt used").isZero();
    }

    @Test
    void anEventKafkaRefusesAsTooLargeEndsTheTaskNamingTheTopic() {
        TaskStep step = recovery.afterError(harvesting(), null, new RecordTooLargeException("The message is 2000123 "
                + "bytes when serialized which is larger than 1048576, which is the value of the max.request.size "
                + "configuration."), "kafka://luma.events?lingerMs=2");
        TaskTicket last = step.ticket();

        Failure failure = step.failure();
        assertThat(failure.reason()).isEqualTo(Failure.RECORD_TOO_LARGE);
        assertThat(failure.detail()).startsWith("Kafka refused the task's record on luma.events as too large "
                + "(RecordTooLargeException: The message is 2000123 bytes");
        assertThat(last.taskId()).isEqualTo("t-1");
        assertThat(last.mediaAttempts()).isZero();
    }

    /**
     * A ticket nested deeper than the tickets' mapper writes: what camel-jackson's marshal throws for it. The same
     * ticket would fail on every try, so the task ends with an event, never a dead letter.
     */
    @Test
    void aNextTicketThatCannotBeWrittenAsJsonEndsTheTaskRecordUnwritable() throws Exception {
        TaskTicket deep = TaskTicket.accepted("t-1", null, 0, 60_000, 0).polled("completed",
                new ObjectMapper().readTree("{\"state\":\"completed\",\"x\":" + "[".repeat(999) + "]".repeat(999)
                        + "}"));
        Exception unwritable = org.junit.jupiter.api.Assertions.assertThrows(
                com.fasterxml.jackson.core.JsonProcessingException.class, () -> new ObjectMapper().writeValueAsBytes(deep));

        assertThat(recovery.retriesTask(deep, unwritable)).as("the task's error").isTrue();
        TaskStep step = recovery.afterError(harvesting(), deep, unwritable, null);

        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.RECORD_UNWRITABLE);
        assertThat(step.failure().detail()).startsWith("the task's next ticket could not be written as JSON "
                + "(JsonMappingException: Document nesting depth (1001) exceeds the maximum allowed (1000");
        assertThat(step.ticket().mediaAttempts()).as("no media attempt").isZero();
    }

    @Test
    void aTaskStateWriteKafkaDoesNotAcknowledgeInTimeIsKafkaFailingAndCostsNoMediaAttempt() {
        // what the states' producer fails a write with once its delivery time-out has passed (TaskStatesTest)
        Exception timedOut = new org.apache.kafka.common.errors.TimeoutException(
                "Expiring 1 record(s) for luma.tasks.accepted-0:30001 ms has passed since batch creation");
        assertThat(recovery.retriesTask(harvesting(), timedOut)).isFalse();
    }

    @Test
    void anErrorWithNoTaskInHandIsNotHandled() {
        assertThat(recovery.retriesTask(null, new IOException("reset"))).isFalse();
    }

    @Test
    void storageRefusalsEndTheTaskAfterTheirLimitWithoutUsingMediaAttempts() {
        TaskTicket ticket = harvesting();
        StorageRejectedException refused = new StorageRejectedException(
                "S3 refused the video media: AccessDenied (403)", null);
        for (int refusal = 1; refusal < 3; refusal++) {
            TaskStep step = recovery.afterError(ticket, null, refused, null);
            ticket = step.ticket();
            assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
            assertThat(ticket.storageRejections()).isEqualTo(refusal);
            assertThat(ticket.mediaAttempts()).isZero();
            ticket = ticket.polled("completed", harvesting().generation());
        }
        TaskStep third = recovery.afterError(ticket, null, refused, null);
        assertThat(third.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(third.failure())
                .isEqualTo(new Failure(Failure.STORAGE_REJECTED, "S3 refused the video media: AccessDenied (403)"));
    }

    private static S3Exception s3(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).message(code).build();
    }

    static Stream<Arguments> storageErrors() {
        return Stream.of(
                // error, the refusal it is (null: temporary)
                Arguments.of(s3(404, "NoSuchBucket"), "S3: NoSuchBucket (404)"),
                Arguments.of(s3(403, "AccessDenied"), "S3: AccessDenied (403)"),
                Arguments.of(s3(400, "MetadataTooLarge"), "S3: MetadataTooLarge (400)"),
                Arguments.of(s3(400, "EntityTooLarge"), "S3: EntityTooLarge (400)"),
                Arguments.of(s3(400, "InvalidRequest"), "S3: InvalidRequest (400)"),
                Arguments.of(s3(400, "KMS.NotFoundException"), "S3: KMS.NotFoundException (400)"),
                Arguments.of(s3(301, "PermanentRedirect"), "S3: PermanentRedirect (301)"),
                Arguments.of(new CamelExecutionException("put", null, s3(403, "AccessDenied")),
                        "S3: AccessDenied (403)"),
                Arguments.of(s3(503, "SlowDown"), null),
                Arguments.of(s3(500, "InternalError"), null),
                Arguments.of(s3(400, "RequestTimeout"), null),
                Arguments.of(s3(400, "KMS.ThrottlingException"), null),
                Arguments.of(s3(404, "NoSuchUpload"), null),
                Arguments.of(SdkClientException.create("Unable to execute HTTP request: Connection refused"), null),
                Arguments.of(new java.net.SocketTimeoutException("Read timed out"), null),
                Arguments.of(new FileSystemException("/tmp/luma-media-1.part", null, "No space left on device"),
                        "the local disk: FileSystemException: /tmp/luma-media-1.part: No space left on device"),
                Arguments.of(new IOException("No space left on device"),
                        "the local disk: IOException: No space left on device"),
                Arguments.of(new FileSystemException("/tmp/x", null, "Read-only file system"),
                        "the local disk: FileSystemException: /tmp/x: Read-only file system"),
                // the spool directory itself: the directory and the setting are named
                Arguments.of(new SpoolSpace.DiskException(Path.of("/srv/a-file/spool"),
                        new FileSystemException("/srv/a-file/spool/luma-media-1.part", null, "Not a directory")),
                        "the local disk: the spool directory /srv/a-file/spool (luma.harvest.spool-dir) cannot be "
                                + "written: Not a directory (/srv/a-file/spool/luma-media-1.part)"),
                Arguments.of(new SpoolSpace.DiskException(Path.of("/gone"),
                        new NoSuchFileException("/gone/luma-media-1.part")),
                        "the local disk: the spool directory /gone (luma.harvest.spool-dir) cannot be written: No such "
                                + "file or directory (/gone/luma-media-1.part)"),
                Arguments.of(new SpoolSpace.DiskException(Path.of("/sys/kernel"),
                        new AccessDeniedException("/sys/kernel/luma-media-1.part")),
                        "the local disk: the spool directory /sys/kernel (luma.harvest.spool-dir) cannot be written: "
                                + "Permission denied (/sys/kernel/luma-media-1.part)"),
                Arguments.of(new SpoolSpace.DiskException(Path.of("/tmp"), new IOException("Input/output error")),
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storageErrors")
    void storageErrorsArePermanentOnlyWhenAnotherTryCannotChangeThem(Exception error, String refusal) {
        StorageErrors.Refusal found = StorageErrors.refusal(error);
        assertThat(found == null ? null : found.refuser() + ": " + found.why()).isEqualTo(refusal);
    }

    private static final long MEDIA_DEADLINE = 60_000;

    @Test
    void storageFailingForNowIsRetriedUntilTheMediaDeadlineThenTheTaskFailsMediaUnavailable() {
        HandClock clock = new HandClock(1_000_000);
        TaskRecovery recovery = recovery(new PollSchedule(1000, 8000, MEDIA_DEADLINE, clock));
        StorageUnavailableException s3Down = new StorageUnavailableException("S3 failed storing the video media (503)", null);
        TaskTicket ticket = harvesting().mediaSince(clock.millis());
        for (int i = 0; i < 5; i++) {
            TaskStep step = recovery.afterError(ticket, null, s3Down, null);
            ticket = step.ticket();
            assertThat(step.outcome()).isEqualTo(TaskStep.RUNNING);
            assertThat(ticket.completedAt()).isEqualTo(1_000_000);
            ticket = ticket.polled("completed", harvesting().generation());
            clock.advance(MEDIA_DEADLINE / 5 - 1);
        }
        clock.advance(5);
        TaskStep last = recovery.afterError(ticket, null, s3Down, null);
        assertThat(last.outcome()).isEqualTo(TaskStep.FAILED);
        Failure failure = last.failure();
        assertThat(failure.reason()).isEqualTo(Failure.MEDIA_UNAVAILABLE);
        assertThat(failure.detail()).contains("media deadline passed", "luma.harvest.deadline-ms", "S3 failed");
    }

    @Test
    void aMediaFailurePastTheDeadlineEndsTheTaskInsteadOfPollingForFreshUrls() {
        HandClock clock = new HandClock(1_000_000);
        TaskRecovery recovery = recovery(new PollSchedule(1000, 8000, MEDIA_DEADLINE, clock));
        TaskTicket ticket = harvesting().mediaSince(clock.millis());
        clock.advance(MEDIA_DEADLINE);
        TaskStep step = recovery.afterError(ticket, null, new MediaUnavailableException("HTTP 503 for the video media"),
                null);
        assertThat(step.outcome()).isEqualTo(TaskStep.FAILED);
        assertThat(step.failure().reason()).isEqualTo(Failure.MEDIA_UNAVAILABLE);
        assertThat(step.ticket().mediaAttempts()).as("one attempt of 5 used: the deadline ended it").isEqualTo(1);
    }

    @Test
    void aTicketWrittenBeforeCompletedAtExistedStartsItsMediaClockWhenRead() throws Exception {
        HandClock clock = new HandClock(2_000_000);
        TaskRecovery recovery = recovery(new PollSchedule(1000, 8000, MEDIA_DEADLINE, clock));
        ObjectMapper json = new ObjectMapper();
        // an older version's harvest ticket: no completed_at; an unknown field is ignored
        TaskTicket old = json.readValue("{\"task_id\":\"t-1\",\"metadata\":null,\"state\":\"completed\","
                + "\"generation\":{\"state\":\"completed\"},\"step\":3,\"from_the_future\":1}", TaskTicket.class);
        assertThat(old.completedAt()).isZero();
        TaskTicket next = recovery.afterError(old, null, new StorageUnavailableException("S3 failed", null), null).ticket();
        assertThat(next.completedAt()).isEqualTo(2_000_000);
        assertThat(json.readTree(json.writeValueAsString(next)).get("completed_at").asLong()).isEqualTo(2_000_000);
    }

    @Test
    void aRePollForFreshUrlsPastTheMediaDeadlineEndsTheTaskWhateverTheApiAnswers() {
        HandClock clock = new HandClock(1_000_000);
        PollSchedule schedule = new PollSchedule(1000, 8000, MEDIA_DEADLINE, clock);
        GenerationReader reader = new GenerationReader(schedule, 3, new LumaApiAccessCheck(),
                new ApiGates(p -> new ApiGate(10, 0, 1000, clock, new SimpleMeterRegistry())),
                TestProviders.builtIns());
        // the copy failed: the task polls again for fresh URLs, its media clock running
        TaskTicket ticket = harvesting().mediaSince(clock.millis()).mediaFailed();
        for (int status : new int[] {503, 410, 302, 200}) {
            TaskStep before = pollAnswered(reader, ticket, status);
            assertThat(before.outcome()).as("HTTP %d", status)
                    .isIn(TaskStep.RUNNING, TaskStep.COMPLETED);
        }
        clock.advance(MEDIA_DEADLINE);
        for (int status : new int[] {503, 410, 302, 200}) {
            TaskStep after = pollAnswered(reader, ticket, status);
            assertThat(after.outcome()).as("HTTP %d", status).isEqualTo(TaskStep.FAILED);
            assertThat(after.failure().detail())
                    .contains("luma.harvest.deadline-ms", "HTTP " + status);
        }
    }

    @Test
    void theFirstCompletedAnswerStartsTheMediaClockAndARePollKeepsIt() {
        HandClock clock = new HandClock(1_000_000);
        PollSchedule schedule = new PollSchedule(1000, 8000, MEDIA_DEADLINE, clock);
        GenerationReader reader = new GenerationReader(schedule, 3, new LumaApiAccessCheck(),
                new ApiGates(p -> new ApiGate(10, 0, 1000, clock, new SimpleMeterRegistry())),
                TestProviders.builtIns());
        TaskTicket running = TaskTicket.accepted("t-1", null, clock.millis(), 600_000, 0);
        TaskTicket harvest = pollAnswered(reader, running, 200).ticket();
        assertThat(harvest.completedAt()).isEqualTo(1_000_000);
        clock.advance(10_000);
        TaskTicket again = pollAnswered(reader, harvest.mediaFailed(), 200).ticket();
        assertThat(again.completedAt()).isEqualTo(1_000_000);
    }

    private static TaskStep pollAnswered(GenerationReader reader, TaskTicket ticket, int status) {
        return reader.read(ticket, status, java.util.Map.of(), status == 200 ? "{\"state\":\"completed\"}" : "");
    }
}
