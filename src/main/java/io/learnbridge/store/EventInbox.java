package io.learnbridge.store;

import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeDetector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The inbox of webhook requests and Kafka records. A source stores each event here before it
 * acknowledges it (202, or the offset commit), de-duplicated by its event key; events are then
 * processed from the store, never on the request or poll thread. A claim has a lease, so the
 * events of an instance that died are processed by another one.
 */
public final class EventInbox {

    /** How an event arrived. */
    public enum Channel { WEBHOOK, KAFKA }

    /** The answer to the sender: the stored event's id, and whether it was stored already. */
    public record Receipt(long eventId, boolean duplicate) {
    }

    /** A stored event, as claimed for processing. */
    public record Event(long id, String source, Channel channel, String origin, String body, Instant receivedAt) {
    }

    private final Store store;
    private final String instanceId;
    private final Duration lease;
    private final java.util.function.Function<String, java.util.Set<String>> kindsOf;

    public EventInbox(Store store, String instanceId, Duration lease) {
        this(store, instanceId, lease, target -> null);
    }

    /** @param kindsOf the change kinds each target takes; null: all */
    public EventInbox(Store store, String instanceId, Duration lease, java.util.function.Function<String, java.util.Set<String>> kindsOf) {
        this(store, instanceId, lease, kindsOf, null);
    }

    /**
     * @param deliveries this instance's outbox, whose delivery routes are handed the deliveries of the events applied here
     *                   ({@link DeliveryQueue#enqueueEvents(Connection, List, Instant)}); null: they are queued for any claim
     */
    public EventInbox(Store store, String instanceId, Duration lease, java.util.function.Function<String, java.util.Set<String>> kindsOf,
                      DeliveryQueue deliveries) {
        this.store = store;
        this.instanceId = instanceId;
        this.lease = lease;
        this.kindsOf = kindsOf;
        this.outbox = deliveries;
        this.queue = new LeasedQueue(store, instanceId, lease, new LeasedQueue.Table("inbound_event", "", "source", "RECEIVED", "PROCESSING", false));
    }

    private final LeasedQueue queue;

    private final DeliveryQueue outbox;

    /** Stores an event for processing, once per event key. */
    public Receipt receive(String source, Channel channel, String eventKey, String origin, String body) {
        return insert(source, channel, eventKey, origin, body, "RECEIVED", null, null);
    }

    /**
     * Stores an event that cannot be processed (a poison record: not JSON, not UTF-8, too big, a
     * tombstone) as REJECTED, with an exception-queue entry naming where it came from, once per key.
     */
    public Receipt reject(String source, Channel channel, String eventKey, String origin, String body, String field, String reason) {
        return insert(source, channel, eventKey, origin, body, "REJECTED", field, reason);
    }

    /**
     * One event to store with others ({@link #receiveAll}): {@code reason} null to process it,
     * otherwise it is stored REJECTED with an exception-queue entry, as {@link #reject} does.
     */
    public record Incoming(String source, Channel channel, String eventKey, String origin, String body, String field, String reason) {
    }

    /**
     * Stores events in one transaction, each once per event key (a key stored before, or twice in
     * the list, is a duplicate of the first); receipts in the order given. A key stored by another
     * instance meanwhile makes the whole list be stored again one event at a time.
     */
    public List<Receipt> receiveAll(List<Incoming> events) {
        return receiveAll(events, false).receipts();
    }

    /**
     * What {@link #receiveAll(List, boolean)} or {@link #receiveAndApply} stored: a receipt per event given, the events
     * applied in the same transaction, and the events this instance holds claimed to process at once (empty unless asked
     * for and the inbox had no older event waiting).
     */
    public record Received(List<Receipt> receipts, List<Applied> applied, List<Event> claimed) {
    }

    /**
     * As {@link #receiveAll(List)}; with {@code claim}, when no stored event is waiting or being
     * processed, the new ones that can be processed are stored already claimed by this instance (as
     * {@link #claim} would, with its lease) and returned, so the caller processes them at once, in the
     * order given, without another transaction to claim them. When older events are waiting, the new
     * ones wait behind them, so events are still processed oldest first.
     */
    public Received receiveAll(List<Incoming> events, boolean claim) {
        return store(events, claim, null);
    }

