package io.learnbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RouteSchemaValidator} against Camel's own YAML DSL schema, and every route file the
 * project ships in {@code routes/}.
 */
final class RouteSchemaValidatorTest {

    private static final String FILE = "test.camel.yaml";

    /** Loading the 800 KB schema takes about a second: once for the whole class. */
    private static RouteSchemaValidator validator;

    @BeforeAll
    static void loadSchemaOnce() {
        validator = new RouteSchemaValidator();
    }

    @Test
    void aValidRouteHasNoProblems() {
        String yaml = """
                - route:
                    id: hello
                    from:
                      uri: timer:x
                      parameters:
                        period: 1000
                      steps:
                        - log:
                            message: hi
                        - setHeader:
                            name: kind
                            simple: "${body}"
                        - choice:
                            when:
                              - simple: "${header.kind} == 'a'"
                                steps:
                                  - to: direct:a
                            otherwise:
                              steps:
                                - to:
                                    uri: log:other
                                    parameters:
                                      level: WARN
                - from:
                    uri: direct:a
                    steps:
                      - log: "got ${body}"
                """;

        assertThat(validator.validate(FILE, yaml)).isEmpty();
    }

    @Test
    void anUnknownStepIsReportedOnItsOwnLineAndNamed() {
        String yaml = """
                - route:
                    id: hello
                    from:
                      uri: timer:x
                      steps:
                        - log:
                            message: hi
                        - lgo:
                            message: hi
                """;

        assertThat(validator.validate(FILE, yaml))
                .containsExactly(FILE + ":8: route.from.steps[1]: unknown key 'lgo' (did you mean 'log'?)");
    }

    @Test
    void anUnknownTopLevelKeyIsReportedWithItsLine() {
        String yaml = """
                # a comment first, so the line is not trivially 1
                - rout:
                    from:
                      uri: timer:x
                      steps:
                        - log: hi
                """;

        List<String> problems = validator.validate(FILE, yaml);

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith(FILE + ":2: ").contains("'rout'").contains("'route'");
    }

    @Test
    void anEndpointOptionOutsideParametersNamesTheKey() {
        String yaml = """
                - route:
                    from:
                      uri: timer:x
                      period: 1000
                      steps:
                        - to:
                            uri: direct:a
                            bogusOption: true
                """;

        List<String> problems = validator.validate(FILE, yaml);

        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).startsWith(FILE + ":4: route.from: unknown key 'period'").contains("parameters");
        assertThat(problems.get(1)).startsWith(FILE + ":8: route.from.steps[0].to: unknown key 'bogusOption'");
    }

    @Test
    void branchNoiseIsReducedToOneActionableLinePerLocation() {
        String yaml = """
                - route:
                    from:
                      uri: timer:x
                      steps:
                        - setHeader:
                            name: a
                            simple: x
                            constant: y
                        - log:
                            message: hi
                            loggingLevel: LOUD
                """;

        assertThat(validator.validate(FILE, yaml)).containsExactly(
                FILE + ":5: route.from.steps[0].setHeader: only one of 'simple', 'constant' may be set here;"
                        + " they are alternatives",
                FILE + ":11: route.from.steps[1].log.loggingLevel: invalid value 'LOUD';"
                        + " expected one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
    }

    @Test
    void propertyPlaceholdersAndScalarsThatCamelAcceptsAreNotReported() {
        String yaml = """
                - route:
                    autoStartup: "{{hr.autostart:true}}"
                    from:
                      uri: timer:x
                      steps:
                        - filter:
                            constant: true
                            steps:
                              - log: 42
                """;

        assertThat(validator.validate(FILE, yaml)).isEmpty();
    }

    @Test
    void aYamlSyntaxErrorIsOneProblemWithFileAndLine() {
        String yaml = """
                - route:
                    from:
                      uri: "timer:x
                      steps: []
                """;

        List<String> problems = validator.validate(FILE, yaml);

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).matches(java.util.regex.Pattern.quote(FILE) + ":\\d+: invalid YAML: .*");
    }

    @Test
    void theListIsCappedPerFile() {
        StringBuilder yaml = new StringBuilder("- route:\n    from:\n      uri: timer:x\n      steps:\n");
        for (int i = 0; i < 25; i++) {
            yaml.append("        - nope").append(i).append(": x\n");
        }

        List<String> problems = validator.validate(FILE, yaml.toString());

        assertThat(problems).hasSize(RouteSchemaValidator.MAX_PROBLEMS_PER_FILE);
        assertThat(problems.get(0)).startsWith(FILE + ":5: ");
        assertThat(problems.get(problems.size() - 1)).contains("16 more problem(s) not shown");
    }

    @Test
    void validatesAFileOnDiskNamingItsPath(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.camel.yaml");
        Files.writeString(file, "- route:\n    from:\n      uri: timer:x\n");

        assertThat(validator.validate(file)).containsExactly(file + ":2: route.from: missing required key 'steps'");
    }

    /** The test the project relies on: every shipped route file is valid Camel YAML DSL. */
    @Test
    void everyRouteFileInTheRepositoryIsValid() throws IOException {
        Path routes = Path.of("routes");
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(routes)) {
            try (Stream<Path> listing = Files.list(routes)) {
                listing.filter(p -> p.getFileName().toString().endsWith(".camel.yaml"))
                        .filter(Files::isRegularFile)
                        .sorted()
                        .forEach(files::add);
            }
        }
        assumeFalse(files.isEmpty(), "no routes/*.camel.yaml files yet");

        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            problems.addAll(validator.validate(file));
        }

        assertThat(problems)
                .as("schema problems in %d route file(s): %s", files.size(), files)
                .isEmpty();
    }
}
