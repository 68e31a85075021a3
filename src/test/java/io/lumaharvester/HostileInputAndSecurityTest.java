package io.lumaharvester;

import io.lumaharvester.dev.Events;
import io.lumaharvester.dev.HarvesterExtension;
import io.lumaharvester.dev.LogCapture;

import io.lumaharvester.harvest.S3Metadata;
import io.lumaharvester.intake.TaskIntakeTest;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.lumaharvester.dev.CdnStandIn;
import io.lumaharvester.dev.LumaApiStandIn;
import io.lumaharvester.dev.StandIns;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.provider.Arguments;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Bad records, hostile headers and a leaky-looking prompt: a clear error for each, and nothing else affected. Each
 * test is a task (or records) of its own, found by its id, and what it reads of the log names its own tasks: they
 * run side by side.
 */
@Execution(ExecutionMode.CONCURRENT)
class HostileInputAndSecurityTest {

    /**
     * Taken alone by a test that waits until the harvester has nothing in flight (Events.awaitDrained), which the
     * other tests' tasks would put off; shared by the others.
     */
    private static final String DRAIN = "harvester-drained";

    /** Everything the application logs, from before it starts. */
    @RegisterExtension
    static final LogCapture logs = new LogCapture();

    @RegisterExtension
    static final HarvesterExtension harvester = new HarvesterExtension("hostile", Map.of(
            "luma.poll.interval-ms", "200"));

    private final StandIns standIns = harvester.standIns();

    private String topic(String setting) {
        return harvester.setting(setting);
    }

