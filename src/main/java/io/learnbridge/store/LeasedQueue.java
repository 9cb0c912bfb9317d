package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The leased queue that the delivery outbox ({@code delivery}), the enrolment outbox ({@code enrolment_change})
 * and the event inbox ({@code inbound_event}) share, written once: an instance claims due rows (status
 * {@code claimed} with a lease and its id), and a claim whose lease runs out (the instance died) is claimed again
 * by any instance. The claim is conditional on the row still being claimable when it is written, so two instances
 * never hold one row at once. What each queue reads for a claim (its columns, joins and ordering rules) stays its
 * own: {@link Candidates}.
 */
final class LeasedQueue {

    /**
     * How a queue's table is laid out.
     *
     * @param name      the table
     * @param alias     how the queue's candidate query names the table ({@code d}, {@code e}; empty when unqualified)
     * @param partition the column a queue's rows are counted by (target, source)
     * @param waiting   the status of a row waiting to be claimed (PENDING, RECEIVED)
     * @param claimed   the status of a claimed row (SENDING, PROCESSING)
     * @param retried   whether rows are retried later: the table has {@code not_before}, {@code attempts} (a claim
     *                  counts one) and {@code updated_at}
     */
    record Table(String name, String alias, String partition, String waiting, String claimed, boolean retried) {

        /**
         * The condition of a claim's first scan: rows waiting, and in a retried queue not before the one time
         * parameter (now). The status as a range: {@link Sql#rangeIs}.
         */
        String waitingDue() {
            String waiting = Sql.rangeIs(column("status"), "'" + waiting() + "'");
            return retried ? waiting + " and (" + column("not_before") + " is null or " + column("not_before") + " <= ?)" : waiting;
        }

        /** The condition of a claim's second scan: claimed rows whose lease ended before the one time parameter (now). */
        String leaseEnded() {
            return Sql.rangeIs(column("status"), "'" + claimed() + "'") + " and " + column("lease_until") + " < ?";
        }

        /** Rows of one partition (a target, a source) by status, in the caller's transaction. */
        int count(Connection c, String key, String status) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from " + name + " where " + partition + " = ? and status = ?")) {
                ps.setString(1, key);
                ps.setString(2, status);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }

