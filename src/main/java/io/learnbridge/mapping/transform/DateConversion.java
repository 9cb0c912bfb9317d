package io.learnbridge.mapping.transform;

import java.time.Clock;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;

/**
 * {@code date: {from, to, pivotYear | yearsAhead, notBefore, notAfter}} — re-formats a calendar
 * date. Both patterns default to ISO-8601 ({@code yyyy-MM-dd}); parsing is strict, so 02/30/2024 is
 * rejected rather than silently moved to another day.
 *
 * <p>A two-digit year ({@code yy}) is read in an explicit century window, never silently in
 * 2000–2099: {@code pivotYear: 1950} reads 50–99 as 1950–1999 and 00–49 as 2000–2049;
 * {@code yearsAhead: 10} reads it in the hundred years that end ten years after the current one.
 * {@code notBefore} and {@code notAfter} reject an implausible date: an ISO period from today
 * ({@code P1Y}, {@code -P100Y}) or a fixed ISO date.
 */
public final class DateConversion implements Transform {

    public static final String ISO = "yyyy-MM-dd";

    /** How a two-digit year is placed in a century. */
    public sealed interface Century permits Pivot, Sliding {

        /** The first year of the hundred a two-digit year is read in. */
        int baseYear(LocalDate today);
    }

    /** {@code pivotYear}: the hundred years from this one. */
    public record Pivot(int year) implements Century {

        @Override
        public int baseYear(LocalDate today) {
            return year;
        }
    }

    /** {@code yearsAhead}: the hundred years that end this many years after the current one. */
    public record Sliding(int yearsAhead) implements Century {

        @Override
        public int baseYear(LocalDate today) {
            return today.getYear() + yearsAhead - 99;
        }
    }

    /** A plausibility bound: a period from today, or a fixed date; {@code text} is how the mapping wrote it. */
    public record Bound(String text, Period fromToday, LocalDate fixed) {

        /** Reads {@code P1Y}, {@code -P100Y}, {@code +P30D} or {@code 1900-01-01}. */
        public static Bound parse(String text) {
            String t = text.strip();
            if (t.startsWith("P") || t.startsWith("-P") || t.startsWith("+P")) {
                return new Bound(text, Period.parse(t), null);
            }
            return new Bound(text, null, LocalDate.parse(t));
        }

        LocalDate on(LocalDate today) {
            return fixed != null ? fixed : today.plus(fromToday);
        }
    }

    private final String fromPattern;
    private final Century century;
    private final Bound notBefore;
    private final Bound notAfter;
    private final Clock clock;
    private final DateTimeFormatter to;
    /** The parser of the last base year asked for (only a sliding window changes it, once a year). */
    private volatile Parser parser;

    private record Parser(int baseYear, DateTimeFormatter formatter) {
    }

    /** A conversion without a two-digit year or bounds. */
    public DateConversion(String fromPattern, String toPattern) {
        this(fromPattern, toPattern, null, null, null, Clock.systemDefaultZone());
    }

    /**
     * @param century required when {@code fromPattern} has a two-digit year, refused otherwise
     * @throws IllegalArgumentException for a bad pattern, or a century that does not match the pattern
     */
    public DateConversion(String fromPattern, String toPattern, Century century, Bound notBefore, Bound notAfter, Clock clock) {
        boolean twoDigits = hasTwoDigitYear(fromPattern);
        if (twoDigits && century == null) {
            throw new IllegalArgumentException("pattern '" + fromPattern + "' has a two-digit year: say which century it is in with "
                    + "pivotYear (e.g. 1950: 50-99 are 1950-1999, 00-49 are 2000-2049) or yearsAhead (a window sliding with the current year)");
        }
        if (!twoDigits && century != null) {
            throw new IllegalArgumentException("pattern '" + fromPattern + "' has no two-digit year (yy) for pivotYear or yearsAhead to place");
        }
        this.fromPattern = fromPattern;
        this.century = century;
        this.notBefore = notBefore;
        this.notAfter = notAfter;
        this.clock = clock;
        this.to = strict(toPattern);
        int base = century == null ? 0 : century.baseYear(LocalDate.now(clock));
        this.parser = new Parser(base, parser(fromPattern, base));
    }

    /** Builds a strict formatter; {@code y} (year of era) is read as {@code u} so STRICT works. */
    public static DateTimeFormatter strict(String pattern) {
        return DateTimeFormatter.ofPattern(proleptic(pattern)).withResolverStyle(ResolverStyle.STRICT);
    }

    private static String proleptic(String pattern) {
        StringBuilder sb = new StringBuilder(pattern.length());
        boolean quoted = false;
        for (char c : pattern.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            }
            sb.append(!quoted && c == 'y' ? 'u' : c);
        }
        return sb.toString();
    }

    /** Where the pattern's unquoted two-letter year ({@code yy} or {@code uu}) starts, or -1. */
    private static int twoDigitYearAt(String pattern) {
        boolean quoted = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && (c == 'y' || c == 'u')) {
                int end = i;
                while (end < pattern.length() && pattern.charAt(end) == c) {
                    end++;
                }
                if (end - i == 2) {
                    return i;
                }
                i = end - 1;
            }
        }
        return -1;
    }

    public static boolean hasTwoDigitYear(String pattern) {
        return twoDigitYearAt(pattern) >= 0;
    }

    private static DateTimeFormatter parser(String pattern, int baseYear) {
        int at = twoDigitYearAt(pattern);
        if (at < 0) {
            return strict(pattern);
        }
        return new DateTimeFormatterBuilder()
                .appendPattern(proleptic(pattern.substring(0, at)))
                .appendValueReduced(ChronoField.YEAR, 2, 2, baseYear)
                .appendPattern(proleptic(pattern.substring(at + 2)))
                .toFormatter()
                .withResolverStyle(ResolverStyle.STRICT);
    }

    @Override
    public Object apply(Object value) {
        if (Transform.isEmpty(value)) {
            return null;
        }
        LocalDate today = notBefore == null && notAfter == null && !(century instanceof Sliding) ? null : LocalDate.now(clock);
        LocalDate date;
        try {
            date = LocalDate.parse(value.toString(), parserFor(today));
        } catch (DateTimeParseException e) {
            throw new FieldRejected("not a date in the format " + fromPattern);
        }
        if (notBefore != null && date.isBefore(notBefore.on(today))) {
            throw new FieldRejected("date is before notBefore " + notBefore.text() + " (" + notBefore.on(today) + "): not a plausible date");
        }
        if (notAfter != null && date.isAfter(notAfter.on(today))) {
            throw new FieldRejected("date is after notAfter " + notAfter.text() + " (" + notAfter.on(today) + "): not a plausible date");
        }
        return to.format(date);
    }

    private DateTimeFormatter parserFor(LocalDate today) {
        Parser p = parser;
        if (century instanceof Sliding s) {
            int base = s.baseYear(today);
            if (p.baseYear() != base) {
                p = new Parser(base, parser(fromPattern, base));
                parser = p;
            }
        }
        return p.formatter();
    }
}
