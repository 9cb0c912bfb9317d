package io.learnbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HeapWatchTest {

    private static final long MB = 1024 * 1024;

    @Test
    void liveReadingsFollowWhatTheRunKeepsReachableAndAreOnlyTakenWhenAsked() {
        HeapWatch.Peaks held;
        byte[][] kept = new byte[64][];
        try (HeapWatch watch = HeapWatch.start(Duration.ofMillis(100))) {
            for (int i = 0; i < kept.length; i++) {
                kept[i] = new byte[(int) MB];
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> watch.liveReadings() >= 2);
            held = watch.stop();
        }
        assertThat(kept[kept.length - 1]).hasSize((int) MB);
        assertThat(held.live()).as("a reading every 100 ms").hasSizeGreaterThanOrEqualTo(2);
        assertThat(held.live()).as("each after the 64 MB held").allSatisfy(bytes -> assertThat(bytes).isGreaterThanOrEqualTo(64 * MB));
        assertThat(held.maxLive()).isEqualTo(held.live().stream().mapToLong(Long::longValue).max().orElseThrow());
        assertThat(held.fullGcCount()).as("the forced collections are not counted as the run's own").isZero();

        kept = null;
        HeapWatch.Peaks notAsked;
        try (HeapWatch watch = HeapWatch.start()) {
            System.gc(); // a collection of the run's own is not a live reading
            notAsked = watch.stop();
        }
        assertThat(notAsked.live()).isEmpty();
        assertThat(notAsked.maxLive()).isEqualTo(-1);
    }
}
