package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox of deliveries. A delivery route claims a batch (status SENDING with a lease), and
 * records each outcome; a claim whose lease runs out (the instance died) is claimed again, which
 * is safe because deliveries are upserts keyed by worker id.
 */
public final class DeliveryQueue {

    private final Store store;
    private final String instanceId;
    private final Duration lease;

    /** @param lease longer than the longest retry budget of a delivery */
    public DeliveryQueue(Store store, String instanceId, Duration lease) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
    }

    /** At startup: this instance's claims from before a crash or stop go back to pending. */
    public int releaseOwnClaims() {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update delivery set status = 'PENDING', lease_until = null where status = 'SENDING' and claimed_by = ?")) {
                ps.setString(1, instanceId);
                return ps.executeUpdate();
            }
        });
    }

    /** Inserts one pending delivery for a target for a row of a drop whose status was just set to APPLIED. */
    static int enqueueApplied(Connection c, String source, long dropId, String target, int line) throws SQLException {
        return enqueueApplied(c, source, dropId, target, line, null);
    }

    /** As above, for a target that takes only some change kinds ({@code kinds}; null: all). */
    static int enqueueApplied(Connection c, String source, long dropId, String target, int line, java.util.Set<String> kinds)
            throws SQLException {
        return enqueueLines(c, source, dropId, target, line, line, "APPLIED", kinds);
    }

    /**
     * Inserts one pending delivery per row of lines {@code fromLine..toLine} in {@code status} (APPLIED;
     * PLANNED for the rows of the page being applied, see DropLedger.ROW_STATUS) for a target.
     */
    static int enqueueLines(Connection c, String source, long dropId, String target, int fromLine, int toLine, String status,
                                    java.util.Set<String> kinds) throws SQLException {
        Instant now = Instant.now();
        String filter = kinds == null ? "" : kinds.isEmpty() ? " and 1 = 0"
                : " and coalesce(change_kind, 'UPDATE') in (" + String.join(", ", java.util.Collections.nCopies(kinds.size(), "?")) + ")";
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivery (source, drop_id, line, worker_id, target, status, attempts, created_at, updated_at, change_kind)
                select ?, drop_id, line, worker_id, ?, 'PENDING', 0, ?, ?, coalesce(change_kind, 'UPDATE')
                from drop_row where drop_id = ? and status = ? and line between ? and ?""" + filter)) {
            ps.setString(1, source);
            ps.setString(2, target);
            Sql.setTime(ps, 3, now);
            Sql.setTime(ps, 4, now);
            ps.setLong(5, dropId);
            ps.setString(6, status);
            ps.setInt(7, fromLine);
            ps.setInt(8, toLine);
            if (kinds != null) {
                int i = 9;
                for (String kind : new java.util.TreeSet<>(kinds)) {
                    ps.setString(i++, kind);
                }
            }
            return ps.executeUpdate();
        }
    }

    /** Inserts one pending delivery of an applied event for a target (none if it is queued already). */
    static int enqueueEvent(Connection c, String source, long eventId, String workerId, String target, String canonical) throws SQLException {
        return enqueueEvent(c, source, eventId, workerId, target, canonical, "UPDATE");
    }

    /** One pending delivery of an applied event ({@link #enqueueEvents}). */
    record EventDelivery(String source, long eventId, String workerId, String target, String canonical, String changeKind) {
    }

    /** Inserts the pending deliveries of applied events in one JDBC batch (none for an event and target queued already). */
    static void enqueueEvents(Connection c, List<EventDelivery> deliveries) throws SQLException {
        if (deliveries.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        try (PreparedStatement ps = c.prepareStatement(ENQUEUE_EVENT)) {
            for (EventDelivery d : deliveries) {
                bindEvent(ps, d.source(), d.eventId(), d.workerId(), d.target(), d.canonical(), d.changeKind(), now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static final String ENQUEUE_EVENT = """
            insert into delivery (source, event_id, worker_id, target, canonical, status, attempts, created_at, updated_at, change_kind)
            select ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?, ?
            from (select 1 as one) x where not exists (select 1 from delivery where event_id = ? and target = ?)""";

    private static void bindEvent(PreparedStatement ps, String source, long eventId, String workerId, String target, String canonical,
                                  String changeKind, Instant now) throws SQLException {
        ps.setString(1, source);
        ps.setLong(2, eventId);
        ps.setString(3, workerId);
        ps.setString(4, target);
        ps.setString(5, canonical);
        Sql.setTime(ps, 6, now);
        Sql.setTime(ps, 7, now);
        ps.setString(8, changeKind);
        ps.setLong(9, eventId);
        ps.setString(10, target);
    }

    static int enqueueEvent(Connection c, String source, long eventId, String workerId, String target, String canonical, String changeKind)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ENQUEUE_EVENT)) {
            bindEvent(ps, source, eventId, workerId, target, canonical, changeKind, Instant.now());
            return ps.executeUpdate();
        }
    }

    /** Claims up to {@code max} deliveries for a target, oldest first, each with the worker's newest state. */
    public List<Delivery> claim(String target, int max) {
        return claim(target, max, true);
    }

    /**
     * Claims up to {@code max} deliveries for a target, oldest first. {@code latestState}: each with
     * the worker's newest state (LMS and LXP targets: deliver state, not events); otherwise with the
     * state of the change itself (an LRS records each change as an event).
     */
    public List<Delivery> claim(String target, int max, boolean latestState) {
        Instant now = Instant.now();
        return store.tx(c -> {
            // lost in a crash of the database server, a claim's deliveries are claimed again (sent twice at
            // worst, as when the server dies between a claim and its acknowledgement today): half the
            // flushes of a large drop's deliveries
            Sql.commitWithoutFlushWait(c, store.postgres());
            // two index range scans on (target, status, id) instead of one OR: with an OR, H2 reads every
            // delivery of the target, delivered ones included, on every claim (found by benchmark-delivery)
            List<Delivery> candidates = new ArrayList<>(candidates(c, target, PENDING_DUE,
                    now, max, latestState));
            candidates.addAll(candidates(c, target, Sql.rangeIs("d.status", "'SENDING'") + " and d.lease_until < ?", now, max, latestState));
            candidates.sort(java.util.Comparator.comparingLong(Delivery::id));
            if (candidates.size() > max) {
                candidates.subList(max, candidates.size()).clear();
            }
            if (candidates.isEmpty()) {
                return candidates;
            }
            // one statement for the whole batch; another instance may have claimed some since the read
            java.util.Set<Long> won = Sql.updateReturningIds(c,
                    "update delivery set status = 'SENDING', lease_until = ?, claimed_by = ?, attempts = attempts + 1, updated_at = ? where id "
                    + Sql.inIds(c) + " and (status = 'PENDING' or (status = 'SENDING' and lease_until < ?))", ps -> {
                Sql.setTime(ps, 1, now.plus(lease));
                ps.setString(2, instanceId);
                Sql.setTime(ps, 3, now);
                ps.setArray(4, Sql.ids(c, candidates.stream().map(Delivery::id).toList()));
                Sql.setTime(ps, 5, now);
            });
            return Sql.won(candidates, won, Delivery::id);
        });
    }

    /** Up to {@code max} deliveries of a target matching {@code condition} (one time parameter), oldest first. */
    private static List<Delivery> candidates(java.sql.Connection c, String target, String condition, Instant now, int max, boolean latestState)
            throws java.sql.SQLException {
        List<Delivery> candidates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(candidatesSql(condition, latestState))) {
            // the worker's newest state, not the change that queued the delivery: a late retry or
            // replay can never write older data over newer (deliver state, not events)
            ps.setString(1, target);
            Sql.setTime(ps, 2, now);
            ps.setInt(3, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new Delivery(rs.getLong("id"), rs.getString("source"), Sql.getLong(rs, "drop_id"),
                            Sql.getInt(rs, "line"), rs.getString("worker_id"), rs.getString("target"),
                            rs.getString("canonical"), rs.getInt("attempts"), Sql.getLong(rs, "event_id"), rs.getString("change_kind"),
                            Sql.time(rs, "created_at"), rs.getString("voided_kind")));
                }
            }
        }
        return candidates;
    }

    /** A claim's first scan: the pending deliveries due (one time parameter, now). */
    static final String PENDING_DUE = Sql.rangeIs("d.status", "'PENDING'") + " and (d.not_before is null or d.not_before <= ?)";

    /** The query of {@link #candidates}: {@code condition} on the delivery {@code d}, one time parameter, then the target and a limit. */
    static String candidatesSql(String condition, boolean latestState) {
        return "select d.id, d.source, d.drop_id, d.line, d.worker_id, d.target, "
                // a drop's delivery keeps no copy of the change: it is the drop row's (read by primary key), and
                // the worker's newest state is always stored before a delivery of it is queued
                + (latestState ? "coalesce(w.canonical, d.canonical)" : "coalesce(d.canonical, r.canonical)")
                + " as canonical, d.attempts, d.event_id, d.change_kind, d.created_at, d.voided_kind"
                + " from delivery d left join worker_record w on w.worker_id = d.worker_id"
                + (latestState ? "" : " left join drop_row_record r on r.drop_id = d.drop_id and r.line = d.line")
                // ordered as the index (target, status, id) is, so H2 walks it instead of the primary key (and, with
                // the status as a range, PostgreSQL too: Sql.rangeIs)
                + " where d.target = ? and " + condition + " order by d.target, d.status, d.id limit ?";
    }

    /** A transient failure: the delivery goes back to pending and is claimed again from {@code notBefore}. */
    public void retryLater(long deliveryId, Instant notBefore) {
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update delivery set status = 'PENDING', lease_until = null, not_before = ?, updated_at = ? where id = ? and status = 'SENDING'")) {
                Sql.setTime(ps, 1, notBefore);
                Sql.setTime(ps, 2, Instant.now());
                ps.setLong(3, deliveryId);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Puts claimed deliveries that were not sent back to pending until {@code notBefore}, without
     * counting the claim as an attempt (the target's circuit breaker is open). Deliveries already
     * settled (delivered, failed, parked) are left as they are.
     */
    public int holdBack(List<Long> deliveryIds, Instant notBefore) {
        if (deliveryIds.isEmpty()) {
            return 0;
        }
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update delivery set status = 'PENDING', lease_until = null, not_before = ?, attempts = attempts - 1, updated_at = ?
                    where id = ? and status = 'SENDING' and claimed_by = ?""")) {
                Instant now = Instant.now();
                for (long id : deliveryIds) {
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
        });
    }

    /**
     * Deliveries the target acknowledged, settled DELIVERED together in one transaction: {@code
     * acknowledged} maps delivery id to HTTP status. A batch of concurrent requests settles once
     * instead of committing once per request.
     */
    public void deliveredAll(java.util.Map<Long, Integer> acknowledged) {
        if (acknowledged.isEmpty()) {
            return;
        }
        // one statement per HTTP status (nearly always one), ids in order
        java.util.Map<Integer, List<Long>> byStatus = new java.util.TreeMap<>();
        new java.util.TreeMap<>(acknowledged).forEach((id, status) -> byStatus.computeIfAbsent(status, s -> new ArrayList<>()).add(id));
        store.tx(c -> {
            Instant now = Instant.now();
            try (PreparedStatement ps = c.prepareStatement(
                    "update delivery set status = 'DELIVERED', http_status = ?, lease_until = null, updated_at = ? where id " + Sql.inIds(c))) {
                for (java.util.Map.Entry<Integer, List<Long>> settled : byStatus.entrySet()) {
                    ps.setInt(1, settled.getKey());
                    Sql.setTime(ps, 2, now);
                    ps.setArray(3, Sql.ids(c, settled.getValue()));
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    public void delivered(long deliveryId, int httpStatus) {
        store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update delivery set status = 'DELIVERED', http_status = ?, lease_until = null, updated_at = ? where id = ?")) {
                ps.setInt(1, httpStatus);
                Sql.setTime(ps, 2, Instant.now());
                ps.setLong(3, deliveryId);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * A delivery that cannot succeed (permanent) or ran out of retries: FAILED, and into the
     * exception queue with its context, in one transaction. Returns the exception id.
     */
    public long failed(Delivery delivery, ExceptionEntry context) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "update delivery set status = 'FAILED', http_status = ?, lease_until = null, updated_at = ? where id = ?")) {
                Sql.setInt(ps, 1, context.httpStatus());
                Sql.setTime(ps, 2, Instant.now());
                ps.setLong(3, delivery.id());
                ps.executeUpdate();
            }
            String fileName = null;
            String sourceRecord = null;
            if (delivery.dropId() != null) {
                try (PreparedStatement ps = c.prepareStatement("""
                        select f.file_name, r.source_record from drop_file f left join drop_row_record r on r.drop_id = f.id and r.line = ?
                        where f.id = ?""")) {
                    Sql.setInt(ps, 1, delivery.line());
                    ps.setLong(2, delivery.dropId());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            fileName = rs.getString(1);
                            sourceRecord = rs.getString(2);
                        }
                    }
                }
            }
            String origin = null;
            if (delivery.eventId() != null) {
                try (PreparedStatement ps = c.prepareStatement("select origin, body from inbound_event where id = ?")) {
                    ps.setLong(1, delivery.eventId());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            origin = rs.getString(1);
                            sourceRecord = rs.getString(2);
                        }
                    }
                }
            }
            // "map" when the target mapping refused the worker's state, "deliver" when the target refused or never answered
            String stage = context.stage() == null ? "deliver" : context.stage();
            ExceptionEntry entry = new ExceptionEntry(null, ExceptionEntry.Kind.FAILED, ExceptionEntry.Status.OPEN, stage,
                    delivery.source(), delivery.dropId(), fileName, delivery.line(), delivery.workerId(), context.field(),
                    delivery.target(), delivery.id(), context.reason(), context.errorClass(), context.attempts(),
                    context.httpStatus(), context.responseExcerpt(), sourceRecord, null, null, 0, delivery.eventId(), origin);
            return ExceptionQueue.add(c, entry);
        });
    }

    /** Counts by status for one target, e.g. for tests and the health of a backlog. */
    public int count(String target, String status) {
        return store.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery where target = ? and status = ?")) {
                ps.setString(1, target);
                ps.setString(2, status);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }
}
