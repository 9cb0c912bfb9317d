package io.learnbridge.support;

import io.learnbridge.cli.CliSettings;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Logging set up from the settings, before the bridge starts: the line format
 * ({@code learnbridge.log.format}: {@code text}, or {@code json} for one JSON object per line), an
 * override file ({@code logback.xml} beside the settings file, or in the home folder) used instead
 * of the packaged one, and the secret values {@link LogMask} takes out of every line.
 */
public final class Logs {

    static final String FORMAT_KEY = "learnbridge.log.format";
    static final String OVERRIDE_FILE = "logback.xml";
    private static final Pattern ENV_PLACEHOLDER = Pattern.compile("\\{\\{env:([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}}");

    private Logs() {
    }

    /**
     * Registers the secrets, then reconfigures logback when the settings choose a format or an override
     * file is present; returns the override file used, if any.
     */
    public static Optional<Path> configure(Home home, Path settings, CliSettings lookup) {
        registerSecrets(lookup.raw(), lookup, System.getenv());
        String format = SettingValues.of(lookup).choice(FORMAT_KEY);
        Optional<Path> override = overrideFile(home, settings);
        boolean formatChanged = !format.equals(System.getProperty(FORMAT_KEY, "text"));
        if (override.isEmpty() && !formatChanged) {
            return override;
        }
        System.setProperty(FORMAT_KEY, format);
        if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return override;
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            if (override.isPresent()) {
                configurator.doConfigure(override.get().toFile());
            } else {
                configurator.doConfigure(Logs.class.getClassLoader().getResource("logback.xml"));
            }
        } catch (JoranException e) {
            throw new SettingsException(override.map(Path::toString).orElse("logback.xml"), "cannot configure logging: " + e.getMessage());
        }
        return override;
    }

    /**
     * Names this instance in every log line from now on: logback's context property {@code instance}, which the
     * text format prints after the time and the JSON format carries in its {@code context}.
     */
    public static void instance(String instanceId) {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.putProperty("instance", instanceId);
        }
    }

    /** {@code logback.xml} beside the settings file, else in the home folder. */
    static Optional<Path> overrideFile(Home home, Path settings) {
        Optional<Path> file = home.settingsFile(settings);
        if (file.isPresent()) {
            Path parent = file.get().toAbsolutePath().getParent();
            if (parent != null && Files.isRegularFile(parent.resolve(OVERRIDE_FILE))) {
                return Optional.of(parent.resolve(OVERRIDE_FILE));
            }
        }
        Path inHome = home.dir().resolve(OVERRIDE_FILE);
        return Files.isRegularFile(inHome) ? Optional.of(inHome) : Optional.empty();
    }

    /**
     * Every secret setting's value ({@link KnownSettings#isSecret}), each item of a list of secrets,
     * the variable behind a {@code {{env:NAME}}}, and every {@code LEARNBRIDGE_*} environment variable
     * that sets a secret setting ({@link KnownSettings#isSecretVariable}).
     */
    public static void registerSecrets(Map<String, String> raw, Function<String, Optional<String>> lookup, Map<String, String> environment) {
        for (String key : raw.keySet()) {
            if (KnownSettings.isSecret(key)) {
                lookup.apply(key).ifPresent(value -> secretValue(value, environment));
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith("LEARNBRIDGE_") && KnownSettings.isSecretVariable(name)) {
                secretValue(value, environment);
            }
        });
    }

    private static void secretValue(String value, Map<String, String> environment) {
        Matcher env = ENV_PLACEHOLDER.matcher(value);
        while (env.find()) {
            secretValue(environment.getOrDefault(env.group(1), ""), environment);
        }
        String plain = ENV_PLACEHOLDER.matcher(value).replaceAll("");
        LogMask.secret(plain);
        for (String item : plain.split(",")) {
            LogMask.secret(item);
            // a Standard Webhooks secret is whsec_ and the base64 of the key: neither form may be logged
            if (item.strip().startsWith("whsec_")) {
                LogMask.secret(item.strip().substring("whsec_".length()));
            }
        }
    }
}
