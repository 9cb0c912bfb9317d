package io.learnbridge.support;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Reads a settings file given with {@code --settings}. */
public final class SettingsFiles {

    private SettingsFiles() {
    }

    public static Properties load(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new SettingsException("--settings", "cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        return properties;
    }
}
