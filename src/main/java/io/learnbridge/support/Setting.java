package io.learnbridge.support;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;

/**
 * One declared {@code learnbridge.*} setting (Kafka's ConfigDef is the model): its key, type,
 * default and limits, declared once in {@link SettingsTree}. A key holding {@code <source>} or
 * {@code <target>} stands for that key of every source or target. {@link #parse} is the one
 * place a value of the key is turned into its type; its errors name the key, the value (never a
 * secret's) and what was expected, in one line.
 *
 * @param defaultValue the value when the key is unset (null: none; the reader decides whether it is required)
 * @param shownDefault how the README shows the default when it is not the value itself ({@code host name}), or null
 * @param min          least value of an integer
 * @param max          greatest value of an integer
 * @param choices      the values a choice (or each item of a list with choices) may take
 * @param bareUnit     the unit a bare number had in the older form of a duration (a deprecation warning), or null: refused
 * @param camelMillis  a duration a route hands to a Camel endpoint option, given to Camel in milliseconds
 * @param overridable  a gate limit, also set per source and per target ({@code learnbridge.sources.<s>.gate.*})
 */
public record Setting(String key, Type type, String defaultValue, String shownDefault, long min, long max, List<String> choices,
                      ChronoUnit bareUnit, boolean camelMillis, boolean overridable) {

    /** The types a setting may have. */
    public enum Type {
        TEXT, SECRET, INTEGER, BOOLEAN, DURATION, CHOICE, LIST, URL
    }

    public static final String SOURCE = "learnbridge.sources.<source>.";
    public static final String TARGET = "learnbridge.targets.<target>.";

    private static Setting of(String key, Type type) {
        return new Setting(key, type, null, null, Long.MIN_VALUE, Long.MAX_VALUE, List.of(), null, false, false);
    }

    static Setting text(String key) {
        return of(key, Type.TEXT);
    }

    /** A secret: its value is never shown, in an error or elsewhere. */
    static Setting secret(String key) {
        return of(key, Type.SECRET);
    }

    static Setting integer(String key, long min, long max) {
        return new Setting(key, Type.INTEGER, null, null, min, max, List.of(), null, false, false);
    }

    static Setting bool(String key) {
        return of(key, Type.BOOLEAN);
    }

    /** A duration: more than zero (no time setting means anything at zero; Camel would wait for ever or never repeat). */
    static Setting duration(String key) {
        return of(key, Type.DURATION);
    }

    static Setting choice(String key, String... choices) {
        return new Setting(key, Type.CHOICE, null, null, Long.MIN_VALUE, Long.MAX_VALUE, List.of(choices), null, false, false);
    }

    /** A comma separated list; with choices, each item must be one of them. */
    static Setting list(String key, String... choices) {
        return new Setting(key, Type.LIST, null, null, Long.MIN_VALUE, Long.MAX_VALUE, List.of(choices), null, false, false);
    }

    static Setting url(String key) {
        return of(key, Type.URL);
    }

    Setting def(String value) {
        return new Setting(key, type, value, shownDefault, min, max, choices, bareUnit, camelMillis, overridable);
    }

    /** How the README shows a default that is not a literal value (a default computed at startup). */
    Setting shown(String text) {
        return new Setting(key, type, defaultValue, text, min, max, choices, bareUnit, camelMillis, overridable);
    }

    /** A duration whose older form was a bare number in {@code unit}: still read, with a warning. */
    Setting bareNumberIn(ChronoUnit unit) {
        return new Setting(key, type, defaultValue, shownDefault, min, max, choices, unit, camelMillis, overridable);
    }

    /** A duration a route hands to a Camel endpoint: its milliseconds are given to Camel. */
    Setting forCamel() {
        return new Setting(key, type, defaultValue, shownDefault, min, max, choices, bareUnit, true, overridable);
    }

    /** A gate limit that a source or a target may also set. */
    Setting perSourceAndTarget() {
        return new Setting(key, type, defaultValue, shownDefault, min, max, choices, bareUnit, camelMillis, true);
    }

    /** Whether the key is one of every source's ({@code <source>}) or every target's ({@code <target>}). */
    public boolean perName() {
        return key.startsWith(SOURCE) || key.startsWith(TARGET);
    }

    /** The key for one source or target ({@code learnbridge.sources.hris.snapshot}); the key itself for a global one. */
    public String keyFor(String name) {
        return key.replace("<source>", name).replace("<target>", name);
    }

    /**
     * The typed value of {@code value}, stripped: String, Integer (within min and max), Boolean,
     * Duration (more than zero), a choice as declared, a List of String, a URI. Blank is refused.
     *
     * @param concreteKey the key as set (a source's or target's own), named in the error
     */
    public Object parse(String concreteKey, String value) {
        String text = value == null ? "" : value.strip();
        if (text.isEmpty()) {
            throw new SettingsException(concreteKey, "missing: " + expected());
        }
        return switch (type) {
            case TEXT, SECRET -> text;
            case INTEGER -> integer(concreteKey, text);
            case BOOLEAN -> {
                if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                    throw new SettingsException(concreteKey, "must be true or false, found '" + text + "'");
                }
                yield Boolean.parseBoolean(text);
            }
            case DURATION -> {
                Duration d = Durations.parse(concreteKey, text);
                if (d.isNegative() || d.isZero()) {
                    throw new SettingsException(concreteKey, "must be more than zero, found '" + text + "'");
                }
                yield d;
            }
            case CHOICE -> choose(concreteKey, text);
            case LIST -> {
                List<String> items = Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
                if (items.isEmpty()) {
                    throw new SettingsException(concreteKey, "missing: " + expected());
                }
                yield choices.isEmpty() ? items : items.stream().map(item -> choose(concreteKey, item)).toList();
            }
            case URL -> {
                try {
                    URI uri = new URI(text);
                    if (uri.getScheme() == null) {
                        throw new URISyntaxException(text, "no scheme");
                    }
                    yield uri;
                } catch (URISyntaxException e) {
                    throw new SettingsException(concreteKey, "must be a URL such as https://host/path, found '" + text + "'");
                }
            }
        };
    }

    /** What a value must be, in words: the type and its limits. */
    public String expected() {
        return switch (type) {
            case TEXT -> "a text";
            case SECRET -> "a secret (from the environment or a settings file)";
            case INTEGER -> "a whole number" + (min == Long.MIN_VALUE ? "" : " from " + min + (max == Long.MAX_VALUE ? "" : " to " + max));
            case BOOLEAN -> "true or false";
            case DURATION -> "a duration such as 10s, 5m or PT10M";
            case CHOICE -> "one of " + String.join(", ", choices);
            case LIST -> choices.isEmpty() ? "a comma separated list" : "a comma separated list of " + String.join(", ", choices);
            case URL -> "a URL";
        };
    }

    private long integer(String concreteKey, String text) {
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new SettingsException(concreteKey, "must be a whole number, found '" + text + "'");
        }
        if (n < min || n > max) {
            throw new SettingsException(concreteKey, "must be " + (max == Long.MAX_VALUE ? "at least " + min : "between " + min + " and " + max)
                    + ", found " + n);
        }
        return n;
    }

    private String choose(String concreteKey, String text) {
        for (String choice : choices) {
            if (choice.equalsIgnoreCase(text)) {
                return choice;
            }
        }
        throw new SettingsException(concreteKey, "must be " + (choices.size() == 2 ? choices.get(0) + " or " + choices.get(1)
                : "one of " + String.join(", ", choices)) + ", found '" + text + "'");
    }
}