    /**
     * As {@link #receiveAll(List, boolean)} with a claim, and the claimed events mapped by {@code mapper} and applied in
     * the same transaction ({@link #applyAll}): one commit stores and applies them. When {@code mapper} answers null (an
     * event it must apply on its own, such as a rescind), they are stored claimed and returned, as without it. Throws,
     * storing nothing, when the transaction fails: store them with {@link #receiveAll(List, boolean)} then.
     */
    public Received receiveAndApply(List<Incoming> events, java.util.function.Function<List<Event>, List<Mapped>> mapper) {
        return store(events, true, mapper);
    }

    private Received store(List<Incoming> events, boolean claim, java.util.function.Function<List<Event>, List<Mapped>> mapper) {
        if (events.isEmpty()) {
            return new Received(List.of(), List.of(), List.of());
        }
        List<DeliveryQueue.Handed> handed = new ArrayList<>();
        Received received;
        try {
            received = store.tx(c -> {
                handed.clear();
                // as stored: the databases keep microseconds, and an event without an effective date takes this one
                Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
                boolean claiming = claim && !waiting(c);
                List<Event> claimed = new ArrayList<>();
                List<Receipt> receipts = insertAll(c, events, now, claiming ? now.plus(lease) : null, instanceId);
                if (claiming) {
                    for (int i = 0; i < events.size(); i++) {
                        Incoming event = events.get(i);
                        if (!receipts.get(i).duplicate() && event.reason() == null) {
                            claimed.add(new Event(receipts.get(i).eventId(), event.source(), event.channel(), event.origin(), event.body(), now));
                        }
                    }
                }
                List<Mapped> mapped = mapper == null || claimed.isEmpty() ? null : mapper.apply(claimed);
                if (mapped == null) {
                    return new Received(receipts, List.of(), claimed);
                }
                return new Received(receipts, applyIn(c, mapped, handed), List.of());
            });
        } catch (StoreException e) {
            if (mapper != null || !(e.getCause() instanceof SQLException cause && (Store.isUniqueViolation(cause)
                    || cause.getNextException() != null && Store.isUniqueViolation(cause.getNextException())))) {
                throw e;
            }
            List<Receipt> receipts = new ArrayList<>(events.size());
            for (Incoming event : events) {
                receipts.add(insert(event.source(), event.channel(), event.eventKey(), event.origin(), event.body(),
                        event.reason() == null ? "RECEIVED" : "REJECTED", event.field(), event.reason()));
            }
            return new Received(receipts, List.of(), List.of());
        }
        if (!received.applied().isEmpty()) {
            applied(handed);
        }
        return received;
    }

