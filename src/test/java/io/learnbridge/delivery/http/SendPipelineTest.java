package io.learnbridge.delivery.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SendPipelineTest {

    private final ExecutorService threads = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void aWorkersSecondSendStartsOnlyAfterItsFirstHasFinishedWhileOtherWorkersGoAhead() throws Exception {
        SendPipeline pipeline = new SendPipeline(2);
        CountDownLatch firstMayFinish = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> first = pipeline.send("w1", () -> {
            order.add("w1 v1 start");
            awaitLatch(firstMayFinish);
            order.add("w1 v1 end");
        }, threads);
        CompletableFuture<Void> second = pipeline.send("w1", () -> order.add("w1 v2"), threads);
        CompletableFuture<Void> other = pipeline.send("w2", () -> order.add("w2"), threads);

        other.get(5, TimeUnit.SECONDS);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !second.isDone()); // waits for the first
        firstMayFinish.countDown();
        second.get(5, TimeUnit.SECONDS);
        assertTrue(first.isDone());
        assertEquals(List.of("w1 v1 start", "w1 v1 end", "w1 v2"), order.stream().filter(s -> s.startsWith("w1")).toList());
    }

    @Test
    void aFailedSendDoesNotStopTheWorkersNextOne() throws Exception {
        SendPipeline pipeline = new SendPipeline(0);
        CompletableFuture<Void> failed = pipeline.send("w1", () -> {
            throw new IllegalStateException("store down");
        }, threads);
        CompletableFuture<Void> next = pipeline.send("w1", () -> { }, threads);
        next.get(5, TimeUnit.SECONDS);
        assertTrue(failed.isCompletedExceptionally());
    }

    @Test
    void aCallReturnsOnceNoMoreThanDepthEarlierBatchesAreInFlightAndDoesNotTakeAnEarlierBatchsFailureForItsOwn() throws Exception {
        SendPipeline pipeline = new SendPipeline(1);
        CompletableFuture<Void> a = new CompletableFuture<>();
        CompletableFuture<Void> b = new CompletableFuture<>();
        pipeline.submitted(a); // one in flight: returns at once

        CompletableFuture<Void> handedOver = CompletableFuture.runAsync(() -> pipeline.submitted(b), threads);
        // two batches in flight with depth 1: the hand-over waits for the first
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !handedOver.isDone());
        a.completeExceptionally(new IllegalStateException("settling failed"));
        // a's failure is a's (its sender logs it); thrown to b's caller, b, still on the wire, would be put back in the store
        handedOver.get(5, TimeUnit.SECONDS);

        CompletableFuture<Void> drained = CompletableFuture.runAsync(pipeline::drain, threads);
        // drain waits for the batch still in flight
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !drained.isDone());
        b.complete(null);
        drained.get(5, TimeUnit.SECONDS);
    }

    @Test
    void withoutDepthACallWaitsForItsOwnBatchAndThrowsItsFailure() {
        SendPipeline pipeline = new SendPipeline(0);
        CompletableFuture<Void> failed = CompletableFuture.failedFuture(new IllegalStateException("settling failed"));
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pipeline.submitted(failed));
        assertEquals("settling failed", thrown.getMessage());
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
