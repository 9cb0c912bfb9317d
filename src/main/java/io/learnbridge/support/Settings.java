package io.learnbridge.support;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The settings the bridge's store, drops and delivery are built with, read once at startup from
 * the typed view ({@link SettingValues}: types, limits and defaults are declared in
 * {@link SettingsTree}) over Camel's properties (application.properties, a settings file, system
 * properties, environment variables such as {@code LEARNBRIDGE_TARGETS_LMS_TOKEN}).
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

    /** Reads every setting behind {@code lookup}, each as declared in {@link SettingsTree}; {@code lookup} answers empty for a missing key. */
    public static Settings read(Function<String, Optional<String>> lookup) {
        return read(SettingValues.of(lookup));
    }

    /** The settings the bridge's parts are built with, from the typed view. */
    public static Settings read(SettingValues v) {
        Settings settings = new Settings(
                new Store(v.text("learnbridge.store.url"), v.optionalText("learnbridge.store.user").orElse(null),
                        v.optionalText("learnbridge.store.password").orElse(null), v.integer("learnbridge.store.poolSize"),
                        v.integer("learnbridge.store.compactBelowFillRate"), v.duration("learnbridge.store.compactBudget")),
                v.text("learnbridge.mappings.location"),
                new Drops(v.integer("learnbridge.drops.batchSize"), v.duration("learnbridge.drops.claimLease"),
                        v.integer("learnbridge.drops.applyPage"), v.duration("learnbridge.drops.retention"),
                        v.duration("learnbridge.changes.maxHold"), v.duration("learnbridge.drops.unreadAfter")),
                new Delivery(v.integer("learnbridge.delivery.batchSize"), v.duration("learnbridge.delivery.retryBudget"),
                        v.duration("learnbridge.delivery.maxRetryAfter"), v.duration("learnbridge.delivery.lease")),
                v.optionalText("learnbridge.api.token").orElse(null));
        if (settings.delivery.lease().compareTo(settings.delivery.retryBudget()) <= 0) {
            throw new SettingsException("learnbridge.delivery.lease", "must be longer than learnbridge.delivery.retryBudget, "
                    + "or a delivery still being retried would be claimed a second time");
        }
        return settings;
    }

    /** The targets a source's accepted records go to: {@code learnbridge.sources.<name>.targets}. */
    public static List<String> targetsOf(SettingValues values, String source) {
        List<String> targets = values.source(source).list("targets");
        if (targets.isEmpty()) {
            throw new SettingsException("learnbridge.sources." + source + ".targets", "missing: name the targets of source " + source + " (comma separated)");
        }
        return targets;
    }
}
