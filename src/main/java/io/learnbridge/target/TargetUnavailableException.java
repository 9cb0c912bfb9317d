package io.learnbridge.target;

/**
 * Thrown by a protocol adapter after it has settled a whole batch, when the target could not be
 * reached or answered that it is unavailable (no answer, 408, 429, 5xx): the deliveries are parked
 * in the store for a later attempt. The delivery route's circuit breaker counts it as a failed
 * call; enough of them open the breaker and the target is left alone for a while.
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
