package io.learnbridge.mapping;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Binds a JSON source mapping: each input is a JSON path, compiled to a pointer once; a row is
 * one JSON document. Scalars are read as text; objects and arrays are not values.
 */
public final class JsonSourceRow {

    private JsonSourceRow() {
    }

    public static SourceMapper bind(MappingFile mapping) {
        List<String> inputs = mapping.inputs();
        return SourceMapper.bind(mapping, inputs::indexOf, "the JSON document");
    }

    public static InputRow row(MappingFile mapping, JsonNode document) {
        List<JsonPointer> pointers = mapping.inputs().stream().map(JsonPaths::toPointer).toList();
        return slot -> {
            JsonNode node = document.at(pointers.get(slot));
            return node.isMissingNode() || node.isNull() || node.isContainerNode() ? null : node.asText();
        };
    }
}
