package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PackedRecordTest {

    private static final String JOINER = "{\"workerId\":\"E0022583\",\"email\":\"katherine.chen22583@example.com\",\"givenName\":\"Katherine\","
            + "\"familyName\":\"Chen\",\"managerId\":\"E0003882\",\"jobCode\":\"RES-1\",\"jobTitle\":\"Researcher\",\"location\":\"Princeton\","
            + "\"orgUnit\":\"Support\",\"employmentStatus\":\"ACTIVE\",\"hireDate\":\"2022-05-13\",\"effectiveAt\":\"2026-12-06T19:50:10.025872Z\"}";

    @Test
    void aJoinersRecordAndADiffComeBackAsTheyWereAndTellWhichTheyAre() {
        String diff = "{\"givenName\":[\"Zoe\",\"Zoë\"],\"location\":[\"Sao Paulo\",\"São Paulo\"],\"attributes.badge\":[null,\"日本語\"]}";

        assertThat(PackedRecord.unpack(PackedRecord.canonical(JOINER))).isEqualTo(new PackedRecord.Unpacked(JOINER, null));
        assertThat(PackedRecord.unpack(PackedRecord.diff(diff))).isEqualTo(new PackedRecord.Unpacked(null, diff));
        assertThat(PackedRecord.unpack(PackedRecord.diff("{}"))).isEqualTo(new PackedRecord.Unpacked(null, "{}"));
        String large = "{\"workerId\":\"E1\",\"attributes.notes\":\"" + "x".repeat(100_000) + "\"}";
        assertThat(PackedRecord.unpack(PackedRecord.canonical(large)).canonical()).isEqualTo(large);
    }

    @Test
    void aTypicalRecordPacksToLessThanHalfItsJson() {
        int json = JOINER.getBytes(StandardCharsets.UTF_8).length;
        assertThat(PackedRecord.canonical(JOINER).length).as("%d bytes of JSON", json).isLessThan(json / 2);
    }

    @Test
    void unpackedColumnsWinOverPackedBytesAndNothingIsNothing() {
        byte[] packed = PackedRecord.diff("{\"orgUnit\":[\"A\",\"B\"]}");
        assertThat(PackedRecord.unpack("{\"x\":[1,2]}", null, packed)).isEqualTo(new PackedRecord.Unpacked(null, "{\"x\":[1,2]}"));
        assertThat(PackedRecord.unpack(null, null, packed)).isEqualTo(new PackedRecord.Unpacked(null, "{\"orgUnit\":[\"A\",\"B\"]}"));
        assertThat(PackedRecord.unpack(null, null, null)).isEqualTo(new PackedRecord.Unpacked(null, null));
        assertThat(PackedRecord.unpack(null)).isNull();
    }

    @Test
    void anUnknownFormatOrDamagedBytesAreRefusedNotGuessed() {
        byte[] packed = PackedRecord.canonical(JOINER);
        byte[] newer = packed.clone();
        newer[0] = 9;
        assertThatThrownBy(() -> PackedRecord.unpack(newer)).hasMessageContaining("unknown format (format 9)")
                .hasMessageContaining("newer LearnBridge");
        assertThatThrownBy(() -> PackedRecord.unpack(new byte[0])).hasMessageContaining("unknown format (empty)");
        assertThatThrownBy(() -> PackedRecord.unpack(Arrays.copyOf(packed, packed.length / 2))).hasMessageContaining("cut short");
        byte[] damaged = packed.clone();
        Arrays.fill(damaged, 1, damaged.length, (byte) 0xff);
        assertThatThrownBy(() -> PackedRecord.unpack(damaged)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("packed drop row record is");
    }
}
