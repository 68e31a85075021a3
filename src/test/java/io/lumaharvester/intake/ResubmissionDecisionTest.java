package io.lumaharvester.intake;

import io.lumaharvester.publish.GenerationEvent;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ResubmissionDecisionTest {

    @Test
    void anIdNeverSeenIsANewRun() {
        assertThat(Resubmission.decide(null, "0-7")).isEqualTo(Resubmission.NEW);
    }

    @Test
    void theRecordThatStartedTheRunReadAgainAfterACrashIsTheSameRun() {
        assertThat(Resubmission.decide(TaskState.running("0-7", 0), "0-7")).isEqualTo(Resubmission.REPLAYED);
        assertThat(Resubmission.REPLAYED.runs()).isTrue();
    }

    @Test
    void theRecordThatStartedAnEndedRunReadAgainAfterACrashDoesNothing() {
        TaskState completed = TaskState.ended("0-7", GenerationEvent.COMPLETED,
                JsonNodeFactory.instance.objectNode().put("task_id", "t"), Map.of("ce_id", "x"));
        TaskState failed = TaskState.ended("0-7", GenerationEvent.FAILED, null, null);
        assertThat(Resubmission.decide(completed, "0-7")).isEqualTo(Resubmission.REPLAYED_ENDED);
        assertThat(Resubmission.decide(failed, "0-7")).isEqualTo(Resubmission.REPLAYED_ENDED);
        assertThat(Resubmission.REPLAYED_ENDED.runs()).isFalse();
    }

    @Test
    void anotherRecordWhileTheRunIsInFlightIsIgnored() {
        assertThat(Resubmission.decide(TaskState.running("0-7", 0), "1-3")).isEqualTo(Resubmission.IN_FLIGHT);
        assertThat(Resubmission.IN_FLIGHT.runs()).isFalse();
    }

    @Test
    void anIdSentAgainAfterItCompletedGetsItsEventAgainWithoutARun() {
        TaskState completed = TaskState.ended("0-7", GenerationEvent.COMPLETED,
                JsonNodeFactory.instance.objectNode().put("task_id", "t"), Map.of("ce_id", "x"));
        assertThat(Resubmission.decide(completed, "0-9")).isEqualTo(Resubmission.REPUBLISHED);
        assertThat(Resubmission.REPUBLISHED.runs()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"provider_failed", "timeout", "not_found", "media_rejected", "media_unavailable",
            "storage_rejected", "record_too_large"})
    void anIdSentAgainAfterAnyFailureStartsANewRun(String reason) {
        // the recorded end keeps the status only: every failure reason is decided alike
        TaskState failed = TaskState.ended("0-7", GenerationEvent.FAILED, null, null);
        assertThat(Resubmission.decide(failed, "0-9")).as(reason).isEqualTo(Resubmission.RERUN);
        assertThat(Resubmission.RERUN.runs()).isTrue();
    }
}
