package io.learnbridge.cli;

import io.learnbridge.support.SettingsTable;
import io.learnbridge.support.SettingsTree;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's settings table is the one generated from the declaration ({@link SettingsTree}),
 * and it and application.properties name the same keys (one source of truth, checked).
 */
class ReadmeSettingsTest {

    @Test
    void theReadmeTableIsTheOneGeneratedFromTheDeclaration() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(SettingsTable.tableOf(readme))
                .as("README.md's settings table is generated from io.learnbridge.support.SettingsTree; after changing it, run: "
                        + "mvn -q -o compile && java -cp target/classes io.learnbridge.support.SettingsTable README.md")
                .isEqualTo(SettingsTable.markdown());
    }

    private static final Pattern ROW_KEY = Pattern.compile("^\\| `(learnbridge\\.[^`]+)`", Pattern.MULTILINE);

    @Test
    void everyLearnBridgeSettingIsDocumentedAndEveryDocumentedSettingExists() throws Exception {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
            properties.load(reader);
        }
        Set<String> inProperties = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("learnbridge.")) {
                inProperties.add(key.replaceFirst("^learnbridge\\.sources\\.[^.]+\\.", "learnbridge.sources.<source>.")
                        .replaceFirst("^learnbridge\\.targets\\.[^.]+\\.", "learnbridge.targets.<target>."));
            }
        }
        Set<String> inReadme = new TreeSet<>();
        Matcher m = ROW_KEY.matcher(Files.readString(Path.of("README.md")));
        while (m.find()) {
            inReadme.add(m.group(1));
        }
        assertThat(inReadme).as("settings table rows of README.md").containsAll(inProperties);
        // optional per-source settings: documented, with no value in the embedded defaults
        inReadme.removeIf(k -> k.startsWith("learnbridge.sources.<source>.host") || k.startsWith("learnbridge.sources.<source>.rescindPointer") || k.startsWith("learnbridge.sources.<source>.webhook.")
                || k.startsWith("learnbridge.sources.<source>.kafka.") || k.startsWith("learnbridge.exceptions.kafka.")
                || k.startsWith("learnbridge.sources.<source>.gate.") || k.startsWith("learnbridge.targets.<target>.gate.")
                || k.startsWith("learnbridge.targets.<target>.homePage") || k.startsWith("learnbridge.targets.<target>.auth")
                || k.startsWith("learnbridge.targets.<target>.changes") || k.startsWith("learnbridge.targets.<target>.oauth2.")
                || k.startsWith("learnbridge.targets.<target>.rateLimit") || k.startsWith("learnbridge.targets.<target>.groups")
                || k.startsWith("learnbridge.targets.<target>.enrolRoleId") || k.startsWith("learnbridge.targets.<target>.preflight")
                || k.startsWith("learnbridge.targets.<target>.leaverCohort") || k.startsWith("learnbridge.targets.<target>.duplicateEmails"));
        assertThat(inProperties).as("learnbridge.* keys of application.properties").containsAll(inReadme);
    }
}
