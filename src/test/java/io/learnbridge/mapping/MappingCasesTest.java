package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Runs the example cases beside every shipped mapping (mappings/&lt;kind&gt;/&lt;name&gt;.mapping.test.yaml). */
class MappingCasesTest {

    private static final MappingCatalog CATALOG = MappingCatalog.compile(MappingFiles.load("mappings"));

    @Test
    void everyShippedMappingCompiles() {
        assertThat(CATALOG.problems()).extracting(MappingException::describe).isEmpty();
        assertThat(CATALOG.sources()).containsKey("hris");
        assertThat(CATALOG.targets()).containsKey("lms");
    }

    @TestFactory
    Stream<DynamicTest> everyExampleCaseOfEveryMappingHolds() {
        List<MappingCases.Result> results = MappingCases.runAll(CATALOG);
        assertThat(results).hasSizeGreaterThanOrEqualTo(9);
        return results.stream().map(r -> dynamicTest(r.file() + ":" + r.line() + " " + r.name(),
                () -> assertThat(r.passed()).as(r.describe()).isTrue()));
    }

    @Test
    void aCaseWhoseExpectationIsWrongFails() {
        MappingFiles files = MappingFiles.of("mem", java.util.Map.of(
                "targets/t.mapping.yaml", "fields:\n  id: workerId\n",
                "targets/t.mapping.test.yaml", "cases:\n  - name: wrong\n    input: {workerId: A}\n    expect: {id: B}\n"));
        List<MappingCases.Result> results = MappingCases.runAll(MappingCatalog.compile(files));
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.passed()).isFalse();
            assertThat(r.describe()).isEqualTo("mem/targets/t.mapping.test.yaml:2: case 'wrong': field id: expected \"B\", got \"A\"");
        });
    }

    @Test
    void aMappingWithoutCasesIsReported() {
        MappingFiles files = MappingFiles.of("mem", java.util.Map.of("targets/t.mapping.yaml", "fields:\n  id: workerId\n"));
        assertThat(MappingCases.runAll(MappingCatalog.compile(files)))
                .singleElement().satisfies(r -> assertThat(r.message()).contains("no example cases: add mem/targets/t.mapping.test.yaml"));
    }
}
