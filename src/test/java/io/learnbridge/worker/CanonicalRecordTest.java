package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalRecordTest {

    @Test
    void theStateHashIsTheDigestOfEveryFieldButTheEffectiveTimeInNameOrderAsStoredByEarlierVersions() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", "E1");
        values.put("familyName", "Doe");
        values.put("effectiveAt", "2026-12-01T00:00:00Z");
        values.put("attributes.costCentre", "C-9");
        // the stored hashes of every worker depend on this exact form: name NUL value NUL, names sorted
        byte[] expected = MessageDigest.getInstance("SHA-256")
                .digest("attributes.costCentre\0C-9\0familyName\0Doe\0workerId\0E1\0".getBytes(StandardCharsets.UTF_8));

        CanonicalRecord record = new CanonicalRecord(values);

        assertThat(record.stateHash()).isEqualTo(HexFormat.of().formatHex(expected));
        assertThat(record.with("effectiveAt", "2027-01-01T00:00:00Z").stateHash()).isEqualTo(record.stateHash());
        assertThat(record.with("familyName", "Roe").stateHash()).isNotEqualTo(record.stateHash());

        // non-ASCII in UTF-8, and a record longer than the first buffer
        String longName = "Zoë ".repeat(400);
        byte[] wide = MessageDigest.getInstance("SHA-256")
                .digest(("attributes.costCentre\0C-9\0familyName\0" + longName + "\0workerId\0E1\0").getBytes(StandardCharsets.UTF_8));
        assertThat(record.with("familyName", longName).stateHash()).isEqualTo(HexFormat.of().formatHex(wide));
        assertThat(record.stateHash()).as("the same again after a longer record").isEqualTo(HexFormat.of().formatHex(expected));

        // the same fields in another order, then one more field: each hashed in name order
        Map<String, String> reordered = new LinkedHashMap<>();
        reordered.put("familyName", "Doe");
        reordered.put("attributes.costCentre", "C-9");
        reordered.put("workerId", "E1");
        assertThat(new CanonicalRecord(reordered).stateHash()).isEqualTo(HexFormat.of().formatHex(expected));
        reordered.put("email", "d@example.com");
        byte[] more = MessageDigest.getInstance("SHA-256")
                .digest("attributes.costCentre\0C-9\0email\0d@example.com\0familyName\0Doe\0workerId\0E1\0".getBytes(StandardCharsets.UTF_8));
        assertThat(new CanonicalRecord(reordered).stateHash()).isEqualTo(HexFormat.of().formatHex(more));
        assertThat(record.stateHash()).isEqualTo(HexFormat.of().formatHex(expected));
    }

    @Test
    void aRecordReadsBackFromItsJsonWithEveryFieldAndAttribute() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("workerId", "E1");
        values.put("givenName", "Zoë \"Z\" O'Neil");
        values.put("attributes.costCentre", "C-9");
        values.put("email", "z@example.com");
        values.put("attributes.badge", "");
        CanonicalRecord record = new CanonicalRecord(values);

        CanonicalRecord back = CanonicalRecord.fromJson(record.toJson());

        assertThat(back).isEqualTo(record);
        // custom fields come back together, where the first of them was (they are nested under "attributes")
        assertThat(back.values().keySet()).containsExactly("workerId", "givenName", "attributes.costCentre", "attributes.badge", "email");
    }

    @Test
    void valuesThatAreNotStringsAreReadAsTheirTextNullFieldsAreAbsentAndAnythingButOneObjectIsRefused() {
        CanonicalRecord record = CanonicalRecord.fromJson(
                "{\"workerId\":\"E1\",\"fte\":0.5,\"active\":true,\"managerId\":null,\"attributes\":{\"grade\":7,\"note\":null}}");

        assertThat(record.values()).containsExactly(Map.entry("workerId", "E1"), Map.entry("fte", "0.5"), Map.entry("active", "true"),
                Map.entry("attributes.grade", "7"), Map.entry("attributes.note", "null"));
        assertThatThrownBy(() -> CanonicalRecord.fromJson("[1]")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> CanonicalRecord.fromJson("{\"workerId\":\"E1\"} {}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more after");
        assertThatThrownBy(() -> CanonicalRecord.fromJson("{\"workerId\":")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a canonical record");
    }
}
