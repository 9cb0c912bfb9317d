package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded H2 file with durable commits ({@code WRITE_DELAY=0}) grows by every rewritten page
 * and never compacts by itself; {@link Store#compactEmbedded} brings it back to its live data,
 * online and without losing a row.
 */
class StoreCompactionTest {

    @TempDir
    Path dir;

    @Test
    void rewrittenWorkersLeaveOldPagesThatCompactionGivesBack() {
        Path file = dir.resolve("learnbridge.mv.db");
        try (Store store = Store.open("jdbc:h2:file:" + dir.resolve("learnbridge") + ";WRITE_DELAY=0", "sa", "", 2)) {
            String state = "{\"workerId\":\"%s\",\"jobTitle\":\"%s\",\"padding\":\"" + "x".repeat(800) + "\"}";
            for (int round = 0; round < 6; round++) {
                for (int from = 0; from < 2_000; from += 20) {
                    int first = from;
                    int version = round;
                    store.tx(c -> {
                        for (int i = first; i < first + 20; i++) {
                            String id = "W" + i;
                            WorkerStates.apply(c, id, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(version), state.formatted(id, "v" + version), "hr");
                        }
                        return null;
                    });
                }
            }
            long grown = size(file);

            Store.Compaction done = store.compactEmbedded(60, Duration.ofSeconds(10));

            assertThat(done).as("most of the file was old pages").isNotNull();
            assertThat(done.fillRateBefore()).isLessThan(60);
            assertThat(done.bytesBefore()).isEqualTo(grown);
            assertThat(done.bytesAfter()).isLessThan(done.bytesBefore() / 2);
            assertThat(size(file)).isEqualTo(done.bytesAfter());
            assertThat(store.compactEmbedded(60, Duration.ofSeconds(10))).as("nothing left to do").isNull();
            int newest = store.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("select count(*) from worker_state where canonical like '%\"v5\"%'");
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(newest).as("every worker's newest state kept").isEqualTo(2_000);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
