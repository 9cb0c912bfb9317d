package io.learnbridge.bench.sync;

/**
 * How a phase's deliveries ended. For the bridge, from table {@code delivery}: {@code delivered}
 * of the drop's deliveries DELIVERED; {@code pending}, {@code sending} and {@code failed}: the
 * target's deliveries of any drop still PENDING or SENDING, or FAILED. For the floor, from its
 * sender: PUTs answered 2xx, none pending, PUTs given up.
 */
public record Settled(long delivered, long pending, long sending, long failed) {
}
