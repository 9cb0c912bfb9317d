package io.learnbridge.event.webhook;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Builds a verifier from settings, so that a source's signing scheme is a configuration value
 * ({@code kind}) rather than code. Mistakes fail at startup with the kind named and the valid
 * kinds listed; secrets are never part of a message.
 */
public final class WebhookVerifiers {

    private static final SortedMap<String, BiFunction<List<String>, Duration, WebhookVerifier>> KINDS =
            Collections.unmodifiableSortedMap(new TreeMap<>(Map.of(
                    "standard-webhooks", StandardWebhooksVerifier::new,
                    "bamboohr", BambooHrVerifier::new,
                    "hibob", (secrets, tolerance) -> new HiBobVerifier(secrets),
                    "bearer", (secrets, tolerance) -> new BearerTokenVerifier(secrets))));

    private WebhookVerifiers() {
    }

    /**
     * @param kind one of {@code standard-webhooks}, {@code bamboohr}, {@code hibob}, {@code bearer}
     * @param secrets secrets or tokens, several while rotating; blank entries are dropped
     * @param tolerance timestamp window for kinds that sign a timestamp; {@code null} means 5 minutes;
     *     ignored by {@code hibob} and {@code bearer}
     * @throws IllegalArgumentException for an unknown kind or when no secret is left
     */
    public static WebhookVerifier create(String kind, List<String> secrets, Duration tolerance) {
        BiFunction<List<String>, Duration, WebhookVerifier> factory = kind == null ? null : KINDS.get(kind);
        if (factory == null) {
            throw new IllegalArgumentException(
                    "unknown webhook verifier kind '" + kind + "'; valid kinds: " + validKinds());
        }
        List<String> nonBlank = secrets == null ? List.of()
                : secrets.stream().filter(s -> s != null && !s.isBlank()).toList();
        if (nonBlank.isEmpty()) {
            throw new IllegalArgumentException("webhook verifier kind '" + kind
                    + "' needs at least one non-blank secret; valid kinds: " + validKinds());
        }
        return factory.apply(nonBlank, tolerance == null ? Freshness.DEFAULT_TOLERANCE : tolerance);
    }

    /** The kinds {@link #create} accepts, sorted. */
    public static List<String> kinds() {
        return List.copyOf(KINDS.keySet());
    }

    private static String validKinds() {
        return String.join(", ", KINDS.keySet());
    }
}
