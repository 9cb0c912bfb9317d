package io.learnbridge.worker;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * When a worker's change takes effect, and which field dates it: a hire dated in the future is held until its hire
 * date, a termination until the day after the last day worked; a change dated beyond
 * {@code learnbridge.changes.maxHold} is refused instead of held. Used where a drop's rows are planned and where an
 * exception is replayed.
 */
public final class ChangeTiming {

    private ChangeTiming() {
    }

    /** Why a change dated beyond {@code learnbridge.changes.maxHold} is refused instead of held (a drop's row, or its replay). */
    public static String tooFarAhead(Change change, Instant dated, java.time.Duration maxHold, Instant holdLimit) {
        return change.kind().name() + " dated " + dated.toString().replace("T00:00:00Z", "")
                + " would be held beyond learnbridge.changes.maxHold (" + maxHold.toDays() + " days, until "
                + holdLimit.toString().substring(0, 10) + "): check the date (a two-digit year read in the wrong century?), "
                + "fix the mapping or the source, and replay this line";
    }

    /** The canonical field that dates a change: what {@link #effectiveTime} reads for its kind. */
    public static String datedBy(Change change) {
        return switch (change.kind()) {
            case JOIN -> change.after().get(CanonicalField.HIRE_DATE.fieldName()) != null ? CanonicalField.HIRE_DATE.fieldName()
                    : CanonicalField.EFFECTIVE_AT.fieldName();
            case LEAVE -> change.after().get(CanonicalField.TERMINATION_DATE.fieldName()) != null ? CanonicalField.TERMINATION_DATE.fieldName()
                    : CanonicalField.EFFECTIVE_AT.fieldName();
            default -> CanonicalField.EFFECTIVE_AT.fieldName();
        };
    }

    /**
     * When a change takes effect: a hire dated in the future on its hire date, a termination dated
     * in the future the day after the last day worked; otherwise its {@code effectiveAt}.
     */
    public static Instant effectiveTime(Change change, Instant effectiveAt, Instant now) {
        String date = null;
        int plusDays = 0;
        if (change.kind() == ChangeKind.JOIN) {
            date = change.after().get(CanonicalField.HIRE_DATE.fieldName());
        } else if (change.kind() == ChangeKind.LEAVE) {
            date = change.after().get(CanonicalField.TERMINATION_DATE.fieldName());
            plusDays = 1;
        }
        if (date == null) {
            return effectiveAt;
        }
        Instant dated = LocalDate.parse(date).plusDays(plusDays).atStartOfDay(ZoneOffset.UTC).toInstant();
        return dated.isAfter(now) && dated.isAfter(effectiveAt) ? dated : effectiveAt;
    }

}