        private String column(String column) {
            return alias.isEmpty() ? column : alias + "." + column;
        }
    }

    /**
     * Reads up to {@code max} of a queue's rows matching {@code condition}, oldest first, in the order of an index
     * that leads with the status (then the id). {@code time} is the condition's one time parameter, null when it has
     * none.
     */
    @FunctionalInterface
    interface Candidates<T> {
        List<T> read(Connection c, String condition, Instant time, int max) throws SQLException;
    }

    private final Store store;
    private final String instanceId;
    private final Duration lease;
    private final Table table;

    LeasedQueue(Store store, String instanceId, Duration lease, Table table) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
        this.table = table;
    }

    /** At startup: this instance's claims from before a crash or stop go back to waiting, in the caller's transaction. */
    int releaseOwnClaims(Connection c) throws SQLException {
        return releaseClaimsOf(c, instanceId);
    }

    /**
     * The claims of instance {@code instance} go back to waiting, in the caller's transaction: this instance's own at
     * startup, or those of an instance that departed ({@link Instances}).
     */
    int releaseClaimsOf(Connection c, String instance) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + table.name() + " set status = '" + table.waiting()
                + "', lease_until = null where status = '" + table.claimed() + "' and claimed_by = ?")) {
            ps.setString(1, instance);
            return ps.executeUpdate();
        }
    }

    /** Puts rows this instance claimed back to waiting, those of {@code ids} still claimed by it. */
    int release(Connection c, Collection<Long> ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + table.name() + " set status = '" + table.waiting()
                + "', lease_until = null where id " + Sql.inIds(c) + " and status = '" + table.claimed() + "' and claimed_by = ?")) {
            ps.setArray(1, Sql.ids(c, ids));
            ps.setString(2, instanceId);
            return ps.executeUpdate();
        }
    }

    /** {@link #releaseOwnClaims(Connection)} in a transaction of its own. */
    int releaseOwnClaims() {
        return store.tx(this::releaseOwnClaims);
    }

    /**
     * Claims up to {@code max} due rows, oldest first, in a transaction of its own: {@link #due} then {@link #won}.
     * The claim commits without waiting for its flush: lost in a crash of the database server, its rows are claimed
     * again, as when a lease runs out.
     */
    <T> List<T> claim(Candidates<T> candidates, int max, ToLongFunction<T> id) {
        Instant now = Instant.now();
        return store.tx(c -> {
            Sql.commitWithoutFlushWait(c, store.postgres());
            return won(c, due(c, candidates, max, now, id), now, id);
        });
    }

    /**
     * Up to {@code max} rows due at {@code now}, oldest (lowest id) first, read but not yet claimed ({@link #won}):
     * those waiting (and, in a retried queue, not before now) and those whose lease ran out. Two range scans of the
     * status index instead of one OR: with an OR, H2 read every row of the queue, settled ones included, on every
     * claim (found by benchmark-delivery; two thirds of a Kafka benchmark's processing at 50k events).
     */
    <T> List<T> due(Connection c, Candidates<T> candidates, int max, Instant now, ToLongFunction<T> id) throws SQLException {
        List<T> due = new ArrayList<>(candidates.read(c, table.waitingDue(), table.retried() ? now : null, max));
        due.addAll(candidates.read(c, table.leaseEnded(), now, max));
        due.sort(Comparator.comparingLong(id));
        return due.size() > max ? new ArrayList<>(due.subList(0, max)) : due;
    }

    /**
     * Claims the rows read by {@link #due} that no other instance claimed since it read them, in one statement for
     * the whole batch; returns them in their order, as read.
     */
    <T> List<T> won(Connection c, List<T> due, Instant now, ToLongFunction<T> id) throws SQLException {
        if (due.isEmpty()) {
            return due;
        }
        java.util.Set<Long> won = Sql.updateReturningIds(c, "update " + table.name() + " set status = '" + table.claimed()
                + "', lease_until = ?, claimed_by = ?" + (table.retried() ? ", attempts = attempts + 1, updated_at = ?" : "")
                + " where id " + Sql.inIds(c) + " and (status = '" + table.waiting() + "' or (status = '" + table.claimed()
                + "' and lease_until < ?))", ps -> {
            int i = 1;
            Sql.setTime(ps, i++, now.plus(lease));
            ps.setString(i++, instanceId);
            if (table.retried()) {
                Sql.setTime(ps, i++, now);
            }
            ps.setArray(i++, Sql.ids(c, due.stream().map(id::applyAsLong).toList()));
            Sql.setTime(ps, i, now);
        });
        return Sql.won(due, won, id);
    }

    /**
     * Puts claimed rows that were not tried back to waiting until {@code notBefore} (a retried queue), without
     * counting the claim as an attempt (the target's circuit breaker is open, or the target was unavailable for the
     * items claimed with them): one JDBC batch. Rows settled meanwhile, or claimed by another instance, are left as
     * they are. Returns how many went back.
     */
    int holdBack(Connection c, Collection<Long> ids, Instant notBefore) throws SQLException {
        if (ids.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("update " + table.name() + " set status = '" + table.waiting()
                + "', lease_until = null, not_before = ?, attempts = attempts - 1, updated_at = ? where id = ? and status = '"
                + table.claimed() + "' and claimed_by = ?")) {
            Instant now = Instant.now();
            for (long id : ids) {
                Sql.setTime(ps, 1, notBefore);
                Sql.setTime(ps, 2, now);
                ps.setLong(3, id);
                ps.setString(4, instanceId);
                ps.addBatch();
            }
            int held = 0;
            for (int n : ps.executeBatch()) {
                held += Math.max(0, n);
            }
            return held;
        }
    }

    /**
     * Settles a claimed row of a retried queue, in a transaction of its own: {@code status} (DELIVERED; the waiting
     * status with {@code notBefore} to be claimed again from then), its lease ended. A row no longer claimed (settled
     * already) is left as it is.
     */
    int settle(long id, String status, Instant notBefore) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("update " + table.name()
                    + " set status = ?, lease_until = null, not_before = ?, updated_at = ? where id = ? and status = '" + table.claimed() + "'")) {
                ps.setString(1, status);
                Sql.setTime(ps, 2, notBefore);
                Sql.setTime(ps, 3, Instant.now());
                ps.setLong(4, id);
                return ps.executeUpdate();
            }
        });
    }

    /** Rows of one partition (a target, a source) by status. */
    int count(String key, String status) {
        return store.tx(c -> table.count(c, key, status));
    }
}
