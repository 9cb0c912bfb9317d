package io.learnbridge.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * LearnBridge's typed settings ({@code learnbridge.*}), read once at startup from Camel's
 * properties (application.properties, a settings file, system properties, environment variables
 * such as {@code LEARNBRIDGE_TARGETS_LMS_TOKEN}) and validated, failing with the key's name.
 */
public record Settings(
        Store store,
        String mappingsLocation,
        Drops drops,
        Delivery delivery,
        String apiToken) {

    /** @param compactBelowFillRate the embedded file is compacted when less of it than this percentage is live data */
    public record Store(String url, String user, String password, int poolSize, int compactBelowFillRate, Duration compactBudget) {
    }

    /**
     * @param applyPage stored rows of a drop (its changes) applied per transaction
     * @param retention how long a settled drop keeps its rows' source and canonical records
     */
    /** @param maxHold how far ahead a change may be dated and held for its date ({@code learnbridge.changes.maxHold}); beyond, it is an exception */
    /** @param unreadAfter how long a file a drop folder never reads (a dot name, not .csv) may sit there before it is reported */
    public record Drops(int batchSize, Duration claimLease, int applyPage, Duration retention, Duration maxHold, Duration unreadAfter) {
    }

    public record Delivery(int batchSize, Duration retryBudget, Duration maxRetryAfter, Duration lease) {
    }

    /** Reads and validates every setting; {@code lookup} answers empty for a missing key. */
    public static Settings read(Function<String, Optional<String>> lookup) {
        Reader r = new Reader(lookup);
        Settings settings = new Settings(
                new Store(r.text("learnbridge.store.url"), r.optional("learnbridge.store.user").orElse(null),
                        r.optional("learnbridge.store.password").orElse(null), r.integer("learnbridge.store.poolSize", 2, 200),
                        r.integer("learnbridge.store.compactBelowFillRate", 1, 100), r.duration("learnbridge.store.compactBudget")),
                r.text("learnbridge.mappings.location"),
                new Drops(r.integer("learnbridge.drops.batchSize", 1, 100_000), r.duration("learnbridge.drops.claimLease"),
                        r.integer("learnbridge.drops.applyPage", 10, 1_000_000), r.duration("learnbridge.drops.retention"),
                        r.duration("learnbridge.changes.maxHold"), r.duration("learnbridge.drops.unreadAfter")),
                new Delivery(r.integer("learnbridge.delivery.batchSize", 1, 10_000), r.duration("learnbridge.delivery.retryBudget"),
                        r.duration("learnbridge.delivery.maxRetryAfter"), r.duration("learnbridge.delivery.lease")),
                r.optional("learnbridge.api.token").filter(s -> !s.isBlank()).orElse(null));
        if (settings.delivery.lease().compareTo(settings.delivery.retryBudget()) <= 0) {
            throw new SettingsException("learnbridge.delivery.lease", "must be longer than learnbridge.delivery.retryBudget, "
                    + "or a delivery still being retried would be claimed a second time");
        }
        return settings;
    }

    /** The targets a source's accepted records go to: {@code learnbridge.sources.<name>.targets}. */
    public static List<String> targetsOf(Function<String, Optional<String>> lookup, String source) {
        String key = "learnbridge.sources." + source + ".targets";
        String value = lookup.apply(key).orElseThrow(() -> new SettingsException(key, "missing: name the targets of source " + source + " (comma separated)"));
        List<String> targets = new ArrayList<>();
        Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(targets::add);
        if (targets.isEmpty()) {
            throw new SettingsException(key, "names no target");
        }
        return List.copyOf(targets);
    }

    private record Reader(Function<String, Optional<String>> lookup) {

        Optional<String> optional(String key) {
            return lookup.apply(key).map(String::strip);
        }

        String text(String key) {
            return optional(key).filter(s -> !s.isEmpty()).orElseThrow(() -> new SettingsException(key, "missing"));
        }

        int integer(String key, int min, int max) {
            String value = text(key);
            try {
                int n = Integer.parseInt(value);
                if (n < min || n > max) {
                    throw new SettingsException(key, "must be between " + min + " and " + max + ", found " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new SettingsException(key, "must be a whole number, found '" + value + "'");
            }
        }

        Duration duration(String key) {
            return Durations.positive(key, text(key));
        }
    }
}