    private JsonNode onlyEvent(String taskId) throws Exception {
        return Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(40)));
    }

    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void everyRecordOfTheHostileCorpusIsDeadLetteredAsItCameAndAGoodTaskStillCompletes() throws Exception {
        List<Arguments> corpus = TaskIntakeTest.notTasks().toList();
        String run = UUID.randomUUID().toString();
        for (int i = 0; i < corpus.size(); i++) {
            byte[] value = (byte[]) corpus.get(i).get()[1];
            standIns.kafka.send(topic("luma.topics.tasks"), ("bad-" + run + "-" + i).getBytes(StandardCharsets.UTF_8),
                    value, Map.of("X-Forwarded-For", "10.0.0.1".getBytes(StandardCharsets.UTF_8)));
        }
        String good = "good-" + UUID.randomUUID();
        standIns.api.completesAfter(good, List.of("pending"), 10_000);
        standIns.kafka.send(topic("luma.topics.tasks"), good);

        assertThat(onlyEvent(good).get("status").asText()).isEqualTo("completed");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters(run).size() == corpus.size());
        List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(run);
        assertThat(dead).hasSize(corpus.size());
        for (int i = 0; i < corpus.size(); i++) {
            Object[] entry = corpus.get(i).get();
            String key = "bad-" + run + "-" + i;
            ConsumerRecord<byte[], byte[]> record = Events.forKey(dead, key).get(0);
            assertThat(record.value()).as("%s: the original bytes", entry[0]).isEqualTo((byte[]) entry[1]);
            assertThat(Events.header(record, "luma.dlq.reason")).as("%s", entry[0]).isEqualTo(entry[2]);
            assertThat(Events.header(record, "luma.dlq.detail")).isNotBlank();
            assertThat(Events.header(record, "luma.dlq.source-topic")).isEqualTo(topic("luma.topics.tasks"));
            assertThat(Events.header(record, "luma.dlq.source-partition")).matches("[0-9]+");
            assertThat(Events.header(record, "luma.dlq.source-offset")).matches("[0-9]+");
            assertThat(Events.header(record, "X-Forwarded-For")).as("no inbound header travels on").isNull();
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> deadLetters(String run) {
        return Events.records(standIns, topic("luma.topics.dlq")).stream()
                .filter(r -> r.key() != null && new String(r.key(), StandardCharsets.UTF_8).startsWith("bad-" + run))
                .toList();
    }

    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void theTokenGoesOnlyToTheApiAndInboundHeadersGoNowhere() throws Exception {
        String taskId = "headers-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("processing"), 50_000);
        Map<String, byte[]> hostile = Map.of(
                "Authorization", utf8("Bearer evil"),
                "Host", utf8("evil.example"),
                "X-Forwarded-For", utf8("10.6.6.6"),
                "kafka.KEY", utf8("evil-key"),
                "kafka.OVERRIDE_TOPIC", utf8("evil-topic"),
                "CamelHttpUri", utf8("http://127.0.0.2:9/evil"));
        standIns.kafka.send(topic("luma.topics.tasks"), null, utf8(taskId), hostile);

        assertThat(onlyEvent(taskId).get("status").asText()).isEqualTo("completed");

        List<LoggedRequest> apiRequests = standIns.api.requestsFor(taskId);
        assertThat(apiRequests).hasSize(2).allSatisfy(request -> {
            assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + StandIns.TOKEN);
            assertThat(request.getHeader("Host")).startsWith("127.0.0.1:");
            assertThat(request.containsHeader("X-Forwarded-For")).isFalse();
            assertThat(request.getHeaders().all()).noneMatch(h -> h.firstValue().contains("evil")
                    || h.key().toLowerCase().startsWith("kafka") || h.key().toLowerCase().startsWith("camel"));
        });

        List<CdnStandIn.SeenRequest> cdnRequests = standIns.cdn.requests().stream()
                .filter(r -> r.path().startsWith("/" + taskId + "/")).toList();
        assertThat(cdnRequests).hasSize(3).allSatisfy(request -> request.headers().forEach((name, values) -> {
            assertThat(name).isNotEqualToIgnoringCase("Authorization").doesNotStartWithIgnoringCase("kafka")
                    .isNotEqualToIgnoringCase("X-Forwarded-For");
            assertThat(values).noneMatch(v -> v.contains(StandIns.TOKEN) || v.contains("evil"));
        }));

        for (String setting : StandIns.topics("hostile").keySet()) {
            for (ConsumerRecord<byte[], byte[]> record : Events.records(standIns, topic(setting))) {
                assertThat(contains(record.value(), StandIns.TOKEN)).as("token in a record of %s", setting).isFalse();
                for (Header header : record.headers()) {
                    assertThat(contains(header.value(), StandIns.TOKEN)).as("token in a header on %s", setting)
                            .isFalse();
                    // the input topic holds the hostile record as it was sent; no topic we write carries it on
                    if (!setting.equals("luma.topics.tasks")) {
                        assertThat(header.key()).as("header on %s", setting).isNotEqualToIgnoringCase("Authorization")
                                .isNotEqualToIgnoringCase("X-Forwarded-For");
                    }
                }
            }
        }
        try (S3Client s3 = standIns.s3.client()) {
            for (String key : List.of("video.mp4", "thumbnail.webp", "last_frame.jpg")) {
                Map<String, String> metadata = s3.headObject(b -> b.bucket(StandIns.BUCKET)
                        .key("luma/" + taskId + "/" + key)).metadata();
                assertThat(metadata).containsEntry("luma-task-id", taskId);
                assertThat(metadata.toString()).doesNotContain(StandIns.TOKEN);
            }
        }
        assertThat(logs.text()).contains(taskId).doesNotContain(StandIns.TOKEN);
        assertThat(media.byRole()).hasSize(3);
    }

    static java.util.stream.Stream<Arguments> senderDueHeaders() {
        byte[] far = java.nio.ByteBuffer.allocate(Long.BYTES).putLong(Long.MAX_VALUE).array();
        return java.util.stream.Stream.of(
                Arguments.of("due in the year 5138, step 999", utf8("99999999999999"), utf8("999")),
                Arguments.of("due at Long.MAX_VALUE as 8 bytes, step 999 as 8 bytes", far,
                        java.nio.ByteBuffer.allocate(Long.BYTES).putLong(999).array()),
                Arguments.of("garbage bytes", new byte[] {(byte) 0xff, 0, (byte) 0xfe, 7}, new byte[] {(byte) 0x80}));
    }

    /**
     * The users' systems write luma.tasks: a record's headers there mean nothing. A task sent with the harvester's own
     * due headers (and a token) runs like any other, and the next task on its partition completes too.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("senderDueHeaders")
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void aTaskSentWithTheHarvestersDueHeadersCompletesLikeAnyOtherAndSoDoesTheNextOnItsPartition(String row,
            byte[] dueAt, byte[] step) throws Exception {
        String run = UUID.randomUUID().toString();
        String pinned = "due-headers-" + run;
        String next = "after-due-headers-" + run;
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(pinned, List.of("processing"), 20_000);
        standIns.api.completesAfter(next, List.of(), 10_000);
        // one key for both: the same partition
        byte[] key = utf8("partition-of-" + run);
        standIns.kafka.send(topic("luma.topics.tasks"), key, utf8(pinned), Map.of(
                "luma-due-at", dueAt, "luma-step", step, "Authorization", utf8("Bearer x")));
        standIns.kafka.send(topic("luma.topics.tasks"), key, utf8(next), Map.of());

        assertThat(onlyEvent(pinned).get("status").asText()).as(row).isEqualTo("completed");
        assertThat(onlyEvent(next).get("status").asText()).as(row).isEqualTo("completed");
        try (S3Client s3 = standIns.s3.client()) {
            List<String> objects = s3.listObjectsV2(b -> b.bucket(StandIns.BUCKET).prefix("luma/" + pinned + "/"))
                    .contents().stream().map(o -> o.key()).toList();
            assertThat(objects).hasSize(media.byRole().size());
            for (String object : objects) {
                String role = object.substring(object.lastIndexOf('/') + 1).split("\\.")[0];
                assertThat(Events.sha256OfObject(standIns.s3, StandIns.BUCKET, object)).as(object)
                        .isEqualTo(media.byRole().get(role).sha256());
            }
        }
    }

    /**
     * A completed generation padded to 50 MB: read whole, it would complete the task on its first poll. Past
     * luma.api.max-response-bytes it is a failed poll that backs off, and the next answer completes the task.
     */
    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void anApiAnswerLargerThanTheLimitIsAFailedPollNotAnOutOfMemoryError() throws Exception {
        String taskId = "huge-answer-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(taskId, 10_000);
        byte[] completed = LumaApiStandIn.completedBody(media).toString().getBytes(StandardCharsets.UTF_8);
        byte[] huge = new byte[50 * 1024 * 1024];
        Arrays.fill(huge, (byte) ' ');
        System.arraycopy(completed, 0, huge, 0, completed.length);
        standIns.api.answer(taskId, List.of(
                WireMock.aResponse().withStatus(200)
                        .withHeader("Content-Type", "application/json").withBody(huge),
                LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        harvester.submit(taskId);

        JsonNode event = Events.value(Events.awaitOnlyEvent(standIns, harvester.setting("luma.topics.events"), taskId,
                Duration.ofSeconds(60)));
        assertThat(event.get("status").asText()).isEqualTo("completed");
        assertThat(event.get("polls").asInt()).as("the huge answer was not taken").isEqualTo(2);
        assertThat(logs.text()).containsPattern(taskId + ".*luma.api.max-response-bytes=262144");
    }

    /** The task, completed at its first poll with this prompt in its generation's request. */
    private void submitCompletedWithPrompt(String taskId, String prompt) throws Exception {
        ObjectNode body = LumaApiStandIn.completedBody(standIns.api.completedMedia(taskId, 10_000));
        ((ObjectNode) body.get("request")).put("prompt", prompt);
        standIns.api.answer(taskId, List.of(LumaApiStandIn.json(body)));
        standIns.kafka.send(topic("luma.topics.tasks"), taskId);
    }

    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void aPromptInAnyScriptIsStoredAsAsciiMetadataAndCarriedIntactInTheEvent() throws Exception {
        String taskId = "prompt-" + UUID.randomUUID();
        String prompt = "美人鱼 \"mermaid\" 'tail'\r\nsecond line; ünïcödé ✓";
        submitCompletedWithPrompt(taskId, prompt);

        assertThat(onlyEvent(taskId).get("prompt").asText()).isEqualTo(prompt);
        try (S3Client s3 = standIns.s3.client()) {
            String stored = s3.headObject(b -> b.bucket(StandIns.BUCKET).key("luma/" + taskId + "/video.mp4"))
                    .metadata().get("luma-prompt");
            assertThat(stored).matches("[\\x21-\\x7e]+");
            assertThat(URLDecoder.decode(stored, StandardCharsets.UTF_8)).isEqualTo(prompt);
        }
    }

    /**
     * A CR LF in what the provider says would start a forged line in the log. Each reaches the log escaped, on its
     * own line, and the task still ends as it should: an unknown state is still running, a failure carries its reason.
     */
    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void crlfInTheProvidersStateOrFailureReasonForgesNoLogLineAndTheTaskStillEnds() throws Exception {
        String running = "crlf-state-" + UUID.randomUUID();
        String failed = "crlf-reason-" + UUID.randomUUID();
        String forged = "\r\nio.lumaharvester.tasks task victim: completed (reason none), event sent FORGED\u2028x";
        LumaApiStandIn.ServedMedia media = standIns.api.completedMedia(running, 10_000);
        standIns.api.answer(running, List.of(
                LumaApiStandIn.json(LumaApiStandIn.runningBody(running, "dreaming" + forged)),
                LumaApiStandIn.json(LumaApiStandIn.completedBody(media))));
        standIns.api.answer(failed, List.of(
                LumaApiStandIn.json(LumaApiStandIn.failedBody(failed, "moderation" + forged))));
        standIns.kafka.send(topic("luma.topics.tasks"), running);
        standIns.kafka.send(topic("luma.topics.tasks"), failed);

        assertThat(onlyEvent(running).get("status").asText()).isEqualTo("completed");
        JsonNode failure = onlyEvent(failed).get("failure");
        assertThat(failure.get("reason").asText()).isEqualTo("provider_failed");
        assertThat(failure.get("detail").asText()).as("the event carries the reason as the provider said it")
                .isEqualTo("moderation" + forged);

        String escaped = "\\r\\nio.lumaharvester.tasks task victim: completed (reason none), event sent FORGED"
                + "\\u2028x";
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> logs.text().contains(failed + ": failed"));
        assertThat(logs.text()).contains("state dreaming" + escaped + "), running")
                .contains("(reason provider_failed: moderation" + escaped + "), event sent");
        assertThat(logs.text().lines().filter(line -> line.contains("FORGED")))
                .as("every line naming FORGED is one of the two tasks' own: their two task lines, and the provider's "
                        + "line naming a state its profile does not list")
                .hasSize(3)
                .allMatch(line -> line.startsWith("io.lumaharvester.tasks task crlf-")
                        || line.startsWith("io.lumaharvester.provider.Provider task crlf-state-"));
    }

    /**
     * AWS refuses user metadata over 2 KB (MetadataTooLarge), on every attempt; S3Proxy does not enforce it, so this
     * checks what was sent: the metadata read back fits, with the whole prompt's sha256 and the truncation marker.
     */
    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void aPromptOf2Point5KbIsCutSoThatTheStoredMetadataFits2KbAndTheEventCarriesItWhole() throws Exception {
        String taskId = "long-prompt-" + UUID.randomUUID();
        String prompt = "一条美人鱼在月光下的海面上唱歌，".repeat(54);
        assertThat(prompt.getBytes(StandardCharsets.UTF_8).length).isBetween(2500, 2600);
        submitCompletedWithPrompt(taskId, prompt);

        assertThat(onlyEvent(taskId).get("prompt").asText()).isEqualTo(prompt);
        try (S3Client s3 = standIns.s3.client()) {
            for (String key : List.of("video.mp4", "thumbnail.webp", "last_frame.jpg")) {
                Map<String, String> metadata = s3.headObject(b -> b.bucket(StandIns.BUCKET)
                        .key("luma/" + taskId + "/" + key)).metadata();
                int total = metadata.entrySet().stream().mapToInt(e -> ("x-amz-meta-" + e.getKey() + e.getValue())
                        .getBytes(StandardCharsets.UTF_8).length).sum();
                assertThat(total).as(key).isLessThanOrEqualTo(2048);
                assertThat(metadata).containsEntry("luma-prompt-truncated", "true")
                        .containsEntry("luma-prompt-sha256", S3Metadata.sha256Hex(prompt));
                assertThat(prompt).startsWith(URLDecoder.decode(metadata.get("luma-prompt"), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * The stored Content-Type is the CDN's only when the role allows it, and the key's extension comes from the role
     * and the URL, never from what the CDN says on one attempt.
     */
    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void aVideoServedAsHtmlIsStoredAsOctetStreamUnderItsUsualKey() throws Exception {
        String taskId = "html-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of(), 10_000);
        CdnStandIn.MediaFile video = media.byRole().get("video");
        standIns.cdn.serve(media.urlByRole().get("video").substring(standIns.cdn.baseUrl().length()), "text/html",
                video.size(), video.seed());
        standIns.kafka.send(topic("luma.topics.tasks"), taskId);

        JsonNode event = onlyEvent(taskId);
        assertThat(event.at("/media/0/key").asText()).isEqualTo("luma/" + taskId + "/video.mp4");
        assertThat(event.at("/media/0/content_type").asText()).isEqualTo("application/octet-stream");
        assertThat(event.at("/media/1/content_type").asText()).isEqualTo("image/webp");
        try (S3Client s3 = standIns.s3.client()) {
            assertThat(s3.headObject(b -> b.bucket(StandIns.BUCKET).key("luma/" + taskId + "/video.mp4"))
                    .contentType()).isEqualTo("application/octet-stream");
        }
    }

    @Test
    @ResourceLock(DRAIN)
    void theSameTaskSentFiveTimesGivesOneSetOfObjectsAndOneEvent() throws Exception {
        String taskId = "twice-" + UUID.randomUUID();
        LumaApiStandIn.ServedMedia media = standIns.api.completesAfter(taskId, List.of("pending"), 10_000);
        for (int i = 0; i < 5; i++) {
            standIns.kafka.send(topic("luma.topics.tasks"), i % 2 == 0 ? taskId : "{\"task_id\":\"" + taskId + "\"}");
        }

        onlyEvent(taskId);
        Events.awaitDrained(standIns, harvester.setting("luma.kafka.group-id"), topic("luma.topics.tasks"),
                topic("luma.topics.polling"), topic("luma.topics.harvest"));
        assertThat(Events.forKey(Events.records(standIns, topic("luma.topics.events")), taskId)).hasSize(1);
        assertThat(standIns.api.requestsFor(taskId)).as("one poll loop").hasSize(2);
        media.urlByRole().values().forEach(url ->
                assertThat(standIns.cdn.hits(url.substring(standIns.cdn.baseUrl().length()))).isEqualTo(1));
    }

    /**
     * A ticket on an internal topic that this version cannot read (garbage) is dead-lettered with its reason and
     * never stalls its partition; one from a newer version, with fields this one does not know, is read as usual.
     */
    @Test
    @ResourceLock(value = DRAIN, mode = ResourceAccessMode.READ)
    void anUnreadableTicketIsDeadLetteredAndATicketWithUnknownFieldsIsRead() throws Exception {
        String run = UUID.randomUUID().toString();
        byte[] garbage = utf8("{\"task_id\": \"x\", \"polls\": \"not a number\"");
        standIns.kafka.send(topic("luma.topics.polling"), utf8("bad-" + run), garbage, Map.of());
        String newer = "newer-" + UUID.randomUUID();
        standIns.api.completesAfter(newer, List.of(), 10_000);
        long now = System.currentTimeMillis();
        standIns.kafka.send(topic("luma.topics.polling"), utf8(newer), utf8("{\"task_id\":\"" + newer
                + "\",\"metadata\":{},\"accepted_at\":" + now + ",\"deadline_at\":" + (now + 600_000)
                + ",\"next_poll_at\":" + now + ",\"step\":3,\"priority\":\"high\",\"hints\":{\"x\":1}}"),
                Map.of());

        assertThat(onlyEvent(newer).get("status").asText()).isEqualTo("completed");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters(run).size() == 1);
        ConsumerRecord<byte[], byte[]> dead = deadLetters(run).get(0);
        assertThat(dead.value()).isEqualTo(garbage);
        assertThat(Events.header(dead, "luma.dlq.reason")).isEqualTo("unreadable_ticket");
        assertThat(Events.header(dead, "luma.dlq.source-topic")).isEqualTo(topic("luma.topics.polling"));
    }

    private static boolean contains(byte[] haystack, String needle) {
        if (haystack == null) {
            return false;
        }
        byte[] n = utf8(needle);
        for (int i = 0; i + n.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + n.length, n, 0, n.length)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
