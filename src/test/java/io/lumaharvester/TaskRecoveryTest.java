package io.lumaharvester;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.time.Clock;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
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

    private final TaskRecovery recovery = new TaskRecovery(new PollSchedule(1000, 8000, Clock.systemUTC()), 5, 3);

    private static Exchange afterError(Exception error, TaskTicket ticket) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, error);
        if (ticket != null) {
            exchange.setProperty(GenerationReader.TICKET, ticket);
        }
        return exchange;
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
                Arguments.of("S3 failed", new StorageFailedException("S3 failed", null), true),
                Arguments.of("the CDN failed", new MediaUnavailableException("HTTP 503"), true),
                Arguments.of("an I/O error", new IOException("reset"), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void kafkaErrorsAreLeftToRedeliveryAndNeverCostAMediaAttempt(String name, Exception error, boolean handled) {
        assertThat(recovery.retriesTask(afterError(error, harvesting()))).isEqualTo(handled);
    }

    @Test
    void anErrorWithNoTaskInHandIsNotHandled() {
        assertThat(recovery.retriesTask(afterError(new IOException("reset"), null))).isFalse();
    }

    @Test
    void storageRefusalsEndTheTaskAfterTheirLimitWithoutUsingMediaAttempts() {
        TaskTicket ticket = harvesting();
        StorageRejectedException refused = new StorageRejectedException(
                "S3 refused the video media: AccessDenied (403)", null);
        for (int refusal = 1; refusal < 3; refusal++) {
            Exchange exchange = afterError(refused, ticket);
            ticket = recovery.afterError(exchange);
            assertThat(exchange.getMessage().getHeader(GenerationReader.OUTCOME)).isEqualTo("running");
            assertThat(ticket.storageRejections()).isEqualTo(refusal);
            assertThat(ticket.mediaAttempts()).isZero();
            ticket = ticket.polled("completed", harvesting().generation());
        }
        Exchange third = afterError(refused, ticket);
        recovery.afterError(third);
        assertThat(third.getMessage().getHeader(GenerationReader.OUTCOME)).isEqualTo("failed");
        assertThat(third.getProperty(GenerationReader.FAILURE, Failure.class))
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
                        "the local disk: FileSystemException: /tmp/x: Read-only file system"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storageErrors")
    void storageErrorsArePermanentOnlyWhenAnotherTryCannotChangeThem(Exception error, String refusal) {
        StorageErrors.Refusal found = StorageErrors.refusal(error);
        assertThat(found == null ? null : found.refuser() + ": " + found.why()).isEqualTo(refusal);
    }
}
