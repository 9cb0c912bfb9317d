package io.learnbridge.ops;

/** A setting that is missing or malformed; names the key, never a secret value. */
public final class SettingsException extends RuntimeException {

    private final String key;

    public SettingsException(String key, String message) {
        super("setting " + key + ": " + message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
