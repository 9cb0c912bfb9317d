package io.learnbridge.store;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The workers seen so far in one drop being staged, in about 20 bytes each: two independent 64-bit
 * hashes of the worker id (a false match needs both to collide, about 1 in 10^26 for a million
 * workers), the line of the worker's first row, a 64-bit key of that row's content hash, and
 * whether that row is written to the store (rows found unchanged are only counted). It tells a
 * worker who repeats within the drop (the repeats are then resolved exactly, in the store) and,
 * for a full snapshot, who is absent, without a row in the store per unchanged worker. A large
 * full snapshot also keeps its source's stored states here once read ({@link StoredStates}).
 */
final class SeenWorkers {

    /** The first row of a worker in the drop. */
    record First(int line, long contentKey, boolean stored) {
    }

    private long[] first = new long[1 << 10];
    private long[] second = new long[1 << 10];
    private long[] content = new long[1 << 10];
    /** The line of the first row, negated when that row is stored; 0 marks an empty slot. */
    private int[] lines = new int[1 << 10];
    private int size;
    private final Set<String> repeated = new LinkedHashSet<>();
    /** Workers of rejected rows (few): listed by the drop, though none of their rows is staged. */
    private final Set<String> rejectedWorkers = new java.util.HashSet<>();
    /** Rows of the drop written to the store while it was staged (the rest were only counted). */
    private long written;
    /** A full snapshot's source's stored states, once read (see {@link StoredStates}); null before, or when too many to hold. */
    private volatile StoredStates storedStates;
    private volatile boolean storedStatesRead;

    StoredStates storedStates() {
        return storedStates;
    }

    boolean storedStatesRead() {
        return storedStatesRead;
    }

    /** Keeps the states read (null: not held), and that they were read (they are not read again for the drop). */
    void storedStates(StoredStates states) {
        storedStates = states;
        storedStatesRead = true;
    }

    void wrote(int rows) {
        written += rows;
    }

    long written() {
        return written;
    }

    /**
     * Records a row of {@code workerId}; returns the worker's first row when this is a repeat
     * (the first row is kept), or null when the worker is new in the drop.
     */
    First add(String workerId, int line, long contentKey, boolean stored) {
        if (line == 0) {
            throw new IllegalArgumentException("line 0 is not a row");
        }
        long a = hashA(workerId);
        long b = hashB(workerId);
        int slot = find(a, b);
        if (lines[slot] != 0) {
            repeated.add(workerId);
            return new First(Math.abs(lines[slot]), content[slot], lines[slot] < 0);
        }
        first[slot] = a;
        second[slot] = b;
        content[slot] = contentKey;
        lines[slot] = stored ? -Math.abs(line) : Math.abs(line);
        if (++size > lines.length * 0.7) {
            grow();
        }
        return null;
    }

    /** The worker's first row is now written to the store too. */
    void markStored(String workerId) {
        int slot = find(hashA(workerId), hashB(workerId));
        if (lines[slot] != 0) {
            lines[slot] = -Math.abs(lines[slot]);
        }
    }

    /**
     * A row of the worker was rejected (its mapping, or a date too far ahead): for a full snapshot
     * the worker is not absent, so a bad row never makes a leaver. A null id (unreadable) is ignored:
     * a drop with such a row plans no absent workers at all.
     */
    void rejected(String workerId) {
        if (workerId != null) {
            rejectedWorkers.add(workerId);
        }
    }

    boolean contains(String workerId) {
        return lines[find(hashA(workerId), hashB(workerId))] != 0;
    }

    /** Whether the drop lists the worker: a row of it was staged, or rejected. */
    boolean listed(String workerId) {
        return contains(workerId) || rejectedWorkers.contains(workerId);
    }

    /** Workers with more than one row in the drop. */
    Set<String> repeated() {
        return repeated;
    }

    int size() {
        return size;
    }

    /** A 64-bit key of a content hash (any string), to compare a stored row's hash with an unstored one's. */
    static long contentKey(String contentHash) {
        return contentHash == null ? 0 : hashA(contentHash);
    }

    private int find(long a, long b) {
        int mask = lines.length - 1;
        int slot = (int) (a ^ (a >>> 32)) & mask;
        while (lines[slot] != 0 && (first[slot] != a || second[slot] != b)) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldFirst = first;
        long[] oldSecond = second;
        long[] oldContent = content;
        int[] oldLines = lines;
        int capacity = oldLines.length * 2;
        first = new long[capacity];
        second = new long[capacity];
        content = new long[capacity];
        lines = new int[capacity];
        for (int i = 0; i < oldLines.length; i++) {
            if (oldLines[i] != 0) {
                int slot = find(oldFirst[i], oldSecond[i]);
                first[slot] = oldFirst[i];
                second[slot] = oldSecond[i];
                content[slot] = oldContent[i];
                lines[slot] = oldLines[i];
            }
        }
    }

    /** FNV-1a over the UTF-16 code units, then a murmur3 finaliser. */
    private static long hashA(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** A polynomial hash with another multiplier and seed, finalised the same way: independent of {@link #hashA}. */
    private static long hashB(String s) {
        long h = 0x9e3779b97f4a7c15L ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = (h + s.charAt(i)) * 0xc2b2ae3d27d4eb4fL;
            h ^= h >>> 29;
        }
        return mix(h);
    }

    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
