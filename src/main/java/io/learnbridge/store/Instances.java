package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances sharing the store ({@code bridge_instance}). Each beats every heartbeat period; an instance not seen
 * for {@code departedAfter} (killed, its host gone, cut off from the store) is marked departed by one of the others,
 * which in the same transaction puts what it held claimed (deliveries, enrolment changes, events) back to waiting, so
 * that the instances still running take it at once instead of after each claim's lease (15 minutes for deliveries).
 * Its drops, staging or applying, become claimable too ({@link #abandoned}), as do those an instance claimed before it
 * started again. Seen and departed
 * times are the database's clock, so instances whose clocks differ never judge each other by them.
 * <p>
 * An instance judges the others only after its own beats have succeeded for {@code departedAfter} without a failure:
 * after a store outage every instance's last beat is old, and the first back must not take everyone's claims before
 * they have had the time to beat again. An instance marked departed that was only slow beats again and is running
 * once more; what it held was claimed by others meanwhile, as when a lease runs out (its sends are identical upserts;
 * a drop it was staging refuses its next batch: {@link DropLedger}).
 */
public final class Instances {

    private static final Logger LOG = LoggerFactory.getLogger(Instances.class);

    /** How long the row of a departed instance is kept (its id still names the claims and deliveries it made). */
    static final Duration KEEP_DEPARTED = Duration.ofDays(7);

    /** What an instance can hold claimed, released when it departs. */
    @FunctionalInterface
    public interface Claims {
        /** Puts what {@code instance} holds claimed back to waiting, in the caller's transaction; returns how many. */
        int releaseClaimsOf(Connection c, String instance) throws SQLException;
    }

    /** An instance found departed, with how many of its claims went back to waiting. */
    public record Departed(String instance, Instant lastSeen, int released) {
    }

    private final Store store;
    private final String instanceId;
    private final String process = UUID.randomUUID().toString();
    /**
     * When this process started, by this host's clock: the same clock as the claims it makes ({@code drop_file.claimed_at}),
     * so that a claim made before the instance's latest start is known to be abandoned ({@link #abandoned}).
     */
    private final Instant startedAt = Instant.now();
    private final Duration departedAfter;
    private final List<Claims> claims;
    /** System.nanoTime() of the first beat of the current unbroken run of successful beats; -1 after a failure. */
    private volatile long beatingSince = -1;
    private volatile boolean warnedSharedId;

    public Instances(Store store, String instanceId, Duration departedAfter, List<Claims> claims) {
        this.store = store;
        this.instanceId = instanceId;
        this.departedAfter = departedAfter;
        this.claims = List.copyOf(claims);
    }

    /**
     * The heartbeat route's call: this instance beats, then marks the instances not seen for {@code departedAfter}
     * departed and releases their claims. Returns those it found.
     */
    public List<Departed> heartbeat() {
        beat();
        return releaseDeparted();
    }

    /** Whether another running process was found beating under this instance's id (logged at ERROR once). */
    public boolean sharesItsId() {
        return warnedSharedId;
    }

    /** Records that this instance is running (at startup, and every heartbeat); clears a departed mark. */
    public void beat() {
        try {
            String other = store.tx(c -> {
                String previous = null;
                boolean found = false;
                try (PreparedStatement ps = c.prepareStatement("select process from bridge_instance where instance_id = ? for update")) {
                    ps.setString(1, instanceId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            found = true;
                            previous = rs.getString(1);
                        }
                    }
                }
                if (!found) {
                    try (PreparedStatement ps = c.prepareStatement("insert into bridge_instance (instance_id, process, started_at, seen_at, departed_at)"
                            + " values (?, ?, ?, current_timestamp, null)")) {
                        ps.setString(1, instanceId);
                        ps.setString(2, process);
                        Sql.setTime(ps, 3, startedAt);
                        ps.executeUpdate();
                    }
                    return null;
                }
                boolean restarted = !process.equals(previous) && beatingSince < 0;
                try (PreparedStatement ps = c.prepareStatement("update bridge_instance set process = ?, seen_at = current_timestamp, departed_at = null"
                        + (restarted ? ", started_at = ?" : "") + " where instance_id = ?")) {
                    int i = 1;
                    ps.setString(i++, process);
                    if (restarted) {
                        Sql.setTime(ps, i++, startedAt);
                    }
                    ps.setString(i, instanceId);
                    ps.executeUpdate();
                }
                // at its first beat the row may be this id's previous process (killed and started again); later, only
                // another running process writes another process id there
                return process.equals(previous) || beatingSince < 0 ? null : previous;
            });
            if (other != null && !warnedSharedId) {
                warnedSharedId = true;
                LOG.error("Another running process beats as instance {} in this store: two instances with one learnbridge.instanceId take each"
                        + " other's claims at startup and look alive for each other. Give each instance its own learnbridge.instanceId", instanceId);
            }
            if (beatingSince < 0) {
                beatingSince = System.nanoTime();
            }
        } catch (RuntimeException e) {
            beatingSince = -1;
            throw e;
        }
    }

    /**
     * Marks departed the instances whose last beat is older than {@code departedAfter} by the database's clock and
     * releases what they held claimed, each in a transaction of its own; nothing while this instance's own beats have
     * not yet run unbroken for that long. Departed rows older than {@link #KEEP_DEPARTED} are deleted.
     */
    public List<Departed> releaseDeparted() {
        long since = beatingSince;
        if (since < 0 || System.nanoTime() - since < departedAfter.toNanos()) {
            return List.of();
        }
        List<Departed> found = new ArrayList<>();
        for (Object[] candidate : store.tx(this::overdue)) {
            String instance = (String) candidate[0];
            Instant lastSeen = (Instant) candidate[1];
            Instant threshold = (Instant) candidate[2];
            Integer released = store.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "update bridge_instance set departed_at = current_timestamp where instance_id = ? and departed_at is null and seen_at < ?")) {
                    ps.setString(1, instance);
                    Sql.setTime(ps, 2, threshold);
                    if (ps.executeUpdate() == 0) {
                        return null; // it beat meanwhile, or another instance marked it first
                    }
                }
                int n = 0;
                for (Claims holder : claims) {
                    n += holder.releaseClaimsOf(c, instance);
                }
                return n;
            });
            if (released != null) {
                LOG.warn("Instance {} was last seen at {}, more than learnbridge.cluster.departedAfter ({}) ago: marked departed; {} of its"
                        + " claims went back to waiting for the instances still running, and its drops may be claimed again", instance, lastSeen,
                        departedAfter, released);
                found.add(new Departed(instance, lastSeen, released));
            }
        }
        return found;
    }

    /** The other instances, not yet departed, whose last beat is older than departedAfter: id, last seen, the threshold. */
    private List<Object[]> overdue(Connection c) throws SQLException {
        Instant now;
        try (PreparedStatement ps = c.prepareStatement("select current_timestamp from store_probe where id = 1");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            now = rs.getObject(1, OffsetDateTime.class).toInstant();
        }
        try (PreparedStatement ps = c.prepareStatement("delete from bridge_instance where departed_at < ?")) {
            Sql.setTime(ps, 1, now.minus(KEEP_DEPARTED));
            ps.executeUpdate();
        }
        Instant threshold = now.minus(departedAfter);
        List<Object[]> overdue = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "select instance_id, seen_at from bridge_instance where departed_at is null and instance_id <> ? and seen_at < ?")) {
            ps.setString(1, instanceId);
            Sql.setTime(ps, 2, threshold);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    overdue.add(new Object[] {rs.getString(1), Sql.time(rs, "seen_at"), threshold});
                }
            }
        }
        return overdue;
    }

    /**
     * Whether a claim that {@code instance} made at {@code claimedAt} is abandoned, in the caller's transaction: the
     * instance was marked departed (and has not beaten since), or it started again after the claim (its work on it
     * died with the process before). An instance that never beat (a command, a test's ledger) abandons nothing: its
     * claims last their lease.
     */
    static boolean abandoned(Connection c, String instance, Instant claimedAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select 1 from bridge_instance where instance_id = ? and (departed_at is not null or started_at > ?)")) {
            ps.setString(1, instance);
            Sql.setTime(ps, 2, claimedAt);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The condition of {@link #abandoned} for a query's where clause, on the claim's instance column {@code claimedBy}
     * and time column {@code claimedAt}.
     */
    static String abandonedClaim(String claimedBy, String claimedAt) {
        return "exists (select 1 from bridge_instance i where i.instance_id = " + claimedBy + " and (i.departed_at is not null or i.started_at > "
                + claimedAt + "))";
    }
}
