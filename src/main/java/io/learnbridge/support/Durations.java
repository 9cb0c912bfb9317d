package io.learnbridge.support;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one duration syntax of every {@code learnbridge.*} time setting, whoever reads it: ISO-8601
 * ({@code PT10M}, {@code P7D}) or Camel's short form ({@code 200ms}, {@code 10s}, {@code 5m},
 * {@code 2h}, {@code 7d}, or combined: {@code 1m30s}). A bare number, the older form of the
 * settings that used to be milliseconds (or seconds: {@code breaker.openSeconds}), is still read in
 * that unit ({@link Setting#bareUnit}, declared in {@link SettingsTree}), with one warning per key
 * naming the form to write instead.
 *
 * <p>The settings a route hands to a Camel endpoint ({@code period}, {@code delay}, read locks)
 * ({@link Setting#camelMillis}) are rewritten to milliseconds before the routes load ({@link #forCamel}): Camel reads
 * {@code PT2S} as 0, which would make a timer fire without pause.
 */
public final class Durations {

    private static final Logger LOG = LoggerFactory.getLogger(Durations.class);
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE_SHORT = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private Durations() {
    }

    /** The value of {@code key}: ISO-8601, the short form, or (for the older settings) a bare number in its old unit. */
    public static Duration parse(String key, String value) {
        String text = value == null ? "" : value.strip();
        if (text.isEmpty()) {
            throw new SettingsException(key, "missing: a duration such as 10s, 5m or PT10M");
        }
        if (text.chars().allMatch(Character::isDigit)) {
            ChronoUnit unit = SettingsTree.definition(key).map(Setting::bareUnit).orElse(null);
            if (unit == null) {
                throw new SettingsException(key, "must be a duration such as 10s, 5m or PT10M (a bare number has no unit), found '" + text + "'");
            }
            Duration d = Duration.of(Long.parseLong(text), unit);
            if (WARNED.add(key)) {
                LOG.warn("Setting {} = {}: a bare number is read as {} (the older form); write {} instead", key, text,
                        unit == ChronoUnit.SECONDS ? "seconds" : "milliseconds", shortForm(d));
            }
            return d;
        }
        if (text.startsWith("P") || text.startsWith("p")) {
            try {
                return Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw new SettingsException(key, "must be a duration such as 10s, 5m or PT10M, found '" + text + "'");
            }
        }
        if (WHOLE_SHORT.matcher(text).matches()) {
            Duration d = Duration.ZERO;
            Matcher m = SHORT.matcher(text);
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                d = d.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            }
            return d;
        }
        throw new SettingsException(key, "must be a duration such as 10s, 5m or PT10M, found '" + text + "'");
    }

    /** As {@link #parse}, and more than zero. */
    public static Duration positive(String key, String value) {
        Duration d = parse(key, value);
        if (d.isNegative() || d.isZero()) {
            throw new SettingsException(key, "must be more than zero, found '" + value.strip() + "'");
        }
        return d;
    }

    /**
     * The Camel-bound time settings, each as the milliseconds Camel's endpoint options take; each must
     * be more than zero (a timer period of 0 never repeats, a read lock timeout of 0 waits for ever).
     */
    public static Map<String, String> forCamel(java.util.function.Function<String, java.util.Optional<String>> lookup) {
        Map<String, String> millis = new java.util.TreeMap<>();
        for (String key : SettingsTree.all().stream().filter(Setting::camelMillis).map(Setting::key).toList()) {
            lookup.apply(key).filter(v -> !v.isBlank()).ifPresent(v -> millis.put(key, String.valueOf(positive(key, v).toMillis())));
        }
        return millis;
    }

    /** The short form of a duration: 200ms, 2s, 1m30s, 7d. */
    static String shortForm(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long days = d.toDays();
        if (days > 0) {
            sb.append(days).append('d');
        }
        if (d.toHoursPart() > 0) {
            sb.append(d.toHoursPart()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            sb.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            sb.append(d.toSecondsPart()).append('s');
        }
        if (d.toMillisPart() > 0) {
            sb.append(d.toMillisPart()).append("ms");
        }
        return sb.toString();
    }
}
