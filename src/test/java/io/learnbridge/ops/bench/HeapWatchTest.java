package io.learnbridge.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HeapWatchTest {

    private static final long MB = 1024 * 1024;

    @Test
    void liveReadingsFollowWhatTheRunKeepsReachableAndAreOnlyTakenWhenAsked() throws Exception {
        HeapWatch.Peaks held;
        byte[][] kept = new byte[64][];
        try (HeapWatch watch = HeapWatch.start(Duration.ofMillis(100))) {
            for (int i = 0; i < kept.length; i++) {
                kept[i] = new byte[(int) MB];
            }
            Thread.sleep(600);
            held = watch.stop();
        }
        assertThat(kept[kept.length - 1]).hasSize((int) MB);
        assertThat(held.live()).as("a reading every 100 ms of 600").hasSizeGreaterThanOrEqualTo(2);
        assertThat(held.live()).as("each after the 64 MB held").allSatisfy(bytes -> assertThat(bytes).isGreaterThanOrEqualTo(64 * MB));
        assertThat(held.maxLive()).isEqualTo(held.live().stream().mapToLong(Long::longValue).max().orElseThrow());
        assertThat(held.fullGcCount()).as("the forced collections are not counted as the run's own").isZero();

        kept = null;
        HeapWatch.Peaks notAsked;
        try (HeapWatch watch = HeapWatch.start()) {
            Thread.sleep(300);
            notAsked = watch.stop();
        }
        assertThat(notAsked.live()).isEmpty();
        assertThat(notAsked.maxLive()).isEqualTo(-1);
    }
}
