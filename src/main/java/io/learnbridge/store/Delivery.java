package io.learnbridge.store;

/**
 * One pending delivery of a worker's canonical state to one target, as claimed by a delivery
 * route. {@code attempts} counts earlier claims that did not end in an outcome. {@code changeKind}
 * is {@code VOID} for a rescinded change, whose kind is then {@code voidedKind}.
 */
public record Delivery(long id, String source, Long dropId, Integer line, String workerId, String target,
                       String canonical, int attempts, Long eventId, String changeKind, java.time.Instant createdAt, String voidedKind)
        implements Outbox.Item {

    /** The change kind of a delivery that undoes a rescinded change. */
    public static final String VOID = "VOID";

    public boolean isVoid() {
        return VOID.equals(changeKind);
    }

    /** The kind of change this delivery carries, a VOID counting as an UPDATE (state targets send the newest state). */
    public io.learnbridge.worker.ChangeKind kindOrUpdate() {
        return changeKind == null || isVoid() ? io.learnbridge.worker.ChangeKind.UPDATE : io.learnbridge.worker.ChangeKind.valueOf(changeKind);
    }

    /** A claim counts as an attempt; {@code attempts} are the earlier ones. */
    @Override
    public int attempt() {
        return attempts + 1;
    }

    @Override
    public String describe() {
        return "Delivery " + id + " of worker " + workerId + " to " + target;
    }
}
