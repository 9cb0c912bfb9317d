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

    /** A JSON source mapping compiled once: its mapper and one JSON pointer per input. */
    public record Binding(SourceMapper mapper, List<JsonPointer> pointers) {

        public MappingResult<io.learnbridge.worker.CanonicalRecord> map(JsonNode document) {
            return mapper.map(slot -> read(document, pointers.get(slot)));
        }

        /** The worker id the document names, as {@link SourceMapper#workerIdOf} reads it; null when unreadable. */
        public String workerIdOf(JsonNode document) {
            return mapper.workerIdOf(slot -> read(document, pointers.get(slot)));
        }
    }

    public static Binding compile(MappingFile mapping) {
        return new Binding(bind(mapping), mapping.inputs().stream().map(JsonPaths::toPointer).toList());
    }

    public static SourceMapper bind(MappingFile mapping) {
        List<String> inputs = mapping.inputs();
        return SourceMapper.bind(mapping, inputs::indexOf, "the JSON document");
    }

    public static InputRow row(MappingFile mapping, JsonNode document) {
        List<JsonPointer> pointers = mapping.inputs().stream().map(JsonPaths::toPointer).toList();
        return slot -> read(document, pointers.get(slot));
    }

    private static String read(JsonNode document, JsonPointer pointer) {
        JsonNode node = document.at(pointer);
        return node.isMissingNode() || node.isNull() || node.isContainerNode() ? null : node.asText();
    }
}
