package io.learnbridge.support;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which {@code learnbridge.*} keys exist, so that a typo is refused instead of silently leaving
 * the default in force ({@code learnbridge.sources.hris.snapshott = full} would have kept the
 * source a delta one, and absent workers would never leave). A key is known when it is declared
 * in {@link SettingsTree} (a global key, or a per-source or per-target one), or a key a loaded
 * route file names in a {@code {{learnbridge....}}} placeholder (an engineer's own setting). An
 * unknown key is reported with the nearest known one.
 *
 * <p>Also refused: a {@code {{env:NAME}}} (without a default) whose variable is not set, which
 * Camel would resolve to nothing: an API token or a password silently empty.
 */
public final class KnownSettings {

    /** Keys of {@code learnbridge.sources.<source>.}: drops, SFTP, webhooks, Kafka, the gate (declared in {@link SettingsTree}). */
    private static final List<String> SOURCE_KEYS = declaredSuffixes(Setting.SOURCE);

    /** Keys of {@code learnbridge.targets.<target>.}: every adapter's (REST JSON, SCIM, Moodle, xAPI) and the gate. */
    private static final List<String> TARGET_KEYS = declaredSuffixes(Setting.TARGET);

    /** Settings whose values are secrets: an unset variable behind one is never let through as an empty value. */
    static boolean isSecret(String key) {
        java.util.Optional<Setting> declared = SettingsTree.definition(key);
        if (declared.isPresent()) {
            return declared.get().type() == Setting.Type.SECRET;
        }
        // a key only a route of the operator's names: by its name
        String last = key.substring(key.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return last.contains("token") || last.contains("secret") || last.contains("password");
    }

    /**
     * Whether environment variable {@code name} ({@code LEARNBRIDGE_...}) sets a secret: by the declared type of the
     * setting it names (for a source's or target's setting, the longest declared key it ends with), by its name when
     * it names none.
     */
    public static boolean isSecretVariable(String name) {
        Setting named = null;
        int longest = -1;
        for (Setting setting : SettingsTree.all()) {
            if (!setting.perName()) {
                if (envName(setting.key()).equals(name)) {
                    return setting.type() == Setting.Type.SECRET;
                }
                continue;
            }
            String family = setting.key().startsWith(Setting.SOURCE) ? Setting.SOURCE : Setting.TARGET;
            String prefix = envName(family.substring(0, family.indexOf('<')));
            String tail = "_" + envName(setting.key().substring(family.length()));
            if (name.startsWith(prefix) && name.endsWith(tail) && name.length() > prefix.length() + tail.length() && tail.length() > longest) {
                named = setting;
                longest = tail.length();
            }
        }
        return named != null ? named.type() == Setting.Type.SECRET : isSecret(name.toLowerCase(Locale.ROOT).replace('_', '.'));
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(learnbridge\\.[A-Za-z0-9_.\\-]+)(?::[^}]*)?}}");
    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?}}");

    private final Set<String> exact = new TreeSet<>();

    private KnownSettings(Set<String> referenced) {
        SettingsTree.all().stream().filter(setting -> !setting.perName()).forEach(setting -> exact.add(setting.key()));
        exact.addAll(referenced);
    }

    /** The known keys: the declared ones ({@link SettingsTree}) and the keys the given route texts name in placeholders. */
    public static KnownSettings of(Iterable<String> routeTexts) {
        Set<String> referenced = new TreeSet<>();
        for (String text : routeTexts) {
            Matcher m = PLACEHOLDER.matcher(text);
            while (m.find()) {
                referenced.add(m.group(1));
            }
        }
        return new KnownSettings(referenced);
    }

    /** The declared keys of every source or target ({@code family} is {@link Setting#SOURCE} or {@link Setting#TARGET}), gate limits included. */
    private static List<String> declaredSuffixes(String family) {
        List<String> suffixes = new ArrayList<>();
        for (Setting setting : SettingsTree.all()) {
            if (setting.key().startsWith(family)) {
                suffixes.add(setting.key().substring(family.length()));
            } else if (setting.overridable()) {
                suffixes.add(setting.key().substring("learnbridge.".length()));
            }
        }
        return List.copyOf(suffixes);
    }

    /** The texts of the route files a {@code camel.main.routesIncludePattern} loads (unreadable ones are left to 'validate'). */
    public static List<String> routeTexts(String routesPattern) {
        List<String> texts = new ArrayList<>();
        for (String pattern : routesPattern.split(",")) {
            String location = pattern.strip().replaceFirst("^file:", "");
            boolean one = !location.contains("*");
            int slash = location.lastIndexOf('/');
            String folder = slash < 0 ? "." : location.substring(0, slash);
            String only = one ? location.substring(slash + 1) : null;
            try {
                io.learnbridge.mapping.MappingFiles files = io.learnbridge.mapping.MappingFiles.load(folder);
                files.files().forEach((name, text) -> {
                    if (name.endsWith(".camel.yaml") && !name.contains("/") && (only == null || only.equals(name))) {
                        texts.add(text);
                    }
                });
            } catch (RuntimeException e) {
                // reported by 'validate' and by the startup check (no routes loaded)
            }
        }
        return texts;
    }

    /** Whether a {@code learnbridge.*} key exists. */
    public boolean known(String key) {
        if (exact.contains(key)) {
            return true;
        }
        for (String family : List.of("sources", "targets")) {
            String prefix = "learnbridge." + family + ".";
            if (!key.startsWith(prefix)) {
                continue;
            }
            String rest = key.substring(prefix.length());
            for (String suffix : suffixes(family)) {
                if (rest.endsWith("." + suffix) && rest.length() > suffix.length() + 1) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> suffixes(String family) {
        return family.equals("sources") ? SOURCE_KEYS : TARGET_KEYS;
    }

    /** The known key nearest to an unknown one (same source or target name), if one is near enough to be the one meant. */
    public Optional<String> nearest(String key) {
        List<String> candidates = new ArrayList<>(exact);
        for (String family : List.of("sources", "targets")) {
            String prefix = "learnbridge." + family + ".";
            if (key.startsWith(prefix)) {
                String rest = key.substring(prefix.length());
                int dot = rest.indexOf('.');
                String name = dot < 0 ? rest : rest.substring(0, dot);
                suffixes(family).forEach(s -> candidates.add(prefix + name + "." + s));
            }
        }
        String lower = key.toLowerCase(Locale.ROOT);
        return candidates.stream()
                .min(Comparator.comparingInt((String c) -> distance(lower, c.toLowerCase(Locale.ROOT))).thenComparing(c -> c))
                .filter(c -> distance(lower, c.toLowerCase(Locale.ROOT)) <= Math.max(3, key.length() / 8));
    }

    /**
     * Problems of the settings as given ({@code key} to its raw value, before placeholders are
     * resolved), each one line naming the key: an unknown {@code learnbridge.*} key (with the
     * nearest known key), a {@code {{env:NAME}}} without a default whose variable is not set.
     */
    public List<String> problems(Map<String, String> raw, Function<String, String> env) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(raw).entrySet()) {
            String key = e.getKey();
            if (key.startsWith("learnbridge.") && !known(key)) {
                problems.add("setting " + key + " is not a LearnBridge setting" + nearest(key).map(n -> ": did you mean " + n + "?")
                        .orElse(" (README, Settings, lists them)"));
            }
            Matcher m = ENV.matcher(e.getValue() == null ? "" : e.getValue());
            while (m.find()) {
                if (m.group(2) == null && env.apply(m.group(1)) == null) {
                    problems.add("setting " + key + " = {{env:" + m.group(1) + "}}: environment variable " + m.group(1) + " is not set"
                            + (isSecret(key) ? " (this secret would be empty)" : "")
                            + "; set it, or write {{env:" + m.group(1) + ":<default>}}");
                }
            }
        }
        return problems;
    }

    /** Environment variables named like a LearnBridge setting ({@code LEARNBRIDGE_...}) that match no known key. */
    public List<String> unknownEnvironment(Map<String, String> environment) {
        List<String> unknown = new ArrayList<>();
        for (String name : new TreeSet<>(environment.keySet())) {
            if (name.startsWith("LEARNBRIDGE_") && !knownEnvironment(name)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    private boolean knownEnvironment(String name) {
        for (String key : exact) {
            if (envName(key).equals(name)) {
                return true;
            }
        }
        for (String family : List.of("sources", "targets")) {
            String prefix = "LEARNBRIDGE_" + family.toUpperCase(Locale.ROOT) + "_";
            if (name.startsWith(prefix)) {
                for (String suffix : suffixes(family)) {
                    String tail = "_" + envName(suffix);
                    if (name.endsWith(tail) && name.length() > prefix.length() + tail.length()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The environment variable of a key: {@code learnbridge.api.token} is {@code LEARNBRIDGE_API_TOKEN}. */
    static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
