package io.learnbridge.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One worker in LearnBridge's own shape: canonical field name to text value (dates as ISO-8601,
 * {@code effectiveAt} as an instant), custom fields under {@code attributes.<name>}. Empty values
 * are absent. Immutable.
 */
public final class CanonicalRecord {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> values;
    /** The map behind {@link #values}, for iterating without its read-only wrappers. */
    private final LinkedHashMap<String, String> own;

    public CanonicalRecord(Map<String, String> values) {
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                copy.put(k, v);
            }
        });
        this.own = copy;
        this.values = Collections.unmodifiableMap(copy);
    }

    /** A record over {@code owned}: non-null values in a map nothing else holds, so it is not copied again. */
    private CanonicalRecord(LinkedHashMap<String, String> owned, boolean ownedNotCopied) {
        this.own = owned;
        this.values = Collections.unmodifiableMap(owned);
    }

    public String workerId() {
        return values.get(CanonicalField.WORKER_ID.fieldName());
    }

    public String get(String field) {
        return values.get(field);
    }

    public Map<String, String> values() {
        return values;
    }

    public CanonicalRecord with(String field, String value) {
        LinkedHashMap<String, String> copy = new LinkedHashMap<>(values);
        if (value == null) {
            copy.remove(field);
        } else {
            copy.put(field, value);
        }
        return new CanonicalRecord(copy, true);
    }

    /**
     * SHA-256 (hex) of the state without its effective time, fields in name order: equal hashes
     * mean change detection would find nothing to do ({@code effectiveAt} is never compared), so
     * an unchanged row of a snapshot is recognised from the stored hash alone.
     */
    public String stateHash() {
        // the entries themselves, in name order: no look-up per field (a third of this method's time); the
        // records of one drop have their fields in one order, so the sorting is done once and reused
        @SuppressWarnings("unchecked")
        Map.Entry<String, String>[] fields = own.entrySet().toArray(new Map.Entry[0]);
        Hashing hashing = HASHING.get();
        int[] order = hashing.order(fields);
        // one buffer digested at once: byte-wise updates of the separators, a digest looked up per record
        // and HexFormat were half of this method's time on a 1M-row drop
        hashing.length = 0;
        for (int i : order) {
            Map.Entry<String, String> field = fields[i];
            if (!field.getKey().equals(CanonicalField.EFFECTIVE_AT.fieldName())) {
                hashing.append(field.getKey());
                hashing.append(field.getValue());
            }
        }
        hashing.digest.update(hashing.buffer, 0, hashing.length);
        byte[] hash = hashing.digest.digest();
        byte[] hex = new byte[hash.length * 2];
        for (int i = 0; i < hash.length; i++) {
            hex[2 * i] = HEX[(hash[i] >> 4) & 0xf];
            hex[2 * i + 1] = HEX[hash[i] & 0xf];
        }
        return new String(hex, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    private static final ThreadLocal<Hashing> HASHING = ThreadLocal.withInitial(Hashing::new);

    /** A thread's SHA-256 and the bytes it digests: each field as its name, NUL, its value, NUL, in UTF-8. */
    private static final class Hashing {

        final java.security.MessageDigest digest;
        byte[] buffer = new byte[1024];
        int length;
        /** The field names of the last record, in its order, and the positions that put them in name order. */
        private String[] names = new String[0];
        private int[] sorted = new int[0];

        /** The positions of {@code fields} in name order. */
        int[] order(Map.Entry<String, String>[] fields) {
            boolean same = fields.length == names.length;
            for (int i = 0; same && i < fields.length; i++) {
                same = fields[i].getKey().equals(names[i]);
            }
            if (!same) {
                names = new String[fields.length];
                Integer[] positions = new Integer[fields.length];
                for (int i = 0; i < fields.length; i++) {
                    names[i] = fields[i].getKey();
                    positions[i] = i;
                }
                java.util.Arrays.sort(positions, java.util.Comparator.comparing(i -> names[i]));
                sorted = java.util.Arrays.stream(positions).mapToInt(Integer::intValue).toArray();
            }
            return sorted;
        }

        Hashing() {
            try {
                digest = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void append(String text) {
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (length + bytes.length + 1 > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + bytes.length + 1));
            }
            System.arraycopy(bytes, 0, buffer, length, bytes.length);
            length += bytes.length;
            buffer[length++] = 0;
        }
    }

    /** JSON with custom fields nested under {@code attributes}. */
    public ObjectNode toJsonNode() {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode attributes = null;
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (CanonicalField.isAttribute(e.getKey())) {
                if (attributes == null) {
                    attributes = node.putObject("attributes");
                }
                attributes.put(e.getKey().substring(CanonicalField.ATTRIBUTES_PREFIX.length()), e.getValue());
            } else {
                node.put(e.getKey(), e.getValue());
            }
        }
        return node;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a record written by {@link #toJson}. Streamed field by field into the record's map (no
     * tree in between: this runs for every stored state and every delivery read back); a value that
     * is not a string or null is read as a tree and taken as its text, as before.
     */
    public static CanonicalRecord fromJson(String json) {
        try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(json)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a canonical record: not a JSON object");
            }
            LinkedHashMap<String, String> values = new LinkedHashMap<>();
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String name = p.currentName();
                com.fasterxml.jackson.core.JsonToken token = p.nextToken();
                if (name.equals("attributes") && token == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                        String attribute = CanonicalField.ATTRIBUTES_PREFIX + p.currentName();
                        p.nextToken();
                        values.put(attribute, text(p, "null"));
                    }
                } else if (token != com.fasterxml.jackson.core.JsonToken.VALUE_NULL) {
                    values.put(name, text(p, null));
                }
            }
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("not a canonical record: more after the JSON object");
            }
            return new CanonicalRecord(values, true);
        } catch (java.io.IOException e) {
            String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("not a canonical record: " + reason, e);
        }
    }

    /** The current value as text: a string as it is, null as {@code nullText}, anything else as its tree's text. */
    private static String text(com.fasterxml.jackson.core.JsonParser p, String nullText) throws java.io.IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> nullText;
            default -> JSON.<JsonNode>readTree(p).asText();
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CanonicalRecord other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "CanonicalRecord[workerId=" + workerId() + ", fields=" + values.keySet() + "]";
    }
}
