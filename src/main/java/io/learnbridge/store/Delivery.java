package io.learnbridge.store;

/**
 * One pending delivery of a worker's canonical state to one target, as claimed by a delivery
 * route. {@code attempts} counts earlier claims that did not end in an outcome.
 */
public record Delivery(long id, String source, Long dropId, Integer line, String workerId, String target,
                       String canonical, int attempts, Long eventId, String changeKind, java.time.Instant createdAt) {
}
