package io.learnbridge.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The stored states of a source's workers, read in one pass when a full snapshot starts staging,
 * in 48 bytes a worker (the table two thirds full): a 64-bit key of the worker id, the first 128
 * bits of the state hash and the effective time in microseconds. A snapshot lists nearly every worker unchanged; looking each
 * one up by id was two fifths of a 1M-row snapshot's staging thread on H2, one scan of the source's
 * states is a fraction of it.
 *
 * <p>It answers one question, {@link #unchanged}, and only with a yes it is sure of: the row's
 * state hash equals the stored one (the hash covers the worker id, so a key shared by two ids
 * cannot make a wrong match) and the stored state is not newer than the row. Everything else
 * (a change, a newer stored state, a worker not read here) is planned from the store as before.
 * A state committed after the scan (an event for a worker while the snapshot is staged) is what
 * the row is compared with only if its batch is read from the store; otherwise the row is
 * compared with the state before it, as a row staged before the event would be.
 */
final class StoredStates {

    /**
     * Slot {@code i} is {@code slots[4i .. 4i+3]}: key, hash high, hash low, effective micros, side by
     * side so that a look-up reads one cache line. A key of 0 marks an empty slot (0 is stored as 1).
     */
    private final long[] slots;
    private final int capacity;
    private int size;

    private StoredStates(int capacity) {
        this.capacity = capacity;
        slots = new long[capacity * 4];
    }

    /**
     * Reads the stored states of {@code source}'s workers (those with a state hash), or null when
     * their table would take more than {@code maxBytes} of heap (then every row is looked up).
     */
    static StoredStates of(Connection c, String source, boolean postgres, long maxBytes) throws SQLException {
        int workers = WorkerStates.ownedBy(c, source);
        long capacity = Math.max(16, workers * 3L / 2 + 1);
        if (capacity * 4 * Long.BYTES > maxBytes || capacity > Integer.MAX_VALUE / 4 - 8) {
            return null;
        }
        // states committed between the count and the scan are left out (their rows are looked up)
        StoredStates states = new StoredStates((int) capacity);
        Sql.scan(c, postgres, "worker_id, state_hash, effective_at", "worker_state", WorkerStates.mostWorkers(c, workers), "where home_source = ? and state_hash is not null", ps -> {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && states.size < workers) {
                    states.put(rs.getString(1), rs.getString(2), Sql.time(rs, "effective_at"));
                }
            }
            return null;
        });
        return states;
    }

    int size() {
        return size;
    }

    /**
     * True only when the worker's stored state, as read, has {@code stateHash} and is not newer
     * than {@code effectiveAt}: the row changes nothing.
     */
    boolean unchanged(String workerId, String stateHash, Instant effectiveAt) {
        if (!hex32(stateHash)) {
            return false;
        }
        int at = find(key(workerId)) * 4;
        return slots[at] != 0 && slots[at + 1] == hexLong(stateHash, 0) && slots[at + 2] == hexLong(stateHash, 16)
                && slots[at + 3] <= micros(effectiveAt);
    }

    private void put(String workerId, String stateHash, Instant effectiveAt) {
        if (!hex32(stateHash) || effectiveAt == null) {
            return;
        }
        long key = key(workerId);
        int at = find(key) * 4;
        if (slots[at] == 0) {
            size++;
        }
        // two ids sharing a key keep the last one read: the other's rows find a hash that is not theirs
        slots[at] = key;
        slots[at + 1] = hexLong(stateHash, 0);
        slots[at + 2] = hexLong(stateHash, 16);
        slots[at + 3] = micros(effectiveAt);
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private int find(long key) {
        int slot = (int) Long.remainderUnsigned(key, capacity);
        while (slots[slot * 4] != 0 && slots[slot * 4] != key) {
            slot = slot + 1 == capacity ? 0 : slot + 1;
        }
        return slot;
    }

    /** Microseconds since the epoch, rounded down: a stored time (whole microseconds) is newer than an instant exactly when it is newer than this. */
    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant) - (instant.isBefore(Instant.EPOCH) && instant.getNano() % 1000 != 0 ? 1 : 0);
    }

    /** FNV-1a over the id's UTF-16 code units, finalised as in {@link SeenWorkers}; never 0. */
    private static long key(String workerId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < workerId.length(); i++) {
            h ^= workerId.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }

    /** Whether {@code hash} starts with 32 hex digits (128 bits). */
    private static boolean hex32(String hash) {
        if (hash == null || hash.length() < 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            if (Character.digit(hash.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** 16 hex digits of {@code hex} from {@code from} as 64 bits (checked by {@link #hex32}). */
    private static long hexLong(String hex, int from) {
        long value = 0;
        for (int i = from; i < from + 16; i++) {
            value = value << 4 | Character.digit(hex.charAt(i), 16);
        }
        return value;
    }
}
