package io.learnbridge.worker;

import static org.assertj.core.api.Assertions.assertThat;

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
    }
}
