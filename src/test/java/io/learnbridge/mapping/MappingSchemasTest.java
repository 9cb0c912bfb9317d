package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Mapping files are checked against the JSON Schemas editors autocomplete from. */
class MappingSchemasTest {

    @Test
    void everyShippedMappingLookupAndCasesFileMatchesItsSchema() {
        MappingFiles files = MappingFiles.load("mappings");
        assertThat(files.files().keySet()).contains("sources/hris.mapping.yaml", "targets/lms.mapping.yaml", "lookups/employment-status.yaml");
        assertThat(new MappingSchemas(files).check(files)).isEmpty();
    }

    @Test
    void anUnknownTransformIsReportedOnItsLine() {
        MappingFiles shipped = MappingFiles.load("mappings");
        MappingFiles files = MappingFiles.of("m", Map.of("targets/x.mapping.yaml", "fields:\n  id:\n    from: workerId\n    upper: true\n"));
        assertThat(new MappingSchemas(shipped).check(files))
                .anySatisfy(p -> assertThat(p).startsWith("m/targets/x.mapping.yaml:4: ").contains("upper"));
    }
}
