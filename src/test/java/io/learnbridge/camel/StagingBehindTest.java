package io.learnbridge.camel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            staging.submit(() -> {
                sleep(1);
                staged.add(batch);
            });
        }
        staging.finish();
        assertThat(staged).hasSize(50).isSorted();
    }

    @Test
    void theRouteIsHeldWhileTwoBatchesAreBehind() throws Exception {
        StagingBehind staging = new StagingBehind(2);
        CountDownLatch release = new CountDownLatch(1);
        staging.submit(() -> await(release));
        staging.submit(() -> { });
        Thread third = new Thread(() -> staging.submit(() -> { }));
        third.start();
        third.join(200);
        assertThat(third.isAlive()).as("a third hand-over waits for the first batch").isTrue();
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
            await(failNow);
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
            await(release);
            staged.add("first");
        });
        staging.submit(() -> staged.add("second"));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Thread releaser = new Thread(() -> {
            sleep(100);
            release.countDown();
        });
        releaser.start();
        staging.abandon();
        assertThat(staged).containsExactly("first");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
