package io.learnbridge.bench;

/**
 * The hand-written floors' change detection: two 64-bit FNV-1a hashes per worker (the fields whose
 * change is a MOVE; the other fields) and its status, classified with the same rules as
 * LearnBridge's change detector ({@code io.learnbridge.worker.ChangeDetector#detect}). Values are
 * the canonical values as {@link FloorPipeline#mapValues} fills them.
 */
public final class WorkerHashes {

    public static final byte ACTIVE = 0;
    public static final byte LEAVE_OF_ABSENCE = 1;
    public static final byte TERMINATED = 2;

    public static final int JOIN = 0;
    public static final int MOVE = 1;
    public static final int UPDATE = 2;
    public static final int LEAVE = 3;
    public static final int NOOP = 4;
    public static final int KINDS = 5;

    private static final String[] KIND_NAMES = {"JOIN", "MOVE", "UPDATE", "LEAVE", "NOOP"};
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private WorkerHashes() {
    }

    public static String kindName(int kind) {
        return KIND_NAMES[kind];
    }

    /** The status code of a canonical employmentStatus. */
    public static byte status(String canonical) {
        return switch (canonical) {
            case "TERMINATED" -> TERMINATED;
            case "LEAVE_OF_ABSENCE" -> LEAVE_OF_ABSENCE;
            default -> ACTIVE;
        };
    }

    /**
     * The change detector's rules, on hashes. {@code known} is false for a worker with no stored
     * state (then the {@code before} values are ignored).
     */
    public static int classify(boolean known, byte beforeStatus, long beforeMove, long beforeRest, long move, long rest, byte status) {
        boolean isActive = status != TERMINATED;
        if (!known) {
            return isActive ? JOIN : NOOP;
        }
        boolean wasActive = beforeStatus != TERMINATED;
        if (!wasActive && isActive) {
            return JOIN;
        }
        if (wasActive && !isActive) {
            return LEAVE;
        }
        if (beforeMove == move && beforeRest == rest && beforeStatus == status) {
            return NOOP;
        }
        if (!wasActive) {
            return UPDATE;
        }
        return beforeMove != move ? MOVE : UPDATE;
    }

    /** managerId, jobCode, jobTitle, location, orgUnit: the fields whose change is a MOVE. */
    public static long moveHash(String[] v) {
        long h = FNV_OFFSET;
        for (int i = FloorPipeline.C_MANAGER_ID; i <= FloorPipeline.C_ORG_UNIT; i++) {
            h = hash(h, v[i]);
        }
        return h;
    }

    /** email, givenName, familyName, hireDate. */
    public static long restHash(String[] v) {
        long h = FNV_OFFSET;
        for (int i = 1; i < FloorPipeline.C_MANAGER_ID; i++) {
            h = hash(h, v[i]);
        }
        return hash(h, v[FloorPipeline.C_HIRE_DATE]);
    }

    /** FNV-1a, 64 bits, over one value's chars and a terminator (a distinct one for an absent value). */
    private static long hash(long h, String value) {
        if (value != null) {
            for (int i = 0; i < value.length(); i++) {
                h = (h ^ value.charAt(i)) * FNV_PRIME;
            }
        }
        return (h ^ (value == null ? 0x1_0000 : 0x1_0001)) * FNV_PRIME;
    }
}
