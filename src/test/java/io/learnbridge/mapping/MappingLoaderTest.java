package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A broken mapping is refused with file, line and field. */
class MappingLoaderTest {

    private static MappingException problem(String path, String yaml) {
        MappingCatalog catalog = MappingCatalog.compile(MappingFiles.of("mappings", Map.of(
                path, yaml,
                "lookups/status.yaml", "values:\n  A: ACTIVE\n")));
        assertThat(catalog.problems()).hasSize(1);
        return catalog.problems().get(0);
    }

    @Test
    void unknownCanonicalFieldNamesFileLineAndField() {
        MappingException e = problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  emial:
                    from: Email
                """);
        assertThat(e.describe()).startsWith("mappings/sources/hr.mapping.yaml:3: emial: unknown canonical field");
    }

    @Test
    void unknownTransformNamesTheTransformAndItsLine() {
        MappingException e = problem("sources/hr.mapping.yaml", """
                fields:
                  workerId:
                    from: Id
                    trimm: true
                """);
        assertThat(e.describe()).startsWith("mappings/sources/hr.mapping.yaml:4: workerId: unknown transform 'trimm'");
    }

    @Test
    void badYamlNamesTheLine() {
        MappingException e = problem("targets/lms.mapping.yaml", "fields:\n  id: workerId\n  bad: [unclosed\n");
        assertThat(e.file()).isEqualTo("mappings/targets/lms.mapping.yaml");
        assertThat(e.getMessage()).startsWith("invalid YAML");
        assertThat(e.line()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void targetMappingReadingAnUnknownCanonicalFieldIsRefused() {
        MappingException e = problem("targets/lms.mapping.yaml", "fields:\n  id: workerId\n  mail:\n    from: emailAddress\n");
        assertThat(e.describe()).startsWith("mappings/targets/lms.mapping.yaml:4: mail: reads unknown canonical field 'emailAddress'");
    }

    @Test
    void lookupWithoutUnmappedPolicyIsRefused() {
        MappingException e = problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  employmentStatus:
                    from: Status
                    lookup:
                      table: status
                """);
        assertThat(e.describe()).contains(":5: employmentStatus: lookup needs an explicit 'unmapped' policy");
    }

    @Test
    void unknownValueTableNamesTheExpectedFile() {
        MappingException e = problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  employmentStatus:
                    from: Status
                    lookup: {table: statuses, unmapped: reject}
                """);
        assertThat(e.describe()).contains(":5: employmentStatus: unknown value table 'statuses' (expected mappings/lookups/statuses.yaml");
    }

    @Test
    void sourceMappingWithoutWorkerIdIsRefused() {
        MappingException e = problem("sources/hr.mapping.yaml", "fields:\n  email: Email\n");
        assertThat(e.describe()).contains("workerId: a source mapping must map workerId");
    }

    @Test
    void compileStrictThrowsTheFirstProblem() {
        MappingFiles files = MappingFiles.of("m", Map.of("sources/x.mapping.yaml", "fields:\n  nope: A\n"));
        assertThatThrownBy(() -> MappingCatalog.compileStrict(files)).isInstanceOf(MappingException.class)
                .hasMessageContaining("unknown canonical field");
    }
}
