package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

    private final ExecutorService callers = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    @Test
    void aCallerAloneIsStoredAtOnceInABatchOfItsOwn() {
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        GroupCommit<String, String> group = new GroupCommit<>(items -> {
            batches.add(List.copyOf(items));
            return items.stream().map(i -> "stored " + i).toList();
        }, 100);

        assertThat(group.submit("a")).isEqualTo("stored a");
        assertThat(group.submit("b")).isEqualTo("stored b");

        assertThat(batches).containsExactly(List.of("a"), List.of("b"));
    }

    @Test
    void callersArrivingWhileATransactionIsWrittenAreStoredTogetherInTheNextEachWithItsOwnResult() throws Exception {
        CountDownLatch firstWriting = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        GroupCommit<String, String> group = new GroupCommit<>(items -> {
            batches.add(List.copyOf(items));
            if (items.contains("first")) {
                firstWriting.countDown();
                hold(releaseFirst);
            }
            return items.stream().map(i -> "stored " + i).toList();
        }, 100);

        Future<String> first = callers.submit(() -> group.submit("first"));
        assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<String>> others = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String item = "e" + i;
            others.add(callers.submit(() -> group.submit(item)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 5);
        releaseFirst.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("stored first");
        for (int i = 1; i <= 5; i++) {
            assertThat(others.get(i - 1).get(10, TimeUnit.SECONDS)).isEqualTo("stored e" + i);
        }
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).containsExactly("first");
        assertThat(batches.get(1)).containsExactlyInAnyOrder("e1", "e2", "e3", "e4", "e5");
    }

    @Test
    void aBatchTakesAtMostMaxItemsAndTheRestFollowInTheNext() throws Exception {
        CountDownLatch firstWriting = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        GroupCommit<String, String> group = new GroupCommit<>(items -> {
            sizes.add(items.size());
            if (items.contains("first")) {
                firstWriting.countDown();
                hold(releaseFirst);
            }
            return items;
        }, 3);

        Future<String> first = callers.submit(() -> group.submit("first"));
        assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<String>> others = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String item = "e" + i;
            others.add(callers.submit(() -> group.submit(item)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 5);
        releaseFirst.countDown();

        first.get(10, TimeUnit.SECONDS);
        for (Future<String> other : others) {
            other.get(10, TimeUnit.SECONDS);
        }
        assertThat(sizes).containsExactly(1, 3, 2);
    }

    @Test
    void whenABatchFailsEachCallerTriesAloneSoOnlyTheBadItemFails() throws Exception {
        CountDownLatch firstWriting = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        GroupCommit<String, String> group = new GroupCommit<>(items -> {
            batches.add(List.copyOf(items));
            if (items.contains("first")) {
                firstWriting.countDown();
                hold(releaseFirst);
            }
            if (items.contains("bad")) {
                throw new StoreException("value too long for the bad one", null);
            }
            return items.stream().map(i -> "stored " + i).toList();
        }, 100);

        Future<String> first = callers.submit(() -> group.submit("first"));
        assertThat(firstWriting.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> good = callers.submit(() -> group.submit("good"));
        await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 1);
        Future<String> bad = callers.submit(() -> group.submit("bad"));
        await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 2);
        releaseFirst.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("stored first");
        assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo("stored good");
        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class)
                .hasMessageContaining("value too long for the bad one");
        assertThat(batches).contains(List.of("good", "bad"), List.of("good"), List.of("bad"));
    }

    @Test
    void aCallerAloneWhoseTransactionFailsGetsTheFailure() {
        GroupCommit<String, String> group = new GroupCommit<>(items -> {
            throw new StoreException("the store is down", null);
        }, 100);

        assertThatThrownBy(() -> group.submit("a")).isInstanceOf(StoreException.class).hasMessage("the store is down");
        // and the next caller is not left waiting for a leader that gave up
        assertThatThrownBy(() -> group.submit("b")).isInstanceOf(StoreException.class);
    }

    private static void hold(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
