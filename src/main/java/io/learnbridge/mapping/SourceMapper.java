package io.learnbridge.mapping;

import io.learnbridge.mapping.transform.FieldRejected;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.EmploymentStatus;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * A source mapping bound to one input shape (the header of a CSV drop, the paths of a JSON
 * source): input names were resolved to slots once, so mapping a row does no name lookups.
 */
public final class SourceMapper {

    private final MappingFile mapping;
    private final int[][] slots;

    private SourceMapper(MappingFile mapping, int[][] slots) {
        this.mapping = mapping;
        this.slots = slots;
    }

    /**
     * Binds the mapping's input fields to slots.
     *
     * @param slotOf slot of an input field name, or -1 when the input does not have it
     * @param inputDescription what the input is, for the error (e.g. "the header of drop x.csv")
     * @throws MappingException naming the mapping file, line and field of the first missing input
     */
    public static SourceMapper bind(MappingFile mapping, ToIntFunction<String> slotOf, String inputDescription) {
        List<FieldRule> rules = mapping.rules();
        int[][] slots = new int[rules.size()][];
        for (int r = 0; r < rules.size(); r++) {
            FieldRule rule = rules.get(r);
            slots[r] = new int[rule.inputs().size()];
            for (int i = 0; i < rule.inputs().size(); i++) {
                int slot = slotOf.applyAsInt(rule.inputs().get(i));
                if (slot < 0) {
                    throw new MappingException(mapping.file(), rule.line(), rule.field(),
                            "input '" + rule.inputs().get(i) + "' is not in " + inputDescription);
                }
                slots[r][i] = slot;
            }
        }
        return new SourceMapper(mapping, slots);
    }

    /**
     * Binds to a CSV header: each input is a column name (exact match). A column the mapping reads
     * that the header names twice refuses the file: which of the two holds the value cannot be
     * known. A repeated column the mapping does not read is never looked at.
     */
    public static SourceMapper bindHeader(MappingFile mapping, List<String> header, String inputDescription) {
        Map<String, Integer> index = new LinkedHashMap<>();
        Map<String, Integer> repeated = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            if (index.putIfAbsent(header.get(i), i) != null) {
                repeated.putIfAbsent(header.get(i), i);
            }
        }
        List<FieldRule> rules = mapping.rules();
        for (FieldRule rule : rules) {
            for (String input : rule.inputs()) {
                Integer second = repeated.get(input);
                if (second != null) {
                    throw new MappingException(mapping.file(), rule.line(), rule.field(), inputDescription + " names column '" + input
                            + "' twice (columns " + (index.get(input) + 1) + " and " + (second + 1)
                            + "): which one holds the value cannot be known; fix the export");
                }
            }
        }
        return bind(mapping, name -> index.getOrDefault(name, -1), inputDescription);
    }

    public MappingFile mapping() {
        return mapping;
    }

    public MappingResult<CanonicalRecord> map(InputRow row) {
        List<FieldRule> rules = mapping.rules();
        Map<String, String> values = new LinkedHashMap<>();
        for (int r = 0; r < rules.size(); r++) {
            FieldRule rule = rules.get(r);
            Object value;
            try {
                value = rule.apply(row, slots[r]);
            } catch (FieldRejected e) {
                return new MappingResult.Rejected<>(rule.reject(e));
            }
            if (value != null) {
                String text = value.toString();
                String problem = controlCharacter(text);
                if (problem == null) {
                    problem = checkCanonical(rule.field(), text);
                }
                if (problem != null) {
                    return new MappingResult.Rejected<>(new Rejection(rule.field(), rule.inputs(), problem));
                }
                values.put(rule.field(), text);
            }
        }
        return new MappingResult.Accepted<>(new CanonicalRecord(values));
    }

    /**
     * The worker id a record names, read by the mapping's {@code workerId} rule alone: for the
     * exception queue, when the record is rejected for another field. Null when the mapping has no
     * such rule, the rule rejects the value (the id itself is what is wrong) or it reads nothing.
     */
    public String workerIdOf(InputRow row) {
        List<FieldRule> rules = mapping.rules();
        for (int r = 0; r < rules.size(); r++) {
            if (rules.get(r).field().equals(CanonicalField.WORKER_ID.fieldName())) {
                try {
                    Object value = rules.get(r).apply(row, slots[r]);
                    String id = value == null ? "" : value.toString().strip();
                    return id.isEmpty() ? null : id;
                } catch (FieldRejected e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** Whether {@code value} is an ISO-8601 calendar date, as {@link LocalDate#parse} reads it (checked by hand for yyyy-MM-dd, the usual case). */
    static boolean isIsoDate(String value) {
        if (value.length() == 10 && value.charAt(4) == '-' && value.charAt(7) == '-') {
            int year = digits(value, 0, 4);
            int month = digits(value, 5, 7);
            int day = digits(value, 8, 10);
            if (year >= 0 && month >= 0 && day >= 0) {
                try {
                    LocalDate.of(year, month, day);
                    return true;
                } catch (java.time.DateTimeException e) {
                    return false;
                }
            }
        }
        try {
            LocalDate.parse(value);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** The decimal number in {@code text[from, to)}, or -1 if any of its characters is not an ASCII digit. */
    private static int digits(String text, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /** The canonical model's own rules, whatever the mapping says. Null when the value is fine. */
    /**
     * A control character in a mapped value (NUL, escape, backspace, ...; tab and line breaks are
     * text) is refused for the field: targets store it verbatim or choke on it, and it is never
     * what an HR system meant. Null when the value has none.
     */
    static String controlCharacter(String value) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7F || (ch >= 0x80 && ch < 0xA0)) {
                return String.format(java.util.Locale.ROOT, "holds the control character U+%04X at position %d; remove it in the source system", (int) ch, i + 1);
            }
        }
        return null;
    }

    static String checkCanonical(String field, String value) {
        CanonicalField canonical = CanonicalField.byName(field).orElse(null);
        if (canonical == null) {
            return null;
        }
        switch (canonical.kind()) {
            case STATUS -> {
                try {
                    EmploymentStatus.valueOf(value);
                } catch (IllegalArgumentException e) {
                    return "value '" + (value.length() > 40 ? value.substring(0, 40) : value) + "' is not an employment status (ACTIVE, LEAVE_OF_ABSENCE, TERMINATED)";
                }
            }
            case DATE -> {
                if (!isIsoDate(value)) {
                    return "not an ISO-8601 date (yyyy-MM-dd); add a date conversion to the mapping";
                }
            }
            case INSTANT -> {
                try {
                    OffsetDateTime.parse(value);
                } catch (DateTimeParseException e) {
                    return "not an ISO-8601 date-time with offset (e.g. 2026-01-31T09:00:00Z)";
                }
            }
            default -> {
                return null;
            }
        }
        return null;
    }
}
