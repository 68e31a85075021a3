package io.lumaharvester.harvest;

import io.lumaharvester.due.DueGate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class HarvestGateTest {

    private final AtomicBoolean pollsLag = new AtomicBoolean();
    private final DueGate gate = HarvestGate.of(32, pollsLag::get);

    private int acquired() {
        int n = 0;
        while (gate.tryAcquire()) {
            n++;
        }
        return n;
    }

    @Test
    void asManyTasksCopyAsTheSettingAllowsWhilePollsKeepTheirSchedule() {
        assertThat(acquired()).isEqualTo(32);
        gate.release();
        assertThat(gate.tryAcquire()).isTrue();
    }

    @Test
    void whilePollAnswersAreReadLateAQuarterOfThemCopyAndTheRestWaitOnKafka() {
        pollsLag.set(true);
        assertThat(acquired()).isEqualTo(8);

        pollsLag.set(false);
        assertThat(acquired()).as("full width again once polls keep up").isEqualTo(24);

        pollsLag.set(true);
        for (int i = 0; i < 24; i++) {
            gate.release();
        }
        assertThat(gate.tryAcquire()).as("8 still copying").isFalse();
        gate.release();
        assertThat(gate.tryAcquire()).isTrue();
    }

    @Test
    void aSingleCopyIsAlwaysAllowed() {
        DueGate narrow = HarvestGate.of(2, () -> true);
        assertThat(narrow.tryAcquire()).isTrue();
        assertThat(narrow.tryAcquire()).isFalse();
    }
}
