package io.learnbridge.bench.delivery;

/**
 * One measured configuration: {@code target} is the target name (and its mapping,
 * {@code mappings/targets/<target>.mapping.yaml}); {@code batchSize} is
 * {@code learnbridge.targets.<target>.batchSize} for the LRS, statements per request at most,
 * and 1 for the LMS (one PUT per worker).
 */
public record DeliveryConfig(String name, String target, int batchSize) {

    public static final String LRS = "lrs";
    public static final String LMS = "lms";

    public static DeliveryConfig lrs(int batchSize) {
        return new DeliveryConfig("lrs-b" + batchSize, LRS, batchSize);
    }

    public static DeliveryConfig lms() {
        return new DeliveryConfig("lms", LMS, 1);
    }

    public boolean lrs() {
        return target.equals(LRS);
    }

    /** The fewest requests that can deliver {@code workers}: one per batch. */
    public long fewestRequests(long workers) {
        return (workers + batchSize - 1) / batchSize;
    }

    public String description(int parallelism, int claimSize) {
        return lrs()
                ? "LRS (Kamelets learnbridge-due-deliveries-source and learnbridge-target-send-action, adapter lrsDeliveries): xAPI statements POSTed in batches of at most " + batchSize
                        + " (learnbridge.targets.lrs.batchSize), one batch in flight"
                : "REST JSON LMS (Kamelets learnbridge-due-deliveries-source and learnbridge-target-send-action, adapter httpJsonDeliveries, route deliver-lms): one PUT per worker, claims of " + claimSize
                        + " (learnbridge.delivery.batchSize), " + parallelism + " in flight (learnbridge.delivery.parallelism)";
    }
}
