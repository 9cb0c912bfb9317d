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

    @Test
    void aTwoDigitYearWithoutACenturyIsRefusedNamingFileAndLine() {
        MappingException e = problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  hireDate:
                    from: Hired
                    date:
                      from: M/d/yy
                """);
        assertThat(e.describe()).startsWith("mappings/sources/hr.mapping.yaml:6: hireDate: bad date pattern: pattern 'M/d/yy' has a two-digit year")
                .contains("pivotYear").contains("yearsAhead");
    }

    @Test
    void aCenturyForAPatternWithoutTwoDigitYearsOrBothKindsAreRefused() {
        assertThat(problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  hireDate:
                    from: Hired
                    date: {from: yyyy-MM-dd, pivotYear: 1950, yearsAhead: 10}
                """).describe()).contains(":5: hireDate: use either pivotYear or yearsAhead, not both");
        assertThat(problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  hireDate:
                    from: Hired
                    date:
                      notAfter: next year
                """).describe()).contains(":6: hireDate: notAfter must be a period from today (P1Y, -P100Y, P30D) or a date");
    }

    @Test
    void captureNamesAMissingGroupOrPatternAtItsLine() {
        assertThat(problem("sources/hr.mapping.yaml", """
                patterns:
                  name: "(?<family>[^,]+),(?<given>.+)"
                fields:
                  workerId: Id
                  familyName:
                    from: Name
                    capture: {use: name, group: surname}
                """).describe()).contains(":7: familyName: pattern name has no group named 'surname' (its groups: family, given)");
        assertThat(problem("sources/hr.mapping.yaml", """
                fields:
                  workerId: Id
                  familyName:
                    from: Name
                    capture:
                      use: nmae
                      group: family
                """).describe()).contains(":6: familyName: no pattern 'nmae' in patterns: (known: none)");
        assertThat(problem("sources/hr.mapping.yaml", """
                patterns:
                  name: "(?<family>[^,]+"
                fields:
                  workerId: Id
                """).describe()).contains(":2: bad pattern 'name'");
        assertThat(problem("sources/hr.mapping.yaml", """
                fields:
                  workerId:
                    from: Id
                    split: {separator: "-"}
                """).describe()).contains(":4: workerId: split needs an 'index'");
        assertThat(problem("sources/hr.mapping.yaml", """
                fields:
                  workerId:
                    from: Id
                    pad: {length: 6, with: "00"}
                """).describe()).contains(":4: workerId: pad 'with' must be one character");
    }
}
