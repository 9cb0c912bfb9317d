package io.learnbridge.delivery;

/**
 * Thrown by a protocol adapter after it has settled a whole batch, when the target could not be
 * reached or answered that it is unavailable (no answer, 408, 429, 5xx): the deliveries are parked
 * in the store for a later attempt. The delivery route stops claiming for this poll; the circuit
 * breaker does not count it again, as the target's HTTP client recorded each request
 * ({@link TargetBreakers}).
 */
public final class TargetUnavailableException extends RuntimeException {

    private final String target;

    public TargetUnavailableException(String target, int parked, int batch, String lastReason) {
        super("target " + target + " unavailable: " + parked + " of " + batch + " deliveries parked for a later attempt (" + lastReason + ")",
                null, false, false);
        this.target = target;
    }

    public String target() {
        return target;
    }
}
