package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StagingBehindTest {

    @Test
    void batchesAreStagedOneAtATimeInTheOrderHandedOverAndFinishWaitsForTheLast() {
        StagingBehind staging = new StagingBehind(1);
        List<Integer> staged = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 50; i++) {
            int batch = i;
            staging.submit(() -> staged.add(batch));
        }
        staging.finish();
        assertThat(staged).hasSize(50).isSorted();
    }

    @Test
    void theRouteIsHeldWhileTwoBatchesAreBehind() throws Exception {
        StagingBehind staging = new StagingBehind(2);
        CountDownLatch release = new CountDownLatch(1);
        staging.submit(() -> awaitLatch(release));
        staging.submit(() -> { });
        Thread third = new Thread(() -> staging.submit(() -> { }));
        third.start();
        // a third hand-over waits for the first batch
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(third::isAlive);
        release.countDown();
        third.join(5_000);
        assertThat(third.isAlive()).isFalse();
        staging.finish();
    }

    @Test
    void aFailedBatchIsThrownToTheRouteAndTheBatchesAfterItAreSkipped() {
        StagingBehind staging = new StagingBehind(3);
        List<Integer> staged = new CopyOnWriteArrayList<>();
        CountDownLatch failNow = new CountDownLatch(1);
        staging.submit(() -> {
            awaitLatch(failNow);
            throw new IllegalStateException("store down");
        });
        staging.submit(() -> staged.add(-1)); // waiting behind the batch that fails
        failNow.countDown();
        assertThatThrownBy(() -> {
            for (int i = 0; i < 5; i++) {
                int batch = i;
                staging.submit(() -> staged.add(batch));
            }
            staging.finish();
        }).isInstanceOf(IllegalStateException.class).hasMessage("store down");
        staging.abandon();
        assertThat(staged).isEmpty();
    }

    @Test
    void abandonLetsTheBatchBeingStagedEndAndSkipsTheOneWaiting() throws Exception {
        StagingBehind staging = new StagingBehind(4);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> staged = new CopyOnWriteArrayList<>();
        staging.submit(() -> {
            started.countDown();
            awaitLatch(release);
            staged.add("first");
        });
        staging.submit(() -> staged.add("second"));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Thread abandoning = new Thread(staging::abandon);
        abandoning.start();
        // abandon waits for the batch being staged: release it only once abandon is waiting
        await().atMost(Duration.ofSeconds(5)).until(() -> abandoning.getState() == Thread.State.WAITING);
        release.countDown();
        abandoning.join(5_000);
        assertThat(abandoning.isAlive()).isFalse();
        assertThat(staged).containsExactly("first");
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
