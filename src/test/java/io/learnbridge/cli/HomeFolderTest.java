package io.learnbridge.cli;

import io.learnbridge.support.Home;
import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edit in place (#13 item 3): a folder with {@code routes/}, {@code mappings/} and
 * {@code learnbridge.properties} — a checkout, or a folder given with {@code --home} — is what the
 * commands read, not the copies packaged in the jar.
 */
class HomeFolderTest {

    @TempDir
    Path home;

    record Run(int exitCode, String out, String err) {
    }

    private static synchronized Run cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBuffer = new ByteArrayOutputStream();
        ByteArrayOutputStream errBuffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(outBuffer, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errBuffer, true, StandardCharsets.UTF_8));
        try {
            int code = LearnBridgeCli.execute(args);
            return new Run(code, outBuffer.toString(StandardCharsets.UTF_8), errBuffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            Home.reset();
        }
    }

    private Path checkout() throws Exception {
        TestFiles.copyTree(Path.of("mappings"), home.resolve("mappings"));
        TestFiles.copyTree(Path.of("routes"), home.resolve("routes"));
        return home;
    }

    @Test
    void validateSeesAnEditedMappingInTheHomeFolderAndPassesOnceItIsFixed() throws Exception {
        Path hris = checkout().resolve("mappings/sources/hris.mapping.yaml");
        String good = Files.readString(hris);
        Files.writeString(hris, good.replace("    case: lower\n", "    case: lowest\n"));

        Run broken = cli("--home", home.toString(), "validate", "--no-load");

        assertThat(broken.exitCode()).isEqualTo(1);
        assertThat(broken.out()).containsPattern(java.util.regex.Pattern.quote(hris.toAbsolutePath().normalize().toString())
                + ":\\d+: email: case must be lower or upper, found 'lowest'");
        assertThat(broken.err()).contains("LearnBridge home " + home.toAbsolutePath().normalize())
                .contains("routes file:" + home.toAbsolutePath().normalize().resolve("routes"))
                .contains("mappings " + home.toAbsolutePath().normalize().resolve("mappings"));

        Files.writeString(hris, good);
        Run fixed = cli("validate", "--no-load", "--home=" + home);
        assertThat(fixed.out()).contains("valid: routes, mappings, example cases and settings");
        assertThat(fixed.exitCode()).isZero();
    }

    @Test
    void runStartsFromTheHomeFolderSoABrokenMappingThereStopsIt() throws Exception {
        Path hris = checkout().resolve("mappings/sources/hris.mapping.yaml");
        Files.writeString(hris, Files.readString(hris).replace("    case: lower\n", "    case: lowest\n"));
        Files.writeString(home.resolve("learnbridge.properties"), "learnbridge.store.url=jdbc:h2:mem:home-run\n"
                + "camel.server.port=0\ncamel.management.port=0\nlearnbridge.sources.hris.directory=" + home.resolve("drops") + "\n");

        Run run = cli("--home", home.toString(), "run");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("LearnBridge did not start").contains(hris.toAbsolutePath().normalize() + ":")
                .contains("case must be lower or upper, found 'lowest'");
    }

    @Test
    void theHomeSettingsFileIsReadAndASettingsFileGivenOnTheCommandLineIsReadInstead() throws Exception {
        Path homeSettings = Files.writeString(home.resolve("learnbridge.properties"), "learnbridge.drops.snapshott=full\n");

        Run fromHome = cli("--home", home.toString(), "validate", "--no-load");
        assertThat(fromHome.exitCode()).isEqualTo(1);
        assertThat(fromHome.out()).contains(homeSettings.toAbsolutePath().normalize() + ": ").contains("learnbridge.drops.snapshott");
        assertThat(fromHome.err()).contains("routes classpath:routes/*.camel.yaml (packaged in the jar)")
                .contains("kamelets classpath:kamelets (packaged in the jar)")
                .contains("mappings classpath:mappings (packaged in the jar)")
                .contains("settings " + homeSettings.toAbsolutePath().normalize());

        Path given = Files.writeString(home.resolve("other.properties"), "learnbridge.gate.minPopulation=10\n");
        Run withSettings = cli("--home", home.toString(), "validate", "--no-load", "--settings", given.toString());
        assertThat(withSettings.out()).contains("valid: routes, mappings, example cases and settings");
        assertThat(withSettings.exitCode()).isZero();
    }

    @Test
    void validateLoadsTheHomeFoldersKameletsAndNamesABrokenOne() throws Exception {
        checkout();
        Path kamelet = TestFiles.copyTree(Path.of("kamelets"), home.resolve("kamelets")).resolve("learnbridge-drop-folder-source.kamelet.yaml");
        String good = Files.readString(kamelet);
        Files.writeString(kamelet, good.replace("uri: \"file:{{directory}}\"", "uri: \"flie:{{directory}}\""));
        Files.writeString(home.resolve("learnbridge.properties"), "learnbridge.store.url=jdbc:h2:mem:home-kamelets\n"
                + "learnbridge.sources.hris.directory=" + home.resolve("drops") + "\n");

        Run broken = cli("--home", home.toString(), "validate");

        assertThat(broken.exitCode()).as(broken.out() + broken.err()).isEqualTo(1);
        assertThat(broken.err()).contains("kamelets file:" + home.toAbsolutePath().normalize().resolve("kamelets") + ",classpath:kamelets");
        assertThat(broken.out()).contains("routes do not load").contains(kamelet.toAbsolutePath().normalize().toString());

        Files.writeString(kamelet, good);
        Run fixed = cli("--home", home.toString(), "validate");
        assertThat(fixed.out()).contains("valid: routes, mappings, example cases and settings");
        assertThat(fixed.exitCode()).isZero();
    }

    @Test
    void aHomeThatIsNotAFolderIsRefused() {
        Run run = cli("--home", home.resolve("missing").toString(), "validate");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--home").contains("not a folder").contains(home.resolve("missing").toString());
    }
}
