package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.cli.LearnBridgeCli;
import io.learnbridge.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate --targets} runs every Moodle target's preflight, as the bridge does before sending. */
class MoodleValidateTargetsTest {

    private static final String TOKEN = "validate-token";

    @TempDir
    Path home;

    private MoodleStandIn moodle;

    @BeforeEach
    void start() {
        moodle = MoodleStandIn.start(TOKEN);
    }

    @AfterEach
    void stop() {
        moodle.close();
    }

    private Path settings() throws Exception {
        Path routes = TestFiles.copyTree(Path.of("routes"), home.resolve("routes"));
        Files.copy(Path.of("src/test/resources/test-routes/target-moodle.camel.yaml"), routes.resolve("target-moodle.camel.yaml"));
        return Files.writeString(home.resolve("settings.properties"), String.join("\n",
                "camel.main.routesIncludePattern=file:" + routes + "/*.camel.yaml",
                "learnbridge.sources.hris.targets=lms,moodle",
                "learnbridge.targets.moodle.url=" + moodle.site(),
                "learnbridge.targets.moodle.token=" + TOKEN, ""));
    }

    private static synchronized String[] validate(Path settings) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            int code = LearnBridgeCli.execute("validate", "--no-load", "--targets", "--settings", settings.toString());
            return new String[] {String.valueOf(code), buffer.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void aTokenWithTheMinimumRoleIsValid() throws Exception {
        String[] run = validate(settings());
        assertThat(run[1]).contains("target moodle: Moodle " + moodle.site() + " as lbws: the token has every function and capability LearnBridge needs")
                .contains("valid: routes, mappings, example cases and settings");
        assertThat(run[0]).isEqualTo("0");
    }

    @Test
    void aMissingCapabilityIsAProblemNamingIt() throws Exception {
        moodle.lacks("moodle/user:viewalldetails");
        Path settings = settings();
        String[] run = validate(settings);
        assertThat(run[1]).contains(settings + ": learnbridge.targets.moodle.token: Moodle " + moodle.site()
                + " as lbws: user lbws lacks capability moodle/user:viewalldetails").contains("1 problem(s)");
        assertThat(run[0]).isEqualTo("1");
    }
}
