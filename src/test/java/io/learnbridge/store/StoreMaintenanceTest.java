package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.store.Store;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StoreMaintenanceTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Deque<int[]> outcomes = new ArrayDeque<>();
    private int passes;
    private int shrinks;
    private final Deque<long[]> shrinkOutcomes = new ArrayDeque<>();

    private final StoreMaintenance maintenance = new StoreMaintenance((belowFillRate, budget) -> {
        passes++;
        int[] fill = outcomes.poll();
        return fill == null ? null : new Store.Compaction(fill[0], fill[1], 100 << 20, 100 << 20, Duration.ofMillis(600));
    }, (belowFillRate, budget, maxWait) -> {
        shrinks++;
        long[] mb = shrinkOutcomes.poll();
        return mb == null ? null : new Store.Shrink(40, 40, mb[0] << 20, mb[1] << 20, Duration.ofMillis(300), Duration.ofMillis(300));
    }, 60, Duration.ofSeconds(5), clock::get);

    @Test
    void aPassThatFreesNoSpaceSkipsTheNextPassesForTwoMinutesThenLongerEachTime() {
        outcomes.add(new int[] {5, 5});
        assertThat(maintenance.compact()).isEqualTo(5);
        assertThat(passes).isEqualTo(1);

        advance(Duration.ofSeconds(30));
        assertThat(maintenance.compact()).isEqualTo(100);
        advance(Duration.ofSeconds(89));
        maintenance.compact();
        assertThat(passes).as("skipped inside the first two minutes").isEqualTo(1);

        advance(Duration.ofSeconds(2));
        outcomes.add(new int[] {6, 7});
        maintenance.compact();
        assertThat(passes).isEqualTo(2);

        advance(Duration.ofSeconds(239));
        maintenance.compact();
        assertThat(passes).as("the second back-off is four minutes").isEqualTo(2);
        advance(Duration.ofSeconds(2));
        outcomes.add(new int[] {7, 7});
        maintenance.compact();
        assertThat(passes).isEqualTo(3);
    }

    @Test
    void theBackOffStopsGrowingAtHalfAnHour() {
        for (int i = 0; i < 6; i++) {
            outcomes.add(new int[] {5, 5});
            maintenance.compact();
            advance(StoreMaintenance.LONGEST_BACK_OFF.plusSeconds(1));
        }
        assertThat(passes).as("2, 4, 8, 16, 30, 30 minutes: each pass after its back-off ran").isEqualTo(6);

        outcomes.add(new int[] {5, 5});
        maintenance.compact();
        advance(StoreMaintenance.LONGEST_BACK_OFF.minusSeconds(1));
        maintenance.compact();
        assertThat(passes).isEqualTo(7);
    }

    @Test
    void aPassThatFreesSpaceOrReachesTheThresholdKeepsTheScheduleAndEndsABackOff() {
        outcomes.add(new int[] {5, 5});
        maintenance.compact();
        advance(StoreMaintenance.FIRST_BACK_OFF.plusSeconds(1));

        outcomes.add(new int[] {20, 45});
        assertThat(maintenance.compact()).isEqualTo(45);
        advance(Duration.ofSeconds(30));
        outcomes.add(new int[] {50, 61});
        assertThat(maintenance.compact()).isEqualTo(61);
        advance(Duration.ofSeconds(30));
        assertThat(maintenance.compact()).as("nothing to do").isEqualTo(100);

        assertThat(passes).isEqualTo(4);
    }

    @Test
    void aPassNowRunsWhateverTheBackOff() {
        outcomes.add(new int[] {5, 5});
        maintenance.compact();
        outcomes.add(new int[] {5, 40});

        Store.Compaction now = maintenance.compactNow();

        assertThat(now.fillRateAfter()).isEqualTo(40);
        assertThat(passes).isEqualTo(2);
    }

    @Test
    void theStoresSpaceIsGivenBackOnEveryRunWhateverTheRewritesBackOff() {
        outcomes.add(new int[] {5, 5});
        maintenance.compact();
        assertThat(shrinks).isEqualTo(1);
        advance(Duration.ofSeconds(30));
        maintenance.compact();
        assertThat(passes).as("the rewrite backs off").isEqualTo(1);
        assertThat(shrinks).as("giving space back does not: it gave back what it could").isEqualTo(2);
    }

    @Test
    void aRunThatGivesNothingBackSkipsTheNextForTwoMinutesThenLongerWhileTheRewriteGoesOn() {
        shrinkOutcomes.add(new long[] {3_800, 3_800});
        maintenance.compact();
        assertThat(shrinks).isEqualTo(1);

        advance(Duration.ofSeconds(119));
        maintenance.compact();
        assertThat(shrinks).as("skipped inside two minutes").isEqualTo(1);
        assertThat(passes).as("the rewrite is not").isEqualTo(2);

        advance(Duration.ofSeconds(2));
        shrinkOutcomes.add(new long[] {3_800, 3_800});
        maintenance.compact();
        assertThat(shrinks).isEqualTo(2);
        advance(Duration.ofSeconds(239));
        maintenance.compact();
        assertThat(shrinks).as("four minutes the second time").isEqualTo(2);

        maintenance.compactNow();
        assertThat(shrinks).as("a pass now, whatever the back-off").isEqualTo(3);
        advance(Duration.ofSeconds(2));
        shrinkOutcomes.add(new long[] {3_800, 2_000});
        maintenance.compact();
        advance(Duration.ofSeconds(30));
        maintenance.compact();
        assertThat(shrinks).as("space given back: every run again").isEqualTo(5);
    }

    private void advance(Duration by) {
        clock.addAndGet(by.toNanos());
    }
}
