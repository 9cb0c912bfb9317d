package io.learnbridge.delivery.moodle;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.mapping.MappingCases;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped Moodle mapping compiles and its example cases hold (MappingCasesTest runs them with
 * every other mapping's; this keeps them in the Moodle tests too).
 */
class MoodleMappingTest {

    @Test
    void theMoodleMappingCompilesAndEveryExampleCaseHolds() {
        MappingCatalog catalog = MappingCatalog.compile(MappingFiles.load("mappings"));

        assertThat(catalog.targets()).containsKey("moodle");
        List<MappingCases.Result> results = MappingCases.run(catalog, catalog.targets().get("moodle"));
        assertThat(results).hasSize(5).allSatisfy(r -> assertThat(r.passed()).as(r.describe()).isTrue());
    }
}
