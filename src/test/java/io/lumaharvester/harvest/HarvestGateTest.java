package io.lumaharvester.harvest;

import io.lumaharvester.due.DueGate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class HarvestGateTest {

    private final AtomicBoolean pollsLag = new AtomicBoolean();
    private final DueGate gate = HarvestGate.of(32, 1, pollsLag::get);

    private static int acquired(DueGate gate) {
        int n = 0;
        while (gate.tryAcquire()) {
            n++;
        }
        return n;
    }

    @Test
    void asManyTasksCopyAsTheSettingAllowsWhilePollsKeepTheirSchedule() {
        assertThat(acquired(gate)).isEqualTo(32);
        gate.release();
        assertThat(gate.tryAcquire()).isTrue();
    }

    @Test
    void whilePollsLagOneTaskCopiesAndTheRestWaitOnKafka() {
        pollsLag.set(true);
        assertThat(acquired(gate)).isEqualTo(1);

        pollsLag.set(false);
        assertThat(acquired(gate)).as("full width again once polls keep up").isEqualTo(31);

        pollsLag.set(true);
        for (int i = 0; i < 31; i++) {
            gate.release();
        }
        assertThat(gate.tryAcquire()).as("one still copying").isFalse();
        gate.release();
        assertThat(gate.tryAcquire()).isTrue();
    }

    @Test
    void byDefaultCopiesAreNeverHeldBack() {
        assertThat(acquired(HarvestGate.of(32, 32, () -> true))).isEqualTo(32);
    }

    @Test
    void aSingleCopyIsAlwaysAllowed() {
        DueGate narrow = HarvestGate.of(2, 0, () -> true);
        assertThat(narrow.tryAcquire()).isTrue();
        assertThat(narrow.tryAcquire()).isFalse();
    }
}
