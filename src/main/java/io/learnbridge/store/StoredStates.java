package io.learnbridge.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The stored states of a source's workers, read in one pass when a full snapshot starts staging,
 * in 32 bytes a worker: a 64-bit key of the worker id, the first 128 bits of the state hash and
 * the effective time in microseconds. A snapshot lists nearly every worker unchanged; looking each
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

    private final long[] keys;
    private final long[] hashHigh;
    private final long[] hashLow;
    private final long[] effectiveMicros;
    /** Slots in use; 0 in {@link #keys} marks an empty slot (a key of 0 is stored as 1). */
    private int size;

    private StoredStates(int capacity) {
        keys = new long[capacity];
        hashHigh = new long[capacity];
        hashLow = new long[capacity];
        effectiveMicros = new long[capacity];
    }

    /** Reads the stored states of {@code source}'s workers (those with a state hash). */
    static StoredStates of(Connection c, String source) throws SQLException {
        int workers;
        try (PreparedStatement ps = c.prepareStatement("select count(*) from worker_state where home_source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                workers = rs.getInt(1);
            }
        }
        // states committed between the count and the scan are left out (their rows are looked up)
        StoredStates states = new StoredStates(Math.max(16, (int) Math.min(Integer.MAX_VALUE - 8, workers * 4L / 3 + 1)));
        try (PreparedStatement ps = c.prepareStatement(
                "select worker_id, state_hash, effective_at from worker_state where home_source = ? and state_hash is not null")) {
            ps.setFetchSize(5_000);
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && states.size < workers) {
                    Instant effectiveAt = Sql.time(rs, "effective_at");
                    states.put(rs.getString(1), rs.getString(2), effectiveAt);
                }
            }
        }
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
        int slot = find(key(workerId));
        return keys[slot] != 0 && hashHigh[slot] == hexLong(stateHash, 0) && hashLow[slot] == hexLong(stateHash, 16)
                && effectiveMicros[slot] <= micros(effectiveAt);
    }

    private void put(String workerId, String stateHash, Instant effectiveAt) {
        if (!hex32(stateHash) || effectiveAt == null) {
            return;
        }
        long key = key(workerId);
        int slot = find(key);
        if (keys[slot] == 0) {
            size++;
        }
        // two ids sharing a key keep the last one read: the other's rows find a hash that is not theirs
        keys[slot] = key;
        hashHigh[slot] = hexLong(stateHash, 0);
        hashLow[slot] = hexLong(stateHash, 16);
        effectiveMicros[slot] = micros(effectiveAt);
    }

    private int find(long key) {
        int slot = (int) Long.remainderUnsigned(key, keys.length);
        while (keys[slot] != 0 && keys[slot] != key) {
            slot = slot + 1 == keys.length ? 0 : slot + 1;
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
