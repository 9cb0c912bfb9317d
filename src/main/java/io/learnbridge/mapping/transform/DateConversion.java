package io.learnbridge.mapping.transform;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;

/**
 * {@code date: {from: <pattern>, to: <pattern>}} — re-formats a calendar date. Both patterns
 * default to ISO-8601 ({@code yyyy-MM-dd}); parsing is strict, so 02/30/2024 is rejected rather
 * than silently moved to another day.
 */
public final class DateConversion implements Transform {

    public static final String ISO = "yyyy-MM-dd";

    private final String fromPattern;
    private final DateTimeFormatter from;
    private final DateTimeFormatter to;

    public DateConversion(String fromPattern, String toPattern) {
        this.fromPattern = fromPattern;
        this.from = strict(fromPattern);
        this.to = strict(toPattern);
    }

    /** Builds a strict formatter; {@code y} (year of era) is read as {@code u} so STRICT works. */
    public static DateTimeFormatter strict(String pattern) {
        StringBuilder sb = new StringBuilder(pattern.length());
        boolean quoted = false;
        for (char c : pattern.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            }
            sb.append(!quoted && c == 'y' ? 'u' : c);
        }
        return DateTimeFormatter.ofPattern(sb.toString()).withResolverStyle(ResolverStyle.STRICT);
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        try {
            return to.format(LocalDate.parse(value.toString(), from));
        } catch (DateTimeParseException e) {
            throw new FieldRejected("not a date in the format " + fromPattern);
        }
    }
}
