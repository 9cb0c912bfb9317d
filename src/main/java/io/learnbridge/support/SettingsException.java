package io.learnbridge.support;

import java.util.List;

/** A setting that is missing or malformed; names the key, never a secret value. */
public final class SettingsException extends RuntimeException {

    private final String key;

    public SettingsException(String key, String message) {
        super("setting " + key + ": " + message);
        this.key = key;
    }

    private SettingsException(String message, String key, boolean whole) {
        super(message);
        this.key = key;
    }

    /** Problems already phrased in full, each naming its key ({@link KnownSettings#problems}). */
    public static SettingsException of(List<String> problems) {
        return new SettingsException(String.join("; ", problems), null, true);
    }

    public String key() {
        return key;
    }
}
