package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;

/**
 * On PostgreSQL, vacuum makes the space of deleted rows reusable but keeps it; {@link Store#shrink}
 * rewrites a table most of which is free space, and leaves alone one whose lock it cannot get in
 * time. (The embedded H2 file: {@link StoreCompactionTest}.)
 */
class StoreShrinkTest {

    private static final String BODY = "{\"workerId\":\"%s\",\"padding\":\"" + "x".repeat(900) + "\"}";

    @OnEveryDatabase
    void aTableMostlyFreeAfterABulkDeleteIsRewrittenAndKeepsEveryLiveRow(Store store) throws Exception {
        leaveInboundEventNineTenthsFree(store);

        Store.Shrink shrunk = store.shrink(80, Duration.ofSeconds(30), Duration.ofSeconds(1));

        assertThat(shrunk).as("nine tenths of inbound_event was free space").isNotNull();
        assertThat(shrunk.fillRateBefore()).isLessThan(20);
        assertThat(shrunk.fillRateAfter()).isGreaterThanOrEqualTo(80);
        assertThat(shrunk.bytesAfter()).as("the database gave the space back").isLessThan(shrunk.bytesBefore() - (2L << 20));
        assertThat(events(store)).as("every live row kept").isEqualTo(400);
        assertThat(store.shrink(80, Duration.ofSeconds(30), Duration.ofSeconds(1))).as("nothing left to give back").isNull();
    }

    @OnEveryDatabase
    void aTableInUseIsLeftForALaterRunInsteadOfWaitingForItsLock(Store store) throws Exception {
        leaveInboundEventNineTenthsFree(store);

        try (Connection reader = store.dataSource().getConnection()) {
            reader.setAutoCommit(false);
            try (Statement st = reader.createStatement(); ResultSet rs = st.executeQuery("select count(*) from inbound_event")) {
                rs.next(); // the open transaction keeps its lock on the table
            }
            long start = System.nanoTime();
            Store.Shrink busy = store.shrink(80, Duration.ofSeconds(30), Duration.ofMillis(200));
            assertThat(busy).as("the only table to rewrite was busy: nothing given back, so the maintenance backs off").isNotNull();
            assertThat(busy.bytesAfter()).isEqualTo(busy.bytesBefore());
            assertThat(busy.fillRateAfter()).isLessThan(20);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            reader.commit();
        }
        assertThat(store.shrink(80, Duration.ofSeconds(30), Duration.ofSeconds(1))).as("once the table is free").isNotNull();
        assertThat(events(store)).isEqualTo(400);
    }

    @OnEveryDatabase
    void aTableWithMoreLiveRowsThanMayBeCopiedOnlineIsLeftToAnOperator(Store store) throws Exception {
        leaveInboundEventNineTenthsFree(store);
        long before = tableBytes(store);

        assertThat(store.shrinkTables(80, Duration.ofSeconds(30), Duration.ofSeconds(1), 64 * 1024)).as("400 live rows: more than 64 KB").isNull();
        assertThat(tableBytes(store)).as("not rewritten").isEqualTo(before);
        assertThat(store.shrinkTables(80, Duration.ofSeconds(30), Duration.ofSeconds(1), 1L << 30))
                .as("nor tried again within a day, whatever the limit").isNull();
        assertThat(events(store)).isEqualTo(400);
    }

    private static long tableBytes(Store store) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select pg_relation_size('inbound_event')"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** 4,000 events of about 1 KB, all but 400 of them deleted throughout the table, then vacuumed and analysed. */
    private static void leaveInboundEventNineTenthsFree(Store store) throws Exception {
        Assumptions.assumeTrue(store.postgres(), "H2's file: StoreCompactionTest");
        insertEvents(store, 4_000);
        deleteAllBut(store, 400);
        vacuumAnalyze(store);
    }

    private static void insertEvents(Store store, int count) {
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into inbound_event (source, channel, event_key, origin, body, status, "
                    + "received_at) values ('hr', 'WEBHOOK', ?, 'test', ?, 'APPLIED', current_timestamp)")) {
                for (int i = 0; i < count; i++) {
                    ps.setString(1, "id:" + i);
                    ps.setString(2, BODY.formatted("W" + i));
                    ps.addBatch();
                }
                return ps.executeBatch();
            }
        });
    }

    private static void deleteAllBut(Store store, int kept) {
        store.tx(c -> {
            // all through the table: a vacuum gives back only the empty pages at its end
            try (PreparedStatement ps = c.prepareStatement("delete from inbound_event where mod(id, ?) <> 0")) {
                ps.setInt(1, (int) (count(c) / kept));
                return ps.executeUpdate();
            }
        });
    }

    private static long count(Connection c) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("select count(*) from inbound_event"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** What autovacuum does in its own time: the dead rows' space made reusable, the statistics refreshed. */
    private static void vacuumAnalyze(Store store) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("vacuum analyze inbound_event");
        }
    }

    private static int events(Store store) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from inbound_event"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }
}
