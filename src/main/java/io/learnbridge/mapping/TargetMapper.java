package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.transform.FieldRejected;
import io.learnbridge.worker.CanonicalRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * A target mapping ready to turn canonical records into payloads. Only the fields the mapping
 * lists reach the payload; a listed field that is empty is sent as {@code null} so that the
 * target clears it (the payload is the worker's whole state for these fields).
 */
public final class TargetMapper {

    private final MappingFile mapping;
    private final List<String> inputs;
    private final int[][] slots;

    public TargetMapper(MappingFile mapping) {
        this.mapping = mapping;
        this.inputs = new ArrayList<>(mapping.inputs());
        this.slots = mapping.rules().stream()
                .map(rule -> rule.inputs().stream().mapToInt(inputs::indexOf).toArray())
                .toArray(int[][]::new);
    }

    public MappingFile mapping() {
        return mapping;
    }

    public MappingResult<ObjectNode> map(CanonicalRecord record) {
        ObjectNode payload = JsonNodeFactory.instance.objectNode();
        InputRow row = slot -> record.get(inputs.get(slot));
        List<FieldRule> rules = mapping.rules();
        for (int r = 0; r < rules.size(); r++) {
            FieldRule rule = rules.get(r);
            Object value;
            try {
                value = rule.apply(row, slots[r]);
            } catch (FieldRejected e) {
                return new MappingResult.Rejected<>(rule.reject(e));
            }
            put(payload, rule.field(), value);
        }
        return new MappingResult.Accepted<>(payload);
    }

    private static void put(ObjectNode payload, String path, Object value) {
        ObjectNode node = payload;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            ObjectNode child = node.get(parts[i]) instanceof ObjectNode o ? o : node.putObject(parts[i]);
            node = child;
        }
        String leaf = parts[parts.length - 1];
        if (value == null) {
            node.putNull(leaf);
        } else if (value instanceof Boolean b) {
            node.put(leaf, b);
        } else if (value instanceof Integer i) {
            node.put(leaf, i);
        } else if (value instanceof Long l) {
            node.put(leaf, l);
        } else if (value instanceof Number n) {
            node.put(leaf, new java.math.BigDecimal(n.toString()));
        } else {
            node.put(leaf, value.toString());
        }
    }
}
