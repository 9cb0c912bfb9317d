package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded H2 file with durable commits ({@code WRITE_DELAY=0}) writes every commit as a new
 * chunk and never rewrites the sparse ones by itself; {@link Store#compactEmbedded} does, online,
 * so that later writes reuse the space and the file stops growing with every rewrite of the same
 * rows, without losing one.
 */
class StoreCompactionTest {

    private static final String STATE = "{\"workerId\":\"%s\",\"jobTitle\":\"%s\",\"padding\":\"" + "x".repeat(800) + "\"}";

    @TempDir
    Path dir;

    @Test
    void chunksLeftSparseAreRewrittenSoThatLaterWritesReuseTheirSpace() throws Exception {
        // RETENTION_TIME=0: emptied chunks are reusable at once (the product keeps H2's 45 s, for power failures)
        try (Store alone = Store.open("jdbc:h2:file:" + dir.resolve("alone") + ";WRITE_DELAY=0;RETENTION_TIME=0", "sa", "", 2);
             Store compacted = Store.open("jdbc:h2:file:" + dir.resolve("compacted") + ";WRITE_DELAY=0;RETENTION_TIME=0", "sa", "", 2)) {
            for (Store store : List.of(alone, compacted)) {
                insertRows(store, 0, ROWS);
                deleteEvents(store); // each chunk keeps its small rows: sparse, and H2 with WRITE_DELAY=0 never rewrites it
            }
            long sparse = Files.size(dir.resolve("compacted.mv.db"));

            Store.Compaction done = compacted.compactEmbedded(60, Duration.ofSeconds(20));

            assertThat(done).as("most of the chunks' bytes were dead rows").isNotNull();
            assertThat(done.fillRateBefore()).isLessThan(60);
            assertThat(done.fillRateAfter()).isGreaterThanOrEqualTo(60);
            assertThat(done.bytesBefore()).isEqualTo(sparse);
            assertThat(compacted.compactEmbedded(60, Duration.ofSeconds(20))).as("nothing left to do").isNull();

            // as many rows again: the compacted store writes them into the space its sparse chunks held
            for (Store store : List.of(alone, compacted)) {
                insertRows(store, ROWS, 2 * ROWS);
            }
            long aloneBytes = Files.size(dir.resolve("alone.mv.db"));
            long compactedBytes = Files.size(dir.resolve("compacted.mv.db"));
            // (a few blocks more: H2 places chunks first-fit, and the holes are not all of the right sizes)
            assertThat(compactedBytes).as("the new rows went into the space compaction freed").isLessThan(done.bytesAfter() * 21 / 20);
            assertThat(compactedBytes).as("against the file left alone").isLessThan(aloneBytes * 3 / 4);
            assertThat(rows(compacted)).as("every row kept").isEqualTo(2 * ROWS);
        }
    }

    @Test
    void compactionWhileOtherSessionsCommitLosesNothingAndKeepsTheStoreOpen() throws Exception {
        // chunks rewritten and their space reused a second after they were written, while 4 writers commit (with
        // RETENTION_TIME=0, H2 2.3.232 itself lost track of a chunk a reader still needed: keep H2's retention above 0)
        try (Store store = Store.open("jdbc:h2:file:" + dir.resolve("busy") + ";WRITE_DELAY=0;RETENTION_TIME=1000", "sa", "", 6)) {
            int[] compactions = {0};
            int written = whileFourWritersCommit(store, Duration.ofSeconds(6), () -> {
                Store.Compaction done = store.compactEmbedded(90, Duration.ofSeconds(1));
                if (done != null && done.fillRateAfter() > done.fillRateBefore()) {
                    compactions[0]++;
                }
            });

            assertThat(compactions[0]).as("compactions that raised the chunks' fill rate while the writers committed").isPositive();
            assertThat(rows(store)).as("every row committed is there").isEqualTo(written);
        }
    }

    @Test
    void theFileIsShrunkToWhatItHoldsAndKeepsEveryRowAcrossARestart() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("shrunk") + ";WRITE_DELAY=0;RETENTION_TIME=0";
        Store.Shrink shrunk;
        try (Store store = Store.open(url, "sa", "", 2)) {
            insertRows(store, 0, 4 * ROWS);
            deleteEvents(store);
            assertThat(store.compactEmbedded(60, Duration.ofSeconds(20))).as("the sparse chunks rewritten first").isNotNull();
            long grown = Files.size(dir.resolve("shrunk.mv.db"));

            shrunk = store.shrinkEmbedded(60, Duration.ofSeconds(30), Duration.ofSeconds(1));

            assertThat(shrunk).as("most of the file was free space").isNotNull();
            assertThat(shrunk.fillRateBefore()).isLessThan(60);
            assertThat(shrunk.bytesBefore()).isEqualTo(grown);
            assertThat(shrunk.bytesAfter()).as("the free space given back").isLessThan(grown / 2);
            assertThat(Files.size(dir.resolve("shrunk.mv.db"))).isEqualTo(shrunk.bytesAfter());
            assertThat(store.shrinkEmbedded(60, Duration.ofSeconds(30), Duration.ofSeconds(1))).as("nothing left to give back").isNull();
            insertRows(store, 4 * ROWS, 5 * ROWS); // and the store writes on
        }
        try (Store reopened = Store.open(url, "sa", "", 2)) {
            assertThat(rows(reopened)).as("every row, after the store was closed and opened again").isEqualTo(5 * ROWS);
        }
    }

    @Test
    void shrinkingWhileOtherSessionsCommitLosesNothing() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("busy-shrink") + ";WRITE_DELAY=0;RETENTION_TIME=1000";
        int written;
        try (Store store = Store.open(url, "sa", "", 6)) {
            int[] shrinks = {0};
            written = whileFourWritersCommit(store, Duration.ofSeconds(8), () -> {
                store.compactEmbedded(90, Duration.ofSeconds(1));
                Store.Shrink done = store.shrinkEmbedded(90, Duration.ofSeconds(1), Duration.ofSeconds(1));
                if (done != null && done.bytesAfter() < done.bytesBefore()) {
                    shrinks[0]++;
                }
            });
            assertThat(shrinks[0]).as("runs that gave space back while the writers committed").isPositive();
            assertThat(rows(store)).as("every row committed is there").isEqualTo(written);
        }
        try (Store reopened = Store.open(url, "sa", "", 2)) {
            assertThat(rows(reopened)).as("and after the store was closed and opened again").isEqualTo(written);
        }
    }

    /**
     * Runs {@code probe} over and over for {@code duration} while 4 writers commit rows, the first
     * deleting the large ones every fifth batch (leaving the chunks sparse); a writer's failure fails
     * the test. Returns how many rows the writers committed.
     */
    private static int whileFourWritersCommit(Store store, Duration duration, Runnable probe) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(4);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            running.add(writers.submit(() -> {
                for (int batch = 0; !stop.get(); batch++) {
                    int from = (writer * 1_000_000) + batch * 20;
                    insertRows(store, from, from + 20);
                    written.addAndGet(20);
                    if (writer == 0 && batch % 5 == 4) {
                        deleteEvents(store);
                    }
                }
                return null;
            }));
        }
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            probe.run();
        }
        stop.set(true);
        for (java.util.concurrent.Future<?> f : running) {
            f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        writers.shutdown();
        return written.get();
    }

    @Test
    void nothingToDoOnAWellFilledFile() {
        try (Store store = Store.open("jdbc:h2:file:" + dir.resolve("fresh") + ";WRITE_DELAY=0", "sa", "", 2)) {
            insertRows(store, 0, ROWS);
            assertThat(store.compactEmbedded(1, Duration.ofSeconds(5))).isNull();
        }
    }

    private static final int ROWS = 5_000;

    /**
     * Rows {@code from..to-1}, 50 per commit: each a small exception-queue row that stays, written
     * in the same commits as a large stored event (about 900 bytes) that goes later.
     */
    private static void insertRows(Store store, int from, int to) {
        for (int first = from; first < to; first += 50) {
            int start = first;
            store.tx(c -> {
                try (PreparedStatement kept = c.prepareStatement("insert into exception_record (kind, status, stage, source, line, reason, "
                        + "created_at) values ('REJECTED', 'OPEN', 'map', 'hr', ?, 'a reason', current_timestamp)");
                     PreparedStatement gone = c.prepareStatement("insert into inbound_event (source, channel, event_key, origin, body, status, "
                        + "received_at) values ('hr', 'WEBHOOK', ?, 'test', ?, 'APPLIED', current_timestamp)")) {
                    for (int i = start; i < Math.min(to, start + 50); i++) {
                        kept.setInt(1, i);
                        kept.addBatch();
                        gone.setString(1, "id:" + i);
                        gone.setString(2, STATE.formatted("W" + i, "line" + i));
                        gone.addBatch();
                    }
                    kept.executeBatch();
                    gone.executeBatch();
                }
                return null;
            });
        }
    }

    /** The large rows go: every chunk keeps only its small ones. */
    private static void deleteEvents(Store store) {
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("delete from inbound_event")) {
                return ps.executeUpdate();
            }
        });
    }

    private static int rows(Store store) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from exception_record"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
