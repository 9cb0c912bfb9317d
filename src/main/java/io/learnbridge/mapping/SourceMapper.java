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

    /** Binds to a CSV header: each input is a column name (exact match). */
    public static SourceMapper bindHeader(MappingFile mapping, List<String> header, String inputDescription) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            index.putIfAbsent(header.get(i), i);
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
                String problem = checkCanonical(rule.field(), text);
                if (problem != null) {
                    return new MappingResult.Rejected<>(new Rejection(rule.field(), rule.inputs(), problem));
                }
                values.put(rule.field(), text);
            }
        }
        return new MappingResult.Accepted<>(new CanonicalRecord(values));
    }

    /** The canonical model's own rules, whatever the mapping says. Null when the value is fine. */
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
                try {
                    LocalDate.parse(value);
                } catch (DateTimeParseException e) {
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
