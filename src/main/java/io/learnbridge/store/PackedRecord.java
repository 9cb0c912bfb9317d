package io.learnbridge.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The record a compacted drop row keeps for the audit trail (a joiner's canonical record, any other
 * change's diff), packed into {@code drop_row.packed} (V16): one format byte, then the JSON's UTF-8
 * deflated (raw, best compression) with a preset dictionary of the canonical record's field names and
 * the JSON around them. A record of about 240 bytes packs to about 100: deflate alone gains little on
 * one short record, the dictionary gives it the field names it would otherwise have to spell out.
 *
 * <p>Format 1 and 2 (a canonical record, a diff) use {@link #DICTIONARY_V1}, which must never change:
 * stored rows can only be read with the dictionary they were packed with. A new dictionary is a new
 * pair of format bytes, and {@link #unpack} keeps reading the old ones.
 */
final class PackedRecord {

    static final byte CANONICAL_V1 = 1;
    static final byte DIFF_V1 = 2;

    /**
     * What deflate may refer back to; the most frequent strings last (they are the nearest back). Only
     * the product's field names and values and JSON's punctuation: nothing of any one company's (or
     * the benchmark's) data.
     */
    private static final byte[] DICTIONARY_V1 = ("\"terminationDate\":\"\",\"costCenter\":\"\",\"jobFamily\":\"\",\"attributes.\""
            + "LEAVE_OF_ABSENCE\",\"TERMINATED\",\"ACTIVE\",\"hireDate\":\"20\",\"effectiveAt\":\"20T00:00:00Z\""
            + ":[null,\"\"],\"location\":\"\",\"orgUnit\":\"\",\"jobCode\":\"\",\"jobTitle\":\"\",\"managerId\":\"\","
            + "\"employmentStatus\":\"\",\"familyName\":\"\",\"givenName\":\"\",\"email\":\"@.com\",{\"workerId\":\"")
            .getBytes(StandardCharsets.UTF_8);

    /** A record read back: a packed one has exactly one of the two. */
    record Unpacked(String canonical, String diff) {
    }

    private PackedRecord() {
    }

    static byte[] canonical(String json) {
        return pack(CANONICAL_V1, json);
    }

    static byte[] diff(String json) {
        return pack(DIFF_V1, json);
    }

    private static byte[] pack(byte format, String json) {
        byte[] in = json.getBytes(StandardCharsets.UTF_8);
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setDictionary(DICTIONARY_V1);
            deflater.setInput(in);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 2 + 16);
            out.write(format);
            byte[] buffer = new byte[512];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    /** A drop row's record as the audit trail reads it: its drop_row_record's columns, or else what it was packed to. */
    static Unpacked unpack(String diff, String canonical, byte[] packed) {
        return packed == null || diff != null || canonical != null ? new Unpacked(canonical, diff) : unpack(packed);
    }

    /** The record a row was packed with; null for null. An unknown format or damaged bytes are an error, never a guess. */
    static Unpacked unpack(byte[] packed) {
        if (packed == null) {
            return null;
        }
        if (packed.length < 2 || (packed[0] != CANONICAL_V1 && packed[0] != DIFF_V1)) {
            throw new IllegalStateException("a packed drop row record of an unknown format (" + (packed.length == 0 ? "empty" : "format " + packed[0])
                    + "): this store was written by a newer LearnBridge");
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setDictionary(DICTIONARY_V1);
            inflater.setInput(packed, 1, packed.length - 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream(packed.length * 3);
            byte[] buffer = new byte[1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalStateException("a packed drop row record is cut short (" + packed.length + " bytes)");
                }
                out.write(buffer, 0, n);
            }
            String json = out.toString(StandardCharsets.UTF_8);
            return packed[0] == CANONICAL_V1 ? new Unpacked(json, null) : new Unpacked(null, json);
        } catch (DataFormatException e) {
            throw new IllegalStateException("a packed drop row record is damaged: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }
}