    /** Whether a stored event is waiting to be processed or is being processed (by any instance): two probes of the index (status, id). */
    private static boolean waiting(Connection c) throws SQLException {
        for (String status : List.of("RECEIVED", "PROCESSING")) {
            try (PreparedStatement ps = c.prepareStatement("select id from inbound_event where " + Sql.rangeIs("status", "'" + status + "'")
                    + " order by status, id limit 1")) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Inserts the events not stored before; those to process are RECEIVED, or PROCESSING claimed by
     * {@code claimedBy} until {@code leaseUntil} when that is given.
     */
    private static List<Receipt> insertAll(Connection c, List<Incoming> events, Instant now, Instant leaseUntil, String claimedBy)
            throws SQLException {
        java.util.Map<String, java.util.Map<String, Long>> stored = new java.util.HashMap<>(); // source -> key -> id
        for (Incoming event : events) {
            stored.computeIfAbsent(event.source(), s -> new java.util.HashMap<>());
        }
        for (var bySource : stored.entrySet()) {
            ids(c, bySource.getKey(), events.stream().filter(e -> e.source().equals(bySource.getKey()))
                    .map(e -> Sql.truncate(e.eventKey(), 300)).distinct().toList(), bySource.getValue());
        }
        List<Incoming> fresh = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Incoming event : events) {
            String key = Sql.truncate(event.eventKey(), 300);
            if (!stored.get(event.source()).containsKey(key) && seen.add(event.source() + "\u0000" + key)) {
                fresh.add(event);
            }
        }
        if (!fresh.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into inbound_event (source, channel, event_key, origin, body, status, received_at, processed_at, lease_until, claimed_by)
                    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                for (Incoming event : fresh) {
                    boolean claimed = leaseUntil != null && event.reason() == null;
                    ps.setString(1, event.source());
                    ps.setString(2, event.channel().name());
                    ps.setString(3, Sql.truncate(event.eventKey(), 300));
                    ps.setString(4, Sql.truncate(event.origin(), 300));
                    ps.setString(5, event.body());
                    ps.setString(6, event.reason() != null ? "REJECTED" : claimed ? "PROCESSING" : "RECEIVED");
                    Sql.setTime(ps, 7, now);
                    Sql.setTime(ps, 8, event.reason() == null ? null : now);
                    Sql.setTime(ps, 9, claimed ? leaseUntil : null);
                    ps.setString(10, claimed ? claimedBy : null);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        java.util.Map<String, java.util.Map<String, Long>> inserted = new java.util.HashMap<>();
        for (Incoming event : fresh) {
            inserted.computeIfAbsent(event.source(), s -> new java.util.HashMap<>());
        }
        for (var bySource : inserted.entrySet()) {
            ids(c, bySource.getKey(), fresh.stream().filter(e -> e.source().equals(bySource.getKey()))
                    .map(e -> Sql.truncate(e.eventKey(), 300)).toList(), bySource.getValue());
        }
        List<Receipt> receipts = new ArrayList<>(events.size());
        List<ExceptionEntry> rejections = new ArrayList<>();
        java.util.Set<String> counted = new java.util.HashSet<>();
        for (Incoming event : events) {
            String key = Sql.truncate(event.eventKey(), 300);
            Long before = stored.get(event.source()).get(key);
            if (before != null) {
                receipts.add(new Receipt(before, true));
                reusedKey(c, before, event, rejections);
                continue;
            }
            long id = inserted.get(event.source()).get(key);
            boolean first = counted.add(event.source() + "\u0000" + key);
            receipts.add(new Receipt(id, !first));
            if (!first) {
                reusedKey(c, id, event, rejections);
            }
            if (first && event.reason() != null) {
                rejections.add(ExceptionEntry.rejectedEvent("parse", event.source(), id, event.origin(), null, event.field(), event.reason(),
                        event.body().isEmpty() ? null : event.body()));
            }
        }
        ExceptionQueue.addAll(c, rejections);
        return receipts;
    }

    /** The ids of a source's events stored under {@code keys}, into {@code ids}: one index look-up per key. */
    private static void ids(Connection c, String source, List<String> keys, java.util.Map<String, Long> ids) throws SQLException {
        boolean postgres = Sql.postgres(c);
        try (PreparedStatement ps = c.prepareStatement("select e.event_key, e.id from unnest(cast(? as " + (postgres ? "varchar[]" : "varchar array")
                + ")) lb_keys(lb_key) join inbound_event e on e.source = ? and e.event_key = lb_keys.lb_key")) {
            for (List<String> chunk : Sql.chunks(keys, Sql.IN_LIST)) {
                ps.setArray(1, c.createArrayOf("varchar", chunk.toArray()));
                ps.setString(2, source);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
        }
    }

    private Receipt insert(String source, Channel channel, String eventKey, String origin, String body, String status,
                           String field, String reason) {
        Instant now = Instant.now();
        return store.tx(c -> {
            Long existing = find(c, source, eventKey);
            if (existing != null) {
                List<ExceptionEntry> conflict = new ArrayList<>();
                reusedKey(c, existing, new Incoming(source, channel, eventKey, origin, body, field, reason), conflict);
                ExceptionQueue.addAll(c, conflict);
                return new Receipt(existing, true);
            }
            long id;
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into inbound_event (source, channel, event_key, origin, body, status, received_at, processed_at)
                    values (?, ?, ?, ?, ?, ?, ?, ?)""", new String[] {"id"})) {
                ps.setString(1, source);
                ps.setString(2, channel.name());
                ps.setString(3, Sql.truncate(eventKey, 300));
                ps.setString(4, Sql.truncate(origin, 300));
                ps.setString(5, body);
                ps.setString(6, status);
                Sql.setTime(ps, 7, now);
                Sql.setTime(ps, 8, reason == null ? null : now);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            } catch (SQLException e) {
                if (!Store.isUniqueViolation(e)) {
                    throw e;
                }
                // stored concurrently by another request or instance
                c.rollback();
                Long winner = find(c, source, eventKey);
                if (winner == null) {
                    throw e;
                }
                return new Receipt(winner, true);
            }
            if (reason != null) {
                ExceptionQueue.add(c, ExceptionEntry.rejectedEvent("parse", source, id, origin, null, field, reason, body.isEmpty() ? null : body));
            }
            return new Receipt(id, false);
        });
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * An event key stored before (a redelivery: acknowledged, not applied again) whose body now
     * differs from the stored one is not a redelivery but a sender that reused an id for other
     * content, often a correction: it goes to the exception queue with both bodies' checksums and
     * the new body, which a replay applies. The same JSON written differently is the same content.
     * Once per distinct body.
     */
    private static void reusedKey(Connection c, long storedId, Incoming event, List<ExceptionEntry> rejections) throws SQLException {
        String stored;
        try (PreparedStatement ps = c.prepareStatement("select body from inbound_event where id = ?")) {
            ps.setLong(1, storedId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                stored = rs.getString(1);
            }
        }
        if (stored == null || stored.equals(event.body()) || sameJson(stored, event.body())) {
            return;
        }
        for (ExceptionEntry queued : rejections) {
            if (queued.eventId() != null && queued.eventId() == storedId && event.body().equals(queued.sourceRecord())) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "select count(*) from exception_record where event_id = ? and stage = 'dedupe' and source_record = ?")) {
            ps.setLong(1, storedId);
            ps.setString(2, event.body());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    return;
                }
            }
        }
        rejections.add(ExceptionEntry.rejectedEvent("dedupe", event.source(), storedId, event.origin(), null, null,
                "event key " + event.eventKey() + " was received before (event " + storedId + ", body sha256 " + Sql.sha256(stored)
                        + ") and now comes with different content (body sha256 " + Sql.sha256(event.body()) + "): the new body is not applied."
                        + " If it is a correction, replay this exception, and have the sender give each change its own id",
                event.body()));
    }

    private static boolean sameJson(String a, String b) {
        try {
            return JSON.readTree(a).equals(JSON.readTree(b));
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static Long find(Connection c, String source, String eventKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select id from inbound_event where source = ? and event_key = ?")) {
            ps.setString(1, source);
            ps.setString(2, Sql.truncate(eventKey, 300));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** At startup: this instance's claims from before a crash or stop are processed again. */
    public int releaseOwnClaims() {
        return queue.releaseOwnClaims();
    }

    /** The events instance {@code instance} holds claimed go back to waiting, in the caller's transaction. */
    public int releaseClaimsOf(Connection c, String instance) throws SQLException {
        return queue.releaseClaimsOf(c, instance);
    }

    /** Claims up to {@code max} received events, oldest first. */
    public List<Event> claim(int max) {
        return queue.claim(EventInbox::candidates, max, Event::id);
    }

    /** Up to {@code max} events matching {@code condition} (with one time parameter, or none when {@code now} is null), oldest first. */
    private static List<Event> candidates(Connection c, String condition, Instant now, int max) throws SQLException {
        List<Event> candidates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select id, source, channel, origin, body, received_at from inbound_event where "
                + condition + " order by status, id limit ?")) {
            int i = 1;
            if (now != null) {
                Sql.setTime(ps, i++, now);
            }
            ps.setInt(i, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new Event(rs.getLong("id"), rs.getString("source"), Channel.valueOf(rs.getString("channel")),
                            rs.getString("origin"), rs.getString("body"), Sql.time(rs, "received_at")));
                }
            }
        }
        return candidates;
    }

    /**
     * A mapped event: it becomes the worker's state and is queued for each target, unless a newer
     * change for the worker is stored already (then it is SUPERSEDED and queued nowhere).
     */
    public WorkerStates.Outcome apply(Event event, String workerId, Instant effectiveAt, String canonical, List<String> targets) {
        return apply(event, workerId, effectiveAt, canonical, targets, null);
    }

    /**
     * As {@link #apply(Event, String, Instant, String, List)}, through change detection: a change
     * that leaves the worker as stored is UNCHANGED and sent nowhere.
     */
    public WorkerStates.Outcome apply(Event event, String workerId, Instant effectiveAt, String canonical, List<String> targets,
                                      ChangeDetector detector) {
        // a batch of one: the same decision as every batch
        return WorkerStates.Outcome.valueOf(applyAll(List.of(new Accepted(event, workerId, effectiveAt, canonical, targets, detector)))
                .get(0).outcome());
    }

    /** A mapped event, ready to be applied: accepted with its record, or rejected by its source mapping. */
    public sealed interface Mapped {
        Event event();
    }

    /** An accepted event's record, for the worker's state and the targets' queues. */
    public record Accepted(Event event, String workerId, Instant effectiveAt, String canonical, List<String> targets, ChangeDetector detector)
            implements Mapped {
    }

    /**
     * An event the source mapping rejected, for the exception queue; {@code workerId} is the worker it
     * names when the mapping's id rule could read one (null otherwise).
     */
    public record Rejected(Event event, String workerId, String field, String reason) implements Mapped {
    }

    /** What applying one mapped event did: its outcome (APPLIED, SUPERSEDED, UNCHANGED; REJECTED with the exception's id). */
    public record Applied(Mapped mapped, String outcome, long exceptionId) {
    }

    /**
     * Applies a batch of mapped events in one transaction, in order (two events for one worker are
     * applied one after the other, as they would be one by one). An accepted one that leaves its
     * worker as stored (with a change detector) is UNCHANGED; one older than the worker's state is
     * SUPERSEDED; otherwise it becomes the worker's state and is queued for each target that takes
     * its kind (APPLIED). A rejected one goes to the exception queue as {@link #rejectMapped} does.
     * Nothing of the batch is committed when one of them fails.
     */
    public List<Applied> applyAll(List<Mapped> batch) {
        List<DeliveryQueue.Handed> handed = new ArrayList<>();
        List<Applied> applied = store.tx(c -> {
            handed.clear();
            return applyIn(c, batch, handed);
        });
        applied(handed);
        return applied;
    }

    /** Once a batch's transaction has committed: its deliveries stored claimed go to their routes, and the statistics follow the growth. */
    private void applied(List<DeliveryQueue.Handed> handed) {
        if (outbox != null) {
            outbox.handOff(handed);
        }
        analyzeWhenGrown();
    }

    /** {@link #applyAll} in a transaction of the caller's; the deliveries stored claimed go to {@code handed}, to hand off after the commit. */
    private List<Applied> applyIn(Connection c, List<Mapped> batch, List<DeliveryQueue.Handed> handed) throws SQLException {
        // the batch's workers are read (and their stored states locked) once, then the events are
        // decided in order against those states as they change, and the writes go out in JDBC
        // batches: a handful of statements a batch instead of five or six an event
        java.util.TreeSet<String> workers = new java.util.TreeSet<>();
        boolean detecting = false;
        for (Mapped m : batch) {
            if (m instanceof Accepted a) {
                workers.add(a.workerId());
                detecting |= a.detector() != null;
            }
        }
        java.util.Map<String, Instant> effective = lockedStates(c, workers);
        java.util.Set<String> existed = new java.util.HashSet<>(effective.keySet());
        java.util.Map<String, String> records = detecting ? WorkerStates.canonicals(c, workers) : new java.util.HashMap<>();
        java.util.Map<String, WorkerStates.Write> writes = new java.util.LinkedHashMap<>();
        List<DeliveryQueue.EventDelivery> deliveries = new ArrayList<>();
        List<Finished> finished = new ArrayList<>();
        List<Applied> done = new ArrayList<>(batch.size());
        for (Mapped m : batch) {
            if (!(m instanceof Accepted a)) {
                Rejected r = (Rejected) m;
                done.add(new Applied(m, "REJECTED", rejectIn(c, r.event(), r.workerId(), r.field(), r.reason())));
                continue;
            }
            String kind = "UPDATE";
            CanonicalRecord incoming = CanonicalRecord.fromJson(a.canonical()); // read once for the decision and the state
            if (a.detector() != null) {
                String stored = records.get(a.workerId());
                io.learnbridge.worker.Change change = a.detector().detect(stored == null ? null : CanonicalRecord.fromJson(stored), incoming);
                if (change.isNoop()) {
                    finished.add(new Finished(a.event().id(), WorkerStates.Outcome.UNCHANGED.name(), a.workerId(), a.effectiveAt()));
                    done.add(new Applied(m, WorkerStates.Outcome.UNCHANGED.name(), 0));
                    continue;
                }
                kind = change.kind().name();
            }
            boolean exists = effective.containsKey(a.workerId());
            if (exists && effective.get(a.workerId()).isAfter(a.effectiveAt())) {
                finished.add(new Finished(a.event().id(), WorkerStates.Outcome.SUPERSEDED.name(), a.workerId(), a.effectiveAt()));
                done.add(new Applied(m, WorkerStates.Outcome.SUPERSEDED.name(), 0));
                continue;
            }
            WorkerStates.Write before = writes.get(a.workerId());
            writes.put(a.workerId(), new WorkerStates.Write(a.workerId(), a.effectiveAt(), a.event().source(),
                    WorkerStates.statusOf(incoming), a.detector() != null ? kind : exists ? "UPDATE" : "JOIN",
                    incoming.stateHash(), a.canonical(), before != null ? before.homeSource() : a.event().source()));
            effective.put(a.workerId(), a.effectiveAt());
            records.put(a.workerId(), a.canonical());
            for (String target : a.targets()) {
                java.util.Set<String> takes = kindsOf.apply(target);
                if (takes == null || takes.contains(kind)) {
                    deliveries.add(new DeliveryQueue.EventDelivery(a.event().source(), a.event().id(), a.workerId(), target, a.canonical(), kind));
                }
            }
            finished.add(new Finished(a.event().id(), WorkerStates.Outcome.APPLIED.name(), a.workerId(), a.effectiveAt()));
            done.add(new Applied(m, WorkerStates.Outcome.APPLIED.name(), 0));
        }
        WorkerStates.writeAll(c, writes.values(), existed);
        if (outbox == null) {
            DeliveryQueue.enqueueEvents(c, deliveries);
        } else {
            handed.addAll(outbox.enqueueEvents(c, deliveries, Instant.now()));
        }
        finishAll(c, finished);
        newWorkers.addAndGet(writes.size() - (int) writes.keySet().stream().filter(existed::contains).count());
        return done;
    }

    /** Workers these events created since the statistics of their tables were last refreshed (PostgreSQL). */
    private final java.util.concurrent.atomic.AtomicLong newWorkers = new java.util.concurrent.atomic.AtomicLong();
    private volatile long workersAtAnalyze;

    /**
     * On PostgreSQL, {@code ANALYZE} of the workers' tables once the events have added a quarter more
     * workers (at least 1,000) than they held when last analysed: a batch reads its workers by lists
     * of keys, and planned on the statistics of a near-empty table PostgreSQL scanned whole tables
     * for each batch (a stream of new workers slowed to 700 events/s). Autovacuum would analyse them
     * too, a minute or more later.
     */
    private void analyzeWhenGrown() {
        long added = newWorkers.get();
        if (!store.postgres() || added < 1_000 || added < workersAtAnalyze / 4) {
            return;
        }
        newWorkers.addAndGet(-added);
        workersAtAnalyze += added;
        store.tx(c -> {
            try (var st = c.createStatement()) {
                st.execute("analyze worker_state");
                st.execute("analyze worker_record");
            }
            return null;
        });
    }

    /** An event's outcome, written by {@link #finishAll}. */
    private record Finished(long eventId, String status, String workerId, Instant effectiveAt) {
    }

    /** The stored effective time of each of {@code workers} that has a state, each row locked for this transaction (in id order). */
    private static java.util.Map<String, Instant> lockedStates(Connection c, java.util.SortedSet<String> workers) throws SQLException {
        java.util.Map<String, Instant> effective = new java.util.HashMap<>();
        for (List<String> chunk : Sql.chunks(workers, Sql.IN_LIST)) {
            try (PreparedStatement ps = c.prepareStatement("select worker_id, effective_at from worker_state where worker_id in ("
                    + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ") order by worker_id for update")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        effective.put(rs.getString(1), Sql.time(rs, "effective_at"));
                    }
                }
            }
        }
        return effective;
    }

    private static void finishAll(Connection c, List<Finished> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        boolean postgres = Sql.postgres(c);
        if (!postgres) {
            // embedded H2: a JDBC batch of updates by primary key (in a profile of 200k Kafka events, 128 samples where a merge
            // ... using unnest of the same rows took 194)
            Instant now = Instant.now();
            try (PreparedStatement ps = c.prepareStatement(FINISH)) {
                for (Finished e : events) {
                    bindFinish(ps, e.eventId(), e.status(), e.workerId(), e.effectiveAt(), now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return;
        }
        // PostgreSQL: one statement for the batch, the outcomes as arrays joined to the events by id
        String sql = "update inbound_event e set status = v.status, worker_id = v.worker_id, effective_at = cast(v.effective_at as timestamp with time zone),"
                + " lease_until = null, processed_at = ? from unnest(cast(? as bigint[]), cast(? as varchar[]), cast(? as varchar[]), cast(? as varchar[]))"
                + " v(id, status, worker_id, effective_at) where e.id = v.id";
        Object[] ids = new Object[events.size()];
        Object[] statuses = new Object[events.size()];
        Object[] workers = new Object[events.size()];
        Object[] effective = new Object[events.size()];
        for (int i = 0; i < events.size(); i++) {
            Finished e = events.get(i);
            ids[i] = e.eventId();
            statuses[i] = e.status();
            workers[i] = e.workerId();
            // microseconds, as Sql.setTime binds times: the databases round finer ones
            effective[i] = e.effectiveAt() == null ? null : e.effectiveAt().truncatedTo(java.time.temporal.ChronoUnit.MICROS).toString();
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Sql.setTime(ps, 1, Instant.now());
            ps.setArray(2, c.createArrayOf("bigint", ids));
            ps.setArray(3, c.createArrayOf("varchar", statuses));
            ps.setArray(4, c.createArrayOf("varchar", workers));
            ps.setArray(5, c.createArrayOf("varchar", effective));
            ps.executeUpdate();
        }
    }

    /**
     * A rescind of the event this source sent as {@code rescindedKey}: each target that got a
     * delivery of that event's change gets a VOID delivery (the change's state and kind), and the
     * rescind is APPLIED; UNCHANGED when the rescinded event was delivered nowhere. Returns the
     * VOID deliveries queued, or -1 when this source never sent an event with that key.
     */
    public int rescind(Event event, String rescindedKey) {
        return store.tx(c -> {
            Long rescinded = null;
            String workerId = null;
            try (PreparedStatement ps = c.prepareStatement("select id, worker_id from inbound_event where source = ? and event_key = ?")) {
                ps.setString(1, event.source());
                ps.setString(2, rescindedKey);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        rescinded = rs.getLong(1);
                        workerId = rs.getString(2);
                    }
                }
            }
            if (rescinded == null) {
                return -1;
            }
            Instant now = Instant.now();
            int queued;
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into delivery (source, event_id, worker_id, target, canonical, status, attempts, created_at, updated_at,
                        change_kind, voided_kind)
                    select d.source, ?, d.worker_id, d.target, d.canonical, 'PENDING', 0, ?, ?, 'VOID', coalesce(d.change_kind, 'UPDATE')
                    from delivery d
                    where d.event_id = ? and coalesce(d.change_kind, 'UPDATE') <> 'VOID'
                    and not exists (select 1 from delivery v where v.event_id = ? and v.target = d.target)""")) {
                ps.setLong(1, event.id());
                Sql.setTime(ps, 2, now);
                Sql.setTime(ps, 3, now);
                ps.setLong(4, rescinded);
                ps.setLong(5, event.id());
                queued = ps.executeUpdate();
            }
            finish(c, event.id(), queued > 0 ? WorkerStates.Outcome.APPLIED.name() : WorkerStates.Outcome.UNCHANGED.name(), workerId,
                    event.receivedAt());
            return queued;
        });
    }

    private static String storedState(Connection c, String workerId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select canonical from worker_record where worker_id = ?")) {
            ps.setString(1, workerId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** An event the source mapping rejects: REJECTED, and into the exception queue with its body. */
    public long rejectMapped(Event event, String workerId, String field, String reason) {
        return store.tx(c -> rejectIn(c, event, workerId, field, reason));
    }

    private static long rejectIn(Connection c, Event event, String workerId, String field, String reason) throws SQLException {
        finish(c, event.id(), "REJECTED", workerId, null);
        return ExceptionQueue.add(c, ExceptionEntry.rejectedEvent("map", event.source(), event.id(), event.origin(), workerId, field,
                reason, event.body()));
    }

    static void finish(Connection c, long eventId, String status, String workerId, Instant effectiveAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FINISH)) {
            bindFinish(ps, eventId, status, workerId, effectiveAt, Instant.now());
            ps.executeUpdate();
        }
    }

    private static final String FINISH =
            "update inbound_event set status = ?, worker_id = ?, effective_at = ?, lease_until = null, processed_at = ? where id = ?";

    private static void bindFinish(PreparedStatement ps, long eventId, String status, String workerId, Instant effectiveAt, Instant now)
            throws SQLException {
        ps.setString(1, status);
        ps.setString(2, workerId);
        Sql.setTime(ps, 3, effectiveAt);
        Sql.setTime(ps, 4, now);
        ps.setLong(5, eventId);
    }

    /** Events of a source by status (RECEIVED, PROCESSING, APPLIED, SUPERSEDED, REJECTED). */
    public int count(String source, String status) {
        return queue.count(source, status);
    }
}
