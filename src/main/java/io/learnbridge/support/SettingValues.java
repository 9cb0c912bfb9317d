package io.learnbridge.support;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The typed view of the {@code learnbridge.*} settings: each key's value as set (Camel's
 * properties: application.properties, a settings file, system properties, the environment), or
 * else its declared default ({@link SettingsTree}), parsed to its declared type once and kept.
 * Callers name a key and get its type; none of them repeats a default or parses a value.
 *
 * <p>{@link #read} checks every declared setting (and every source's and target's key set)
 * before anything starts, so that a malformed value refuses startup with one line naming the key,
 * the value and what was expected, instead of failing when its route first runs.
 */
public final class SettingValues {

    private final Function<String, Optional<String>> lookup;
    private final Map<String, Optional<Object>> read = new ConcurrentHashMap<>();

    private SettingValues(Function<String, Optional<String>> lookup) {
        this.lookup = lookup;
    }

    /** The value behind {@code key} as set, untyped (a key not declared here, such as a {@code camel.*} one); empty when unset. */
    public Optional<String> raw(String key) {
        return lookup.apply(key);
    }

    /** The settings behind {@code lookup}, each checked when first asked for. */
    public static SettingValues of(Function<String, Optional<String>> lookup) {
        return new SettingValues(lookup);
    }

    /**
     * The settings behind {@code lookup}, checked now: every global setting, and every declared key
     * of each source and target that {@code keys} name ({@code learnbridge.sources.<s>.*},
     * {@code learnbridge.targets.<t>.*}), so that a value from the environment is checked too.
     *
     * @throws SettingsException naming each malformed key, its value and what it should be
     */
    public static SettingValues read(Function<String, Optional<String>> lookup, Collection<String> keys) {
        SettingValues values = new SettingValues(lookup);
        List<SettingsException> problems = new ArrayList<>();
        Set<String> checked = new LinkedHashSet<>();
        for (Setting setting : SettingsTree.all()) {
            if (!setting.perName()) {
                checked.add(setting.key());
            }
        }
        for (String family : List.of(Setting.SOURCE, Setting.TARGET)) {
            for (String name : names(keys, family.substring(0, family.indexOf('<')))) {
                for (Setting setting : SettingsTree.all()) {
                    if (setting.key().startsWith(family)) {
                        checked.add(setting.keyFor(name));
                    } else if (setting.overridable()) {
                        checked.add(family.replace("<source>", name).replace("<target>", name) + setting.key().substring("learnbridge.".length()));
                    }
                }
            }
        }
        for (String key : checked) {
            try {
                values.value(key);
            } catch (SettingsException e) {
                problems.add(e);
            }
        }
        if (problems.size() == 1) {
            throw problems.get(0);
        }
        if (!problems.isEmpty()) {
            throw SettingsException.of(problems.stream().map(Throwable::getMessage).toList());
        }
        return values;
    }

    /** The sources' (or targets') names in keys below {@code prefix}, sorted. */
    private static Set<String> names(Collection<String> keys, String prefix) {
        Set<String> names = new TreeSet<>();
        for (String key : keys) {
            int dot = key.indexOf('.', prefix.length());
            if (key.startsWith(prefix) && dot > prefix.length()) {
                names.add(key.substring(prefix.length(), dot));
            }
        }
        return names;
    }

    /**
     * The typed value of a declared key, as set or else its declared default; empty when neither.
     * A source's or target's own gate limit has no default: the global one applies ({@code DropPolicies}).
     */
    public Optional<Object> value(String key) {
        Optional<Object> known = read.get(key);
        if (known != null) {
            return known;
        }
        Setting setting = SettingsTree.definition(key).orElseThrow(() -> new IllegalArgumentException(key + " is not declared in SettingsTree"));
        Optional<String> set = lookup.apply(key).map(String::strip).filter(s -> !s.isEmpty());
        boolean ownDefault = setting.key().equals(key) || setting.perName();
        Optional<String> raw = set.isPresent() ? set
                : Optional.ofNullable(ownDefault ? setting.defaultValue() : null).filter(s -> !s.isEmpty());
        Optional<Object> value = raw.map(v -> setting.parse(key, v));
        read.put(key, value);
        return value;
    }

    /** A key that must have a value (set or declared). */
    private Object required(String key) {
        return value(key).orElseThrow(() -> new SettingsException(key, "missing: "
                + SettingsTree.definition(key).map(Setting::expected).orElse("a value")));
    }

    public String text(String key) {
        return (String) required(key);
    }

    /** A text setting that may be unset (and has no default): empty then. */
    public Optional<String> optionalText(String key) {
        return value(key).map(String.class::cast);
    }

    public int integer(String key) {
        return Math.toIntExact((Long) required(key));
    }

    /** An integer setting that may be unset (a source's or target's own gate limit). */
    public Optional<Integer> optionalInteger(String key) {
        return value(key).map(v -> Math.toIntExact((Long) v));
    }

    public boolean bool(String key) {
        return (Boolean) required(key);
    }

    public Optional<Boolean> optionalBool(String key) {
        return value(key).map(Boolean.class::cast);
    }

    public Duration duration(String key) {
        return (Duration) required(key);
    }

    /** A choice, spelled as declared ({@code full}, {@code PUT}). */
    public String choice(String key) {
        return (String) required(key);
    }

    /** A list setting's items; empty when unset. */
    @SuppressWarnings("unchecked")
    public List<String> list(String key) {
        return value(key).map(v -> (List<String>) v).orElse(List.of());
    }

    public Optional<URI> url(String key) {
        return value(key).map(URI.class::cast);
    }

    /** One source's settings: {@code source("hris").choice("snapshot")} is {@code learnbridge.sources.hris.snapshot}. */
    public Named source(String name) {
        return new Named(this, "learnbridge.sources." + name + ".");
    }

    /** One target's settings: {@code target("lms").integer("rateLimit")}. */
    public Named target(String name) {
        return new Named(this, "learnbridge.targets." + name + ".");
    }

    /** The settings of one source or target, by the key's last part. */
    public record Named(SettingValues values, String prefix) {

        public String key(String suffix) {
            return prefix + suffix;
        }

        public String text(String suffix) {
            return values.text(prefix + suffix);
        }

        public Optional<String> optionalText(String suffix) {
            return values.optionalText(prefix + suffix);
        }

        public int integer(String suffix) {
            return values.integer(prefix + suffix);
        }

        public Optional<Integer> optionalInteger(String suffix) {
            return values.optionalInteger(prefix + suffix);
        }

        public boolean bool(String suffix) {
            return values.bool(prefix + suffix);
        }

        public Optional<Boolean> optionalBool(String suffix) {
            return values.optionalBool(prefix + suffix);
        }

        public Duration duration(String suffix) {
            return values.duration(prefix + suffix);
        }

        public String choice(String suffix) {
            return values.choice(prefix + suffix);
        }

        public List<String> list(String suffix) {
            return values.list(prefix + suffix);
        }
    }
}
