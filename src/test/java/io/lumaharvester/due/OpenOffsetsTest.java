package io.lumaharvester.due;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class OpenOffsetsTest {

    @Test
    void theOldestOffsetNotDoneIsFirstWhateverOrderTheyFinishIn() {
        OpenOffsets open = new OpenOffsets();
        for (long offset = 100; offset < 110; offset++) {
            open.add(offset);
        }
        open.remove(103);
        open.remove(100);
        assertThat(open.first()).isEqualTo(101);
        open.remove(101);
        open.remove(102);
        assertThat(open.first()).isEqualTo(104);
        for (long offset = 104; offset < 110; offset++) {
            open.remove(offset);
        }
        assertThat(open.isEmpty()).isTrue();
    }

    /** Against a TreeSet, the structure it replaces: thousands held at once, finishing in random order. */
    @Test
    void itAgreesWithASortedSetOverManyRecordsFinishingOutOfOrder() {
        Random random = new Random(28);
        OpenOffsets open = new OpenOffsets();
        TreeSet<Long> expected = new TreeSet<>();
        List<Long> held = new ArrayList<>();
        long next = 0;
        for (int round = 0; round < 200; round++) {
            for (int i = random.nextInt(100); i > 0; i--) {
                // now and then an offset again, or one out of order
                long offset = random.nextInt(50) == 0 && next > 5 ? next - 1 - random.nextInt(5) : next++;
                open.add(offset);
                expected.add(offset);
                held.add(offset);
            }
            Collections.shuffle(held, random);
            for (int i = random.nextInt(held.size() + 1); i > 0; i--) {
                long offset = held.remove(held.size() - 1);
                open.remove(offset);
                expected.remove(offset);
            }
            assertThat(open.isEmpty()).isEqualTo(expected.isEmpty());
            if (!expected.isEmpty()) {
                assertThat(open.first()).isEqualTo(expected.first());
            }
        }
    }

    @Test
    void anOffsetNotHeldIsIgnored() {
        OpenOffsets open = new OpenOffsets();
        open.add(5);
        open.remove(4);
        open.remove(6);
        assertThat(open.first()).isEqualTo(5);
    }
}
