package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shipped JSON Schema of the canonical record and the Java model name the same fields. */
class CanonicalSchemaTest {

    @Test
    void canonicalSchemaListsExactlyTheCanonicalFields() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Path.of("mappings/schema/canonical-worker.schema.json").toFile());
        Set<String> inSchema = new TreeSet<>();
        schema.get("properties").fieldNames().forEachRemaining(inSchema::add);
        inSchema.remove("attributes");
        Set<String> inJava = Arrays.stream(CanonicalField.values()).map(CanonicalField::fieldName).collect(Collectors.toCollection(TreeSet::new));
        assertThat(inSchema).isEqualTo(inJava);
        assertThat(schema.at("/properties/employmentStatus/enum")).extracting(JsonNode::asText)
                .containsExactly(Arrays.stream(EmploymentStatus.values()).map(Enum::name).toArray(String[]::new));
    }
}
