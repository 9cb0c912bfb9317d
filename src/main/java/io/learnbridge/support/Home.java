package io.learnbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The folder an integration engineer edits: {@code routes/}, {@code kamelets/}, {@code mappings/} and
 * {@code learnbridge.properties} in the working directory (or the folder given with
 * {@code --home DIR}). Each one present is used instead of the copy packaged in the jar (a Kamelet
 * the home's {@code kamelets/} lacks is still found in the jar), so an
 * edited mapping is what {@code validate}, {@code preview}, {@code plan}, {@code simulate} and
 * {@code run} see, without a rebuild. A settings file or system property that names its own
 * {@code camel.main.routesIncludePattern}, {@code camel.component.kamelet.location} or
 * {@code learnbridge.mappings.location} still wins, and
 * {@code --settings FILE} is used instead of the home's {@code learnbridge.properties}.
 */
public final class Home {

    static final String ROUTES_KEY = "camel.main.routesIncludePattern";
    static final String KAMELETS_KEY = "camel.component.kamelet.location";
    static final String PACKAGED_KAMELETS = "classpath:kamelets";
    static final String MAPPINGS_KEY = "learnbridge.mappings.location";
    static final String SETTINGS_FILE = "learnbridge.properties";

    private static volatile Path chosen;

    private final Path dir;
    private final boolean routes;
    private final boolean kamelets;
    private final boolean mappings;
    private final boolean settings;

    private Home(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
        this.routes = hasFiles(this.dir.resolve("routes"), ".camel.yaml", false);
        this.kamelets = hasFiles(this.dir.resolve("kamelets"), ".kamelet.yaml", false);
        this.mappings = hasFiles(this.dir.resolve("mappings"), ".yaml", true);
        this.settings = Files.isRegularFile(this.dir.resolve(SETTINGS_FILE));
    }

    /** The home of this process: the folder given with {@code --home}, else the working directory. */
    public static Home current() {
        Path dir = chosen;
        return new Home(dir != null ? dir : Path.of(""));
    }

    /** {@code --home DIR}: a folder that must exist. */
    public static void choose(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SettingsException("--home", "not a folder: " + dir.toAbsolutePath());
        }
        chosen = dir;
    }

    /** Back to the working directory (tests). */
    public static void reset() {
        chosen = null;
    }

    public Path dir() {
        return dir;
    }

    /** The settings file to read: the one given with {@code --settings}, else the home's {@code learnbridge.properties}, else none. */
    public Optional<Path> settingsFile(Path explicit) {
        if (explicit != null) {
            return Optional.of(explicit);
        }
        return settings ? Optional.of(dir.resolve(SETTINGS_FILE)) : Optional.empty();
    }

    /** What the home folder sets: the routes, Kamelets and mappings locations of the folders it has. */
    public Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        if (routes && !givenOutside(ROUTES_KEY)) {
            properties.put(ROUTES_KEY, "file:" + dir.resolve("routes") + "/*.camel.yaml");
        }
        if (kamelets && !givenOutside(KAMELETS_KEY)) {
            properties.put(KAMELETS_KEY, "file:" + dir.resolve("kamelets") + "," + PACKAGED_KAMELETS);
        }
        if (mappings && !givenOutside(MAPPINGS_KEY)) {
            properties.put(MAPPINGS_KEY, dir.resolve("mappings").toString());
        }
        return properties;
    }

    /** A system property or environment variable sets the key: it wins over the home folder. */
    private static boolean givenOutside(String key) {
        return System.getProperty(key) != null || System.getenv(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_')) != null;
    }

    /** The properties a command's camel-main gets on top of application.properties: the home's, then the settings file's. */
    public Properties overrides(Path explicitSettings) {
        Properties overrides = new Properties();
        overrides.putAll(properties());
        settingsFile(explicitSettings).ifPresent(file -> overrides.putAll(SettingsFiles.load(file)));
        return overrides;
    }

    /** One line for the start of a command: where routes, Kamelets, mappings and settings come from. */
    public String describe(Path explicitSettings, java.util.function.Function<String, Optional<String>> lookup) {
        String routesFrom = lookup.apply(ROUTES_KEY).orElse("classpath:routes/*.camel.yaml");
        String kameletsFrom = lookup.apply(KAMELETS_KEY).orElse(PACKAGED_KAMELETS);
        String mappingsFrom = lookup.apply(MAPPINGS_KEY).orElse("classpath:mappings");
        String settingsFrom = settingsFile(explicitSettings).map(Path::toString).orElse("none (the packaged defaults)");
        return "LearnBridge home " + dir + ": routes " + shown(routesFrom) + ", kamelets " + shown(kameletsFrom) + ", mappings " + shown(mappingsFrom) + ", settings " + settingsFrom;
    }

    private static String shown(String location) {
        return location.startsWith("classpath:") ? location + " (packaged in the jar)" : location;
    }

    private static boolean hasFiles(Path folder, String suffix, boolean nested) {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> files = nested ? Files.walk(folder) : Files.list(folder)) {
            return files.anyMatch(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(suffix));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + folder + ": " + e.getMessage(), e);
        }
    }
}
