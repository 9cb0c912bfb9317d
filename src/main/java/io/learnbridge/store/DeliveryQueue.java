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
 *
 * <p>A page of a drop is queued for a target as one range of its lines ({@code delivery_range}, V18)
 * rather than one delivery per changed row. A claim takes the rows a range still carries (splitting
 * the range when it carries more than the claim takes) and hands each out as a {@link Delivery} under
 * an id taken from the outbox's sequence (V19); its outcome becomes a delivery row of its own under
 * that id (DELIVERED, parked for a retry, held back, or FAILED with its exception), and a range whose
 * every row has one is deleted. Readers of the outbox count a range's rows as PENDING or SENDING
 * with its status ({@link #RANGE_ROWS}).
 */
public final class DeliveryQueue implements Outbox<Delivery> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeliveryQueue.class);

    /** The outbox's rows (ranges have their own claim): a leased queue per target, retried later. */
    private static final LeasedQueue.Table TABLE = new LeasedQueue.Table("delivery", "d", "target", "PENDING", "SENDING", true);

    private final Store store;
    private final String instanceId;
    private final Duration lease;
    private final LeasedQueue rows;
    /** The rows of ranges this instance claimed and has not settled, by the id each was handed out with. */
    private final java.util.Map<Long, RangeRow> claimedRows = new java.util.concurrent.ConcurrentHashMap<>();

    /** A row of a claimed range, handed out as {@code delivery}, whose id its delivery row will have. */
    private record RangeRow(long rangeId, Delivery delivery, Instant claimedAt) {
    }

    /**
     * Deliveries of applied events this instance stored already claimed for its own delivery route of a target, oldest
     * first, waiting for that route's next claim ({@link #enqueueEvents(Connection, List)}, {@link #handOff}).
     */
    private final java.util.Map<String, java.util.concurrent.ConcurrentLinkedDeque<Handed>> handedOff = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each target's last claim on this instance: when, how many it took at most, and when it last read the outbox. */
    private final java.util.Map<String, LastClaim> lastClaims = new java.util.concurrent.ConcurrentHashMap<>();

    /** A delivery stored claimed by this instance until {@code leaseUntil}, for the target's next claim. */
    public record Handed(Delivery delivery, Instant leaseUntil) {
    }

    private record LastClaim(Instant at, int max, Instant outboxReadAt) {
    }

    /** A target whose route claimed within this long is handed its new event deliveries (10 s). */
    private final Duration handOffWindow;
    /** While deliveries are handed off, a claim still reads the outbox this often (what waits there is older). */
    private static final Duration OUTBOX_EVERY = Duration.ofSeconds(1);
    /** Deliveries waiting to be handed to a target's claims, at most, in claims of the size it last took. */
    private static final int HAND_OFF_CLAIMS = 10;

    /** @param lease longer than the longest retry budget of a delivery */
    public DeliveryQueue(Store store, String instanceId, Duration lease) {
        this(store, instanceId, lease, Duration.ofSeconds(10));
    }

    /** @param handOffWindow a target whose route claimed within this long is handed its new event deliveries */
    DeliveryQueue(Store store, String instanceId, Duration lease, Duration handOffWindow) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
        this.handOffWindow = handOffWindow;
        this.rows = new LeasedQueue(store, instanceId, lease, TABLE);
    }

    /** At startup: this instance's claims from before a crash or stop go back to pending. */
    public int releaseOwnClaims() {
        claimedRows.clear();
        handedOff.clear();
        return store.tx(c -> releaseClaimsOf(c, instanceId));
    }

    /**
     * The deliveries and delivery ranges instance {@code instance} holds claimed go back to pending, in the caller's
     * transaction; returns how many deliveries (a range counted in the rows it carries).
     */
    public int releaseClaimsOf(Connection c, String instance) throws SQLException {
        int released = rows.releaseClaimsOf(c, instance);
        // counted in the rows they carry, as deliveries
        try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery_range g join drop_row r on " + RANGE_ROWS
                + " where g.status = 'SENDING' and g.claimed_by = ?")) {
            ps.setString(1, instance);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                released += rs.getInt(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "update delivery_range set status = 'PENDING', lease_until = null where status = 'SENDING' and claimed_by = ?")) {
            ps.setString(1, instance);
            ps.executeUpdate();
        }
        return released;
    }

    /**
     * The rows a range {@code g} still carries, joined as {@code r} (drop_row): those of its lines applied with their
     * page (still PLANNED, see DropLedger.ROW_STATUS), of a change kind its target takes, without a delivery of their
     * own for the target yet. The condition of {@code from delivery_range g join drop_row r on ...}.
     */
    public static final String RANGE_ROWS = "r.drop_id = g.drop_id and r.line between g.from_line and g.to_line and r.status = 'PLANNED' and "
            + kindTaken("g.kinds") + " and not exists (select 1 from delivery x where x.drop_id = r.drop_id and x.line = r.line and x.target = g.target)";

    /**
     * Whether the change kind of drop row {@code r} is one of {@code kinds} (an SQL expression: a range's list, ",JOIN,LEAVE,",
     * or null for all).
     */
    static String kindTaken(String kinds) {
        return "(" + kinds + " is null or " + kinds + " like concat('%,', coalesce(r.change_kind, 'UPDATE'), ',%'))";
    }

    /** A range's kinds as a parameter of {@link #kindTaken} (bound twice). */
    private static final String KINDS_PARAMETER = "cast(? as varchar(100))";

    /**
     * Queues lines {@code fromLine..toLine} of a drop, a page just applied, for a target as one range: the page's
     * rows still PLANNED of the kinds it takes ({@code kinds}; null: all). {@code planned}: how many rows of the
     * page are PLANNED. Returns the deliveries the range carries.
     */
    static int enqueueRange(Connection c, String source, long dropId, String target, int fromLine, int toLine, java.util.Set<String> kinds,
                            int planned) throws SQLException {
        if (planned == 0 || (kinds != null && kinds.isEmpty())) {
            return 0;
        }
        String kindList = kinds == null ? null : "," + String.join(",", new java.util.TreeSet<>(kinds)) + ",";
        int carried = planned;
        if (kindList != null) {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from drop_row r where r.drop_id = ? and r.line between ? and ?"
                    + " and r.status = 'PLANNED' and " + kindTaken(KINDS_PARAMETER))) {
                ps.setLong(1, dropId);
                ps.setInt(2, fromLine);
                ps.setInt(3, toLine);
                ps.setString(4, kindList);
                ps.setString(5, kindList);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    carried = rs.getInt(1);
                }
            }
        }
        if (carried == 0) {
            return 0;
        }
        Instant now = Instant.now();
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivery_range (source, drop_id, target, from_line, to_line, kinds, status, attempts, created_at, updated_at)
                values (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)""")) {
            ps.setString(1, source);
            ps.setLong(2, dropId);
            ps.setString(3, target);
            ps.setInt(4, fromLine);
            ps.setInt(5, toLine);
            ps.setString(6, kindList);
            Sql.setTime(ps, 7, now);
            Sql.setTime(ps, 8, now);
            ps.executeUpdate();
        }
        return carried;
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

    /**
     * As {@link #enqueueEvents(Connection, List)} (static), for this instance: the deliveries for a target whose delivery route
     * on this instance claimed within the hand-off window (10 s), as many as {@link #HAND_OFF_CLAIMS} of its claims take
     * less those waiting already, are stored claimed by this instance (SENDING with the lease, one attempt, as a claim
     * leaves them) under ids from the outbox's sequence. Once the transaction commits, the caller hands them to the
     * target's next claim ({@link #handOff}), which so takes them without writing them again; if it never does (the
     * instance stops), they are claimed again from the outbox when their lease ends, as any claim of a stopped instance.
     * The other deliveries are queued PENDING.
     *
     * @return the deliveries stored claimed, to hand off after the commit
     */
    List<Handed> enqueueEvents(Connection c, List<EventDelivery> deliveries, Instant now) throws SQLException {
        java.util.Map<String, Integer> room = new java.util.HashMap<>();
        List<EventDelivery> claimed = new ArrayList<>();
        List<EventDelivery> pending = new ArrayList<>();
        for (EventDelivery d : deliveries) {
            int left = room.computeIfAbsent(d.target(), target -> {
                LastClaim last = lastClaims.get(target);
                if (last == null || last.at().plus(handOffWindow).isBefore(now)) {
                    return 0;
                }
                java.util.Queue<Handed> waiting = handedOff.get(target);
                return HAND_OFF_CLAIMS * last.max() - (waiting == null ? 0 : waiting.size());
            });
            if (left > 0) {
                room.put(d.target(), left - 1);
                claimed.add(d);
            } else {
                pending.add(d);
            }
        }
        enqueueEvents(c, pending);
        if (claimed.isEmpty()) {
            return List.of();
        }
        Instant at = now.truncatedTo(java.time.temporal.ChronoUnit.MICROS); // as stored
        Instant leaseUntil = at.plus(lease);
        List<Long> ids = nextIds(c, claimed.size());
        List<Handed> handed = new ArrayList<>(claimed.size());
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivery (id, source, event_id, worker_id, target, canonical, status, attempts, lease_until, claimed_by,
                                      created_at, updated_at, change_kind)
                select ?, ?, ?, ?, ?, ?, 'SENDING', 1, ?, ?, ?, ?, ?
                from (select 1 as one) x where not exists (select 1 from delivery where event_id = ? and target = ?)""")) {
            for (int i = 0; i < claimed.size(); i++) {
                EventDelivery d = claimed.get(i);
                ps.setLong(1, ids.get(i));
                ps.setString(2, d.source());
                ps.setLong(3, d.eventId());
                ps.setString(4, d.workerId());
                ps.setString(5, d.target());
                ps.setString(6, d.canonical());
                Sql.setTime(ps, 7, leaseUntil);
                ps.setString(8, instanceId);
                Sql.setTime(ps, 9, at);
                Sql.setTime(ps, 10, at);
                ps.setString(11, d.changeKind());
                ps.setLong(12, d.eventId());
                ps.setString(13, d.target());
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                // a delivery of the event for the target queued already is not stored again (and not handed off)
                if (counts[i] > 0) {
                    EventDelivery d = claimed.get(i);
                    handed.add(new Handed(new Delivery(ids.get(i), d.source(), null, null, d.workerId(), d.target(), d.canonical(), 0,
                            d.eventId(), d.changeKind(), at, null), leaseUntil));
                }
            }
        }
        return handed;
    }

    /** Hands deliveries stored claimed ({@link #enqueueEvents(Connection, List, Instant)}, committed) to their targets' next claims. */
    public void handOff(List<Handed> deliveries) {
        for (Handed h : deliveries) {
            handedOff.computeIfAbsent(h.delivery().target(), t -> new java.util.concurrent.ConcurrentLinkedDeque<>()).addLast(h);
        }
        // a target whose route stopped claiming (stopped by an operator, its circuit open) does not keep what it was handed
        Instant now = Instant.now();
        handedOff.forEach((target, waiting) -> {
            LastClaim last = lastClaims.get(target);
            if (!waiting.isEmpty() && (last == null || last.at().plus(handOffWindow).isBefore(now))) {
                try {
                    int released = release(target, waiting);
                    if (released > 0) {
                        LOG.info("Target {} has not claimed for {}: {} deliveries handed to it go back to pending", target, handOffWindow, released);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Target {} has not claimed for {}: the deliveries handed to it stay claimed until it claims again or their"
                            + " lease ends ({})", target, handOffWindow, e.getMessage());
                }
            }
        });
    }

    /**
     * At shutdown: the deliveries stored claimed for this instance's claims and not taken go back to pending, for any
     * instance (another may take over before this one, under this id, starts again and releases its claims).
     */
    public int releaseHandedOff() {
        int released = 0;
        for (var waiting : handedOff.entrySet()) {
            released += release(waiting.getKey(), waiting.getValue());
        }
        return released;
    }

    /** Puts what waits in a target's hand-off back to pending (back in the hand-off when the store cannot). */
    private int release(String target, java.util.Queue<Handed> waiting) {
        List<Handed> taken = new ArrayList<>();
        Handed h;
        while ((h = waiting.poll()) != null) {
            taken.add(h);
        }
        if (taken.isEmpty()) {
            return 0;
        }
        try {
            return store.tx(c -> rows.release(c, taken.stream().map(t -> t.delivery().id()).toList()));
        } catch (RuntimeException e) {
            giveBack(target, taken);
            throw e;
        }
    }

    /** Puts deliveries taken from the hand-off back in front, in their order (the claim that took them failed). */
    private void giveBack(String target, List<Handed> taken) {
        java.util.concurrent.ConcurrentLinkedDeque<Handed> waiting = handedOff.computeIfAbsent(target, t -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        for (int i = taken.size() - 1; i >= 0; i--) {
            waiting.addFirst(taken.get(i));
        }
    }

    /**
     * Up to {@code max} deliveries handed off to a target, oldest first, each with at least half its lease left: one with
     * less is left to the outbox, where it is claimed again when its lease ends (no claim can have taken it before).
     */
    private List<Handed> takeHandedOff(String target, int max, Instant now) {
        java.util.Queue<Handed> waiting = handedOff.get(target);
        List<Handed> taken = new ArrayList<>();
        Instant fresh = now.plus(lease.dividedBy(2));
        Handed next;
        while (waiting != null && taken.size() < max && (next = waiting.poll()) != null) {
            if (next.leaseUntil().isAfter(fresh)) {
                taken.add(next);
            } else {
                LOG.warn("Delivery {} to {} waited for a claim for more than half its lease: it is claimed again from the outbox when"
                        + " its lease ends ({})", next.delivery().id(), target, next.leaseUntil());
            }
        }
        return taken;
    }

    /** The handed-off deliveries with each worker's newest state (state targets: as a claim from the outbox reads it). */
    private static List<Delivery> withNewestStates(Connection c, List<Delivery> deliveries) throws SQLException {
        if (deliveries.isEmpty()) {
            return deliveries;
        }
        java.util.Map<String, String> newest = WorkerStates.canonicals(c, new java.util.TreeSet<>(deliveries.stream().map(Delivery::workerId).toList()));
        List<Delivery> updated = new ArrayList<>(deliveries.size());
        for (Delivery d : deliveries) {
            String state = newest.get(d.workerId());
            updated.add(state == null ? d : new Delivery(d.id(), d.source(), d.dropId(), d.line(), d.workerId(), d.target(), state, d.attempts(),
                    d.eventId(), d.changeKind(), d.createdAt(), d.voidedKind()));
        }
        return updated;
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
        // rows of claims older than a lease were claimed again (by this or another instance) or settled under another id
        claimedRows.values().removeIf(row -> row.claimedAt().plus(lease).isBefore(now));
        // deliveries stored claimed for this target come first; the outbox is read when they leave room, and at least
        // every OUTBOX_EVERY for half a claim, so that what waits there (older) is not starved
        LastClaim last = lastClaims.get(target);
        boolean outboxDue = last == null || !last.outboxReadAt().plus(OUTBOX_EVERY).isAfter(now);
        List<Handed> taken = takeHandedOff(target, outboxDue ? max / 2 : max, now);
        List<Delivery> handed = taken.stream().map(Handed::delivery).toList();
        try {
            if (handed.size() >= max) {
                lastClaims.put(target, new LastClaim(now, max, last.outboxReadAt()));
                return latestState ? store.tx(c -> withNewestStates(c, handed)) : handed;
            }
            lastClaims.put(target, new LastClaim(now, max, now));
            return claimFromOutbox(target, max - handed.size(), latestState, now, taken);
        } catch (RuntimeException e) {
            giveBack(target, taken);
            throw e;
        }
    }

    /**
     * Claims up to {@code outboxMax} deliveries from the outbox (rows and ranges), with those handed off ({@code taken}, to
     * which more handed-off ones are added when the outbox has fewer), oldest first.
     */
    private List<Delivery> claimFromOutbox(String target, int outboxMax, boolean latestState, Instant now, List<Handed> taken) {
        List<RangeRow> rangeRows = new ArrayList<>();
        int takenBefore = taken.size();
        List<Delivery> claimed = store.tx(c -> {
            rangeRows.clear();
            if (taken.size() > takenBefore) { // the transaction runs again: the top-up below is taken again
                giveBack(target, new ArrayList<>(taken.subList(takenBefore, taken.size())));
                taken.subList(takenBefore, taken.size()).clear();
            }
            // lost in a crash of the database server, a claim's deliveries are claimed again (sent twice at
            // worst, as when the server dies between a claim and its acknowledgement today): half the
            // flushes of a large drop's deliveries
            Sql.commitWithoutFlushWait(c, store.postgres());
            List<Delivery> due = rows.due(c, (tx, condition, time, limit) -> candidates(tx, target, condition, time, limit, latestState),
                    outboxMax, now, Delivery::id);
            // a drop's ranges fill what the rows leave, and at least half a claim while rows wait: neither starves the other
            rangeRows.addAll(claimRanges(c, target, outboxMax - Math.min(due.size(), outboxMax / 2), latestState, now));
            int room = outboxMax - rangeRows.size();
            if (due.size() > room) {
                due = new ArrayList<>(due.subList(0, room));
            }
            List<Delivery> all = new ArrayList<>(rows.won(c, due, now, Delivery::id));
            rangeRows.forEach(row -> all.add(row.delivery()));
            // what the outbox leaves of the claim, the hand-off fills
            taken.addAll(takeHandedOff(target, outboxMax - all.size(), now));
            List<Delivery> handed = taken.stream().map(Handed::delivery).toList();
            all.addAll(latestState ? withNewestStates(c, handed) : handed);
            // oldest first: by the time each was queued, then in the order of the outbox's ids
            all.sort(java.util.Comparator.comparing(Delivery::createdAt, java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()))
                    .thenComparingLong(Delivery::id));
            return all;
        });
        rangeRows.forEach(row -> claimedRows.put(row.delivery().id(), row));
        return claimed;
    }

    /** A range of a drop's lines queued for a target, as a claim reads it. */
    private record Range(long id, String source, long dropId, String target, int fromLine, int toLine, String kinds, String status,
                         int attempts, Instant createdAt) {
    }

    /**
     * Claims up to {@code max} rows of a target's ranges, oldest range first: a range is claimed whole (SENDING with a
     * lease) when it carries no more rows than there is room for, else its first rows become a claimed range of their
     * own and the range keeps the rest (and its place in the queue); a range that carries nothing any more is deleted.
     */
    private List<RangeRow> claimRanges(Connection c, String target, int max, boolean latestState, Instant now) throws SQLException {
        List<RangeRow> claimed = new ArrayList<>();
        if (max <= 0) {
            return claimed;
        }
        // a range carries at least one row, so no more ranges than rows are needed
        List<Range> ranges = new ArrayList<>(ranges(c, target, Sql.rangeIs("g.status", "'PENDING'"), now, max));
        ranges.addAll(ranges(c, target, Sql.rangeIs("g.status", "'SENDING'") + " and g.lease_until < ?", now, max));
        // in the order of the drops' lines: a claimed part of a range whose lease ran out (a row of its own, newer than the
        // range it was cut from) before the rest
        ranges.sort(java.util.Comparator.comparingLong(Range::dropId).thenComparingInt(Range::fromLine));
        // as read: another instance may have claimed it, or cut a claim from it, since
        String claimable = " and from_line = ? and to_line = ? and (status = 'PENDING' or (status = 'SENDING' and lease_until < ?))";
        for (Range g : ranges) {
            int room = max - claimed.size();
            if (room <= 0) {
                break;
            }
            List<Delivery> rows = rangeRows(c, g, room + 1, latestState);
            if (rows.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("delete from delivery_range where id = ?" + claimable)) {
                    ps.setLong(1, g.id());
                    ps.setInt(2, g.fromLine());
                    ps.setInt(3, g.toLine());
                    Sql.setTime(ps, 4, now);
                    ps.executeUpdate();
                }
                continue;
            }
            boolean whole = rows.size() <= room;
            if (!whole) {
                rows = rows.subList(0, room);
            }
            int lastLine = rows.get(rows.size() - 1).line();
            long claimedRange;
            if (whole) {
                try (PreparedStatement ps = c.prepareStatement("""
                        update delivery_range set status = 'SENDING', lease_until = ?, claimed_by = ?, attempts = attempts + 1, updated_at = ?
                        where id = ?""" + claimable)) {
                    Sql.setTime(ps, 1, now.plus(lease));
                    ps.setString(2, instanceId);
                    Sql.setTime(ps, 3, now);
                    ps.setLong(4, g.id());
                    ps.setInt(5, g.fromLine());
                    ps.setInt(6, g.toLine());
                    Sql.setTime(ps, 7, now);
                    if (ps.executeUpdate() == 0) {
                        continue; // claimed by another instance since it was read
                    }
                }
                claimedRange = g.id();
            } else {
                try (PreparedStatement ps = c.prepareStatement("""
                        update delivery_range set from_line = ?, status = 'PENDING', lease_until = null, updated_at = ?
                        where id = ?""" + claimable)) {
                    ps.setInt(1, lastLine + 1);
                    Sql.setTime(ps, 2, now);
                    ps.setLong(3, g.id());
                    ps.setInt(4, g.fromLine());
                    ps.setInt(5, g.toLine());
                    Sql.setTime(ps, 6, now);
                    if (ps.executeUpdate() == 0) {
                        continue;
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("""
                        insert into delivery_range (source, drop_id, target, from_line, to_line, kinds, status, attempts, lease_until,
                            claimed_by, created_at, updated_at)
                        values (?, ?, ?, ?, ?, ?, 'SENDING', ?, ?, ?, ?, ?)""", new String[] {"id"})) {
                    ps.setString(1, g.source());
                    ps.setLong(2, g.dropId());
                    ps.setString(3, g.target());
                    ps.setInt(4, g.fromLine());
                    ps.setInt(5, lastLine);
                    ps.setString(6, g.kinds());
                    ps.setInt(7, g.attempts() + 1);
                    Sql.setTime(ps, 8, now.plus(lease));
                    ps.setString(9, instanceId);
                    Sql.setTime(ps, 10, g.createdAt());
                    Sql.setTime(ps, 11, now);
                    ps.executeUpdate();
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        keys.next();
                        claimedRange = keys.getLong(1);
                    }
                }
            }
            // each row under the id its delivery will be stored with
            List<Long> ids = nextIds(c, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Delivery row = rows.get(i);
                claimed.add(new RangeRow(claimedRange, new Delivery(ids.get(i), row.source(), row.dropId(), row.line(), row.workerId(),
                        row.target(), row.canonical(), row.attempts(), null, row.changeKind(), row.createdAt(), null), now));
            }
        }
        return claimed;
    }

    /** Up to {@code max} of a target's ranges matching {@code condition} (one time parameter), oldest first. */
    private static List<Range> ranges(Connection c, String target, String condition, Instant now, int max) throws SQLException {
        List<Range> ranges = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select g.id, g.source, g.drop_id, g.target, g.from_line, g.to_line, g.kinds, g.status, g.attempts, g.created_at
                from delivery_range g where g.target = ?""" + " and " + condition + " order by g.target, g.status, g.id limit ?")) {
            ps.setString(1, target);
            if (condition.contains("?")) {
                Sql.setTime(ps, 2, now);
                ps.setInt(3, max);
            } else {
                ps.setInt(2, max);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ranges.add(new Range(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getInt(5), rs.getInt(6),
                            rs.getString(7), rs.getString(8), rs.getInt(9), Sql.time(rs, "created_at")));
                }
            }
        }
        return ranges;
    }

    /** {@code n} ids of the outbox's sequence, in order. */
    private List<Long> nextIds(Connection c, int n) throws SQLException {
        List<Long> ids = new ArrayList<>(n);
        try (PreparedStatement ps = c.prepareStatement(store.postgres() ? "select nextval('delivery_id_seq') from generate_series(1, ?)"
                : "select next value for delivery_id_seq from system_range(1, ?)")) {
            ps.setInt(1, n);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        java.util.Collections.sort(ids);
        return ids;
    }

    /** The first {@code max} rows range {@code g} carries, in line order, each as a delivery without an id yet (0). */
    private List<Delivery> rangeRows(Connection c, Range g, int max, boolean latestState) throws SQLException {
        List<Delivery> rows = new ArrayList<>();
        Integer lastLine = lastCarriedLine(c, g, max);
        if (lastLine == null) {
            return rows;
        }
        try (PreparedStatement ps = c.prepareStatement("select r.line, r.worker_id, coalesce(r.change_kind, 'UPDATE') as change_kind, "
                + (latestState ? "w.canonical from drop_row r left join worker_record w on w.worker_id = r.worker_id"
                        : "rec.canonical from drop_row r left join drop_row_record rec on rec.drop_id = r.drop_id and rec.line = r.line")
                + " where " + carried() + " order by r.line")) {
            bindCarried(ps, g, lastLine);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Delivery(0, g.source(), g.dropId(), rs.getInt(1), rs.getString(2), g.target(),
                            rs.getString(4), g.attempts(), null, rs.getString(3), g.createdAt(), null));
                }
            }
        }
        return rows;
    }

    /**
     * The line of the {@code max}th row range {@code g} carries (of its last, when it carries fewer); null when it carries none.
     * Read from the drop's rows alone along their key, so that a claim reads no further into a page than it takes. H2 walks
     * the key's range in key order without being told: "order by line" makes it read and sort the whole range (a first load's
     * page of 5,000 rows for every claim of 100), and "order by drop_id, line" makes it walk the key from the drop's first
     * row, dropping the range (every claim read all of a 200k drop's rows before its own).
     */
    private Integer lastCarriedLine(Connection c, Range g, int max) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select r.line from drop_row r where " + carried()
                + (store.postgres() ? " order by r.line" : "") + " limit ?")) {
            bindCarried(ps, g, g.toLine());
            ps.setInt(7, max);
            Integer last = null;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    last = last == null ? rs.getInt(1) : Math.max(last, rs.getInt(1));
                }
            }
            return last;
        }
    }

    /** The rows of drop row {@code r} a range carries up to a line: six parameters, {@link #bindCarried}. */
    private String carried() {
        return "r.drop_id = ? and r.line between ? and ? and r.status = 'PLANNED' and " + kindTaken(KINDS_PARAMETER)
                + " and not exists (select 1 from delivery x where x.drop_id = r.drop_id and x.line = r.line and x.target = ?" + fence() + ")";
    }

    private static void bindCarried(PreparedStatement ps, Range g, int toLine) throws SQLException {
        ps.setLong(1, g.dropId());
        ps.setInt(2, g.fromLine());
        ps.setInt(3, toLine);
        ps.setString(4, g.kinds());
        ps.setString(5, g.kinds());
        ps.setString(6, g.target());
    }

    /**
     * Ends the look-up of a row's own delivery: on PostgreSQL with {@code offset 0}, which keeps it a look-up by the whole
     * key for each row. As an anti-join it was planned on statistics from when the outbox was nearly empty: each row
     * scanned every delivery of the drop for the target (a 200k delta's claims took 6.4 s of the server's time).
     */
    private String fence() {
        return store.postgres() ? " offset 0" : "";
    }

    /** Whether a delivery handed out by a claim of this instance is a row of a range (its outcome not yet stored). */
    private boolean ofRange(long deliveryId) {
        return claimedRows.containsKey(deliveryId);
    }

    /**
     * Stores the outcome of claimed range rows as deliveries of their own under the ids they were handed out with, in the
     * caller's transaction: {@code status}
     * with {@code httpStatus} (by row) and {@code notBefore}; {@code attemptsAdded} to the attempts before the claim (1: the
     * claim counts as an attempt; 0: held back unsent). Then deletes each range every row of which has an outcome.
     * Returns the ids of the rows stored (none for a row unknown here, or that already has a delivery).
     */
    private java.util.Set<Long> settleRangeRows(Connection c, java.util.Map<Long, Integer> rows, String status, Instant notBefore,
                                                      int attemptsAdded) throws SQLException {
        java.util.Set<Long> stored = new java.util.HashSet<>();
        Instant now = Instant.now();
        // the ranges first, locked in order: two settlements of one range's rows (concurrent requests of a claim) must not
        // each find the other's row still without an outcome, commit, and leave behind a range that carries nothing
        java.util.Set<Long> locked = new java.util.TreeSet<>();
        rows.keySet().forEach(id -> {
            RangeRow row = claimedRows.get(id);
            if (row != null) {
                locked.add(row.rangeId());
            }
        });
        List<Range> lockedRanges = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select id, source, drop_id, target, from_line, to_line, kinds, status, attempts, created_at from delivery_range
                where id = ? for update""")) {
            for (long range : locked) {
                ps.setLong(1, range);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        lockedRanges.add(new Range(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getInt(5), rs.getInt(6),
                                rs.getString(7), rs.getString(8), rs.getInt(9), Sql.time(rs, "created_at")));
                    }
                }
            }
        }
        List<Long> batched = new ArrayList<>();
        // one JDBC batch: a claim's acknowledgements settle together
        try (PreparedStatement ps = c.prepareStatement("""
                insert into delivery (id, source, drop_id, line, worker_id, target, status, attempts, http_status, not_before, created_at,
                    updated_at, change_kind, claimed_by)
                select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? from (select 1 as one) o
                where not exists (select 1 from delivery x where x.drop_id = ? and x.line = ? and x.target = ?)""")) {
            for (java.util.Map.Entry<Long, Integer> e : new java.util.TreeMap<>(rows).entrySet()) {
                RangeRow row = claimedRows.get(e.getKey());
                if (row == null) {
                    LOG.warn("Delivery {} settled {} is not a claim of this instance that is still open: left to its range's next claim",
                            e.getKey(), status);
                    continue;
                }
                Delivery d = row.delivery();
                ps.setLong(1, d.id());
                ps.setString(2, d.source());
                ps.setLong(3, d.dropId());
                ps.setInt(4, d.line());
                ps.setString(5, d.workerId());
                ps.setString(6, d.target());
                ps.setString(7, status);
                ps.setInt(8, d.attempts() + attemptsAdded);
                Sql.setInt(ps, 9, e.getValue());
                Sql.setTime(ps, 10, notBefore);
                Sql.setTime(ps, 11, d.createdAt());
                Sql.setTime(ps, 12, now);
                ps.setString(13, d.changeKind());
                // the instance that sent it, for the worker's audit trail
                ps.setString(14, instanceId);
                ps.setLong(15, d.dropId());
                ps.setInt(16, d.line());
                ps.setString(17, d.target());
                ps.addBatch();
                batched.add(d.id());
            }
            if (!batched.isEmpty()) {
                int[] counts = ps.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] > 0 || counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
                        stored.add(batched.get(i));
                    }
                }
            }
        }
        // then each range that carries no row any more goes; its bounds as parameters, so that the look-up is a walk of the
        // drop row key whatever PostgreSQL's statistics say (correlated with the range, it was planned as a bitmap scan of
        // a 5,000-line page costed high enough to be JIT-compiled on every settlement)
        for (Range g : lockedRanges) {
            if (lastCarriedLine(c, g, 1) == null) {
                try (PreparedStatement ps = c.prepareStatement("delete from delivery_range where id = ?")) {
                    ps.setLong(1, g.id());
                    ps.executeUpdate();
                }
            }
        }
        return stored;
    }

    /** Forgets claimed range rows once their outcome is committed. */
    private void settled(java.util.Collection<Long> deliveryIds) {
        deliveryIds.forEach(claimedRows::remove);
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
    static final String PENDING_DUE = TABLE.waitingDue();

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
    @Override
    public void retryLater(long deliveryId, Instant notBefore) {
        if (ofRange(deliveryId)) {
            store.tx(c -> settleRangeRows(c, java.util.Collections.singletonMap(deliveryId, null), "PENDING", notBefore, 1));
            settled(List.of(deliveryId));
            return;
        }
        rows.settle(deliveryId, "PENDING", notBefore);
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
        java.util.Map<Long, Integer> ofRanges = new java.util.HashMap<>();
        deliveryIds.stream().filter(this::ofRange).forEach(id -> ofRanges.put(id, null));
        int heldRows = store.tx(c -> {
            return settleRangeRows(c, ofRanges, "PENDING", notBefore, 0).size()
                    + rows.holdBack(c, deliveryIds.stream().filter(id -> !ofRange(id)).toList(), notBefore);
        });
        settled(ofRanges.keySet());
        return heldRows;
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
        // one statement per HTTP status (nearly always one), ids in order; a range's rows become deliveries of their own
        java.util.Map<Integer, List<Long>> byStatus = new java.util.TreeMap<>();
        java.util.Map<Long, Integer> ofRanges = new java.util.HashMap<>();
        new java.util.TreeMap<>(acknowledged).forEach((id, status) -> {
            if (ofRange(id)) {
                ofRanges.put(id, status);
            } else {
                byStatus.computeIfAbsent(status, s -> new ArrayList<>()).add(id);
            }
        });
        store.tx(c -> {
            settleRangeRows(c, ofRanges, "DELIVERED", null, 1);
            if (byStatus.isEmpty()) {
                return null;
            }
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
        settled(ofRanges.keySet());
    }

    /** {@link #deliveredAll} in one transaction. */
    @Override
    public void deliveredTogether(java.util.Map<Delivery, Integer> taken) {
        java.util.Map<Long, Integer> byId = new java.util.HashMap<>();
        taken.forEach((delivery, status) -> byId.put(delivery.id(), status));
        deliveredAll(byId);
    }

    @Override
    public void delivered(Delivery delivery, int httpStatus) {
        delivered(delivery.id(), httpStatus);
    }

    public void delivered(long deliveryId, int httpStatus) {
        if (ofRange(deliveryId)) {
            deliveredAll(java.util.Map.of(deliveryId, httpStatus));
            return;
        }
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
    @Override
    public long failed(Delivery delivery, ExceptionEntry context) {
        boolean ofRange = ofRange(delivery.id());
        long exception = store.tx(c -> {
            long deliveryId = delivery.id();
            if (ofRange) {
                // a row of a range: FAILED as a delivery of its own, which the exception refers to and a replay sends again
                if (!settleRangeRows(c, java.util.Collections.singletonMap(deliveryId, context.httpStatus()), "FAILED", null, 1)
                        .contains(deliveryId)) {
                    deliveryId = existing(c, delivery);
                }
            } else {
                try (PreparedStatement ps = c.prepareStatement(
                        "update delivery set status = 'FAILED', http_status = ?, lease_until = null, updated_at = ? where id = ?")) {
                    Sql.setInt(ps, 1, context.httpStatus());
                    Sql.setTime(ps, 2, Instant.now());
                    ps.setLong(3, deliveryId);
                    ps.executeUpdate();
                }
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
                    delivery.target(), deliveryId, context.reason(), context.errorClass(), context.attempts(),
                    context.httpStatus(), context.responseExcerpt(), sourceRecord, null, null, 0, delivery.eventId(), origin);
            return ExceptionQueue.add(c, entry);
        });
        if (ofRange) {
            settled(List.of(delivery.id()));
        }
        return exception;
    }

    /** The id of the delivery a row of a range already has (its outcome stored by an earlier claim of the range). */
    private static long existing(Connection c, Delivery row) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id from delivery where drop_id = ? and line = ? and target = ?")) {
            ps.setLong(1, row.dropId());
            ps.setInt(2, row.line());
            ps.setString(3, row.target());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("delivery of drop " + row.dropId() + " line " + row.line() + " to " + row.target() + " is not in the store");
                }
                return rs.getLong(1);
            }
        }
    }

    /**
     * Counts by status for one target, e.g. for tests and the health of a backlog: the rows a range carries count as
     * deliveries in the range's status (PENDING or SENDING).
     */
    public int count(String target, String status) {
        return store.tx(c -> count(c, target, status));
    }

    /** {@link #count(String, String)} in the caller's transaction. */
    public static int count(Connection c, String target, String status) throws SQLException {
        int n = TABLE.count(c, target, status);
        try (PreparedStatement ps = c.prepareStatement("select count(*) from delivery_range g join drop_row r on " + RANGE_ROWS
                + " where g.target = ? and g.status = ?")) {
            ps.setString(1, target);
            ps.setString(2, status);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return n + rs.getInt(1);
            }
        }
    }

    /**
     * What a target still has to send, cheaply: its deliveries PENDING or SENDING plus its ranges (each counted once, however
     * many rows it carries). Zero when everything queued for it has an outcome.
     */
    public static long open(Connection c, String target) throws SQLException {
        return number(c, "select (select count(*) from delivery where target = ? and status in ('PENDING', 'SENDING'))"
                + " + (select count(*) from delivery_range where target = ?)", target);
    }

    /** Deliveries queued for a target in any status, the rows its ranges carry included. */
    public static int queued(Connection c, String target) throws SQLException {
        return (int) number(c, "select (select count(*) from delivery where target = ?) + (select count(*) "
                + "from delivery_range g join drop_row r on " + RANGE_ROWS + " where g.target = ?)", target);
    }

    /** Deliveries queued for a drop in any status, the rows its ranges carry included. */
    public static int queuedForDrop(Connection c, long dropId) throws SQLException {
        return (int) number(c, "select (select count(*) from delivery where drop_id = ?) + (select count(*) "
                + "from delivery_range g join drop_row r on " + RANGE_ROWS + " where g.drop_id = ?)", dropId);
    }

    /** The number a query of two parameters, both {@code key}, answers. */
    private static long number(Connection c, String sql, Object key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, key);
            ps.setObject(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
