package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.mapping.transform.Capture;
import io.learnbridge.mapping.transform.ChangeCase;
import io.learnbridge.mapping.transform.DateConversion;
import io.learnbridge.mapping.transform.DefaultValue;
import io.learnbridge.mapping.transform.FieldRejected;
import io.learnbridge.mapping.transform.Pad;
import io.learnbridge.mapping.transform.PatternCheck;
import io.learnbridge.mapping.transform.Required;
import io.learnbridge.mapping.transform.Split;
import io.learnbridge.mapping.transform.Strip;
import io.learnbridge.mapping.transform.Trim;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import io.learnbridge.mapping.transform.ValueTable;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TransformsTest {

    @Test
    void trimMakesBlankEmpty() {
        assertThat(new Trim().apply("  a b ")).isEqualTo("a b");
        assertThat(new Trim().apply("   ")).isNull();
    }

    @Test
    void caseChangeIsLocaleIndependent() {
        assertThat(new ChangeCase(ChangeCase.Mode.UPPER).apply("title")).isEqualTo("TITLE");
        assertThat(new ChangeCase(ChangeCase.Mode.LOWER).apply("ISTANBUL")).isEqualTo("istanbul");
    }

    @Test
    void valueTableAppliesItsUnmappedPolicy() {
        Map<String, Object> values = Map.of("A", "ACTIVE");
        assertThat(new ValueTable("s", values, ValueTable.Unmapped.REJECT).apply("A")).isEqualTo("ACTIVE");
        assertThatThrownBy(() -> new ValueTable("s", values, ValueTable.Unmapped.REJECT).apply("Z"))
                .isInstanceOf(FieldRejected.class).hasMessage("value 'Z' is not in value table s");
        assertThat(new ValueTable("s", values, ValueTable.Unmapped.KEEP).apply("Z")).isEqualTo("Z");
        assertThat(new ValueTable("s", values, ValueTable.Unmapped.EMPTY).apply("Z")).isNull();
        assertThat(new ValueTable("s", values, ValueTable.Unmapped.REJECT).apply(null)).isNull();
    }

    @Test
    void datesConvertStrictly() {
        DateConversion us = new DateConversion("MM/dd/yyyy", DateConversion.ISO);
        assertThat(us.apply("02/29/2024")).isEqualTo("2024-02-29");
        assertThatThrownBy(() -> us.apply("02/30/2024")).isInstanceOf(FieldRejected.class).hasMessage("not a date in the format MM/dd/yyyy");
        assertThatThrownBy(() -> us.apply("2024-02-01")).isInstanceOf(FieldRejected.class);
        assertThat(new DateConversion(DateConversion.ISO, "dd.MM.yyyy").apply("2024-02-01")).isEqualTo("01.02.2024");
    }

    @Test
    void defaultFillsOnlyEmptyValues() {
        assertThat(new DefaultValue("X").apply(null)).isEqualTo("X");
        assertThat(new DefaultValue("X").apply("")).isEqualTo("X");
        assertThat(new DefaultValue("X").apply("Y")).isEqualTo("Y");
    }

    @Test
    void requiredRejectsEmpty() {
        assertThatThrownBy(() -> new Required().apply(null)).isInstanceOf(FieldRejected.class).hasMessage("required value is missing");
        assertThat(new Required().apply("v")).isEqualTo("v");
    }

    @Test
    void patternMismatchNeverShowsTheValue() {
        PatternCheck check = new PatternCheck(Pattern.compile("[a-z]+@[a-z]+"));
        assertThat(check.apply("a@b")).isEqualTo("a@b");
        assertThatThrownBy(() -> check.apply("secret-value"))
                .isInstanceOf(FieldRejected.class)
                .hasMessage("value (12 characters) does not match pattern [a-z]+@[a-z]+")
                .hasMessageNotContaining("secret");
    }

    private static final Clock DEC_2026 = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void captureTakesOneNamedGroupAndNeverShowsAnUnmatchedValue() {
        Pattern name = Pattern.compile("(?<family>[^,]+?)\\s*,\\s*(?<given>.+?)(?:\\s+(?<middle>\\p{L})\\.?)?");
        assertThat(new Capture("legacyName", name, "family", Capture.Unmatched.REJECT).apply("Lovelace,  Ada  M")).isEqualTo("Lovelace");
        assertThat(new Capture("legacyName", name, "given", Capture.Unmatched.REJECT).apply("Lovelace,  Ada  M")).isEqualTo("Ada");
        assertThat(new Capture("legacyName", name, "middle", Capture.Unmatched.REJECT).apply("Lovelace,  Ada  M.")).isEqualTo("M");
        assertThat(new Capture("legacyName", name, "middle", Capture.Unmatched.REJECT).apply("de la Cruz, Juan Pablo")).isNull();
        assertThat(new Capture("legacyName", name, "given", Capture.Unmatched.REJECT).apply("de la Cruz, Juan Pablo")).isEqualTo("Juan Pablo");
        assertThatThrownBy(() -> new Capture("legacyName", name, "family", Capture.Unmatched.REJECT).apply("Ada Lovelace"))
                .isInstanceOf(FieldRejected.class).hasMessage("value (12 characters) does not match capture pattern legacyName");
        assertThat(new Capture("legacyName", name, "family", Capture.Unmatched.KEEP).apply("Ada Lovelace")).isEqualTo("Ada Lovelace");
        assertThat(new Capture("legacyName", name, "family", Capture.Unmatched.EMPTY).apply("Ada Lovelace")).isNull();
        assertThatThrownBy(() -> new Capture("legacyName", name, "surname", Capture.Unmatched.REJECT))
                .hasMessage("pattern legacyName has no group named 'surname' (its groups: family, given, middle)");
        Pattern lookalike = Pattern.compile("[(]?<notAGroup>x(?<real>y)");
        assertThat(Capture.groupNames(lookalike)).containsExactly("real");
        assertThatThrownBy(() -> new Capture("p", lookalike, "notAGroup", Capture.Unmatched.REJECT)).hasMessageContaining("(its groups: real)");
    }

    @Test
    void splitTakesThePartAtItsIndexFromEitherEnd() {
        assertThat(new Split(">", 0).apply("Corp > Research > Engines")).isEqualTo("Corp");
        assertThat(new Split(">", -1).apply("Corp > Research > Engines")).isEqualTo("Engines");
        assertThat(new Split(">", 1).apply("Corp > Research > Engines")).isEqualTo("Research");
        assertThat(new Split(" - ", 1).apply("LON - 3F")).isEqualTo("3F");
        assertThat(new Split(">", 3).apply("Corp > Research > Engines")).isNull();
        assertThat(new Split(">", -4).apply("Corp > Research > Engines")).isNull();
        assertThat(new Split(">", 0).apply("Sales")).isEqualTo("Sales");
        assertThat(new Split(">", 1).apply("Corp >  ")).isNull();
    }

    @Test
    void stripAndPadRepairIdsThatLostOrGainedZeros() {
        assertThat(new Pad(6, '0', Pad.Side.LEFT).apply("1234")).isEqualTo("001234");
        assertThat(new Pad(6, '0', Pad.Side.LEFT).apply("1234567")).isEqualTo("1234567");
        assertThat(new Pad(4, '_', Pad.Side.RIGHT).apply("ab")).isEqualTo("ab__");
        assertThat(new Pad(6, '0', Pad.Side.LEFT).apply(null)).isNull();
        assertThat(new Strip("0", null).apply("001234")).isEqualTo("1234");
        assertThat(new Strip(null, ". ").apply("M. ")).isEqualTo("M");
        assertThat(new Strip("0", null).apply("000")).isNull();
    }

    @Test
    void twoDigitYearsAreReadInTheirDeclaredCentury() {
        DateConversion pivot = new DateConversion("M/d/yy", DateConversion.ISO, new DateConversion.Pivot(1950), null, null, DEC_2026);
        assertThat(pivot.apply("3/5/98")).isEqualTo("1998-03-05");
        assertThat(pivot.apply("12/31/49")).isEqualTo("2049-12-31");
        assertThat(pivot.apply("1/1/50")).isEqualTo("1950-01-01");
        assertThatThrownBy(() -> pivot.apply("1/1/1998")).isInstanceOf(FieldRejected.class).hasMessage("not a date in the format M/d/yy");
        assertThatThrownBy(() -> pivot.apply("2/30/98")).isInstanceOf(FieldRejected.class);
        // the hundred years ending ten years after 2026: 1937-2036
        DateConversion sliding = new DateConversion("dd.MM.yy", DateConversion.ISO, new DateConversion.Sliding(10), null, null, DEC_2026);
        assertThat(sliding.apply("01.01.36")).isEqualTo("2036-01-01");
        assertThat(sliding.apply("01.01.37")).isEqualTo("1937-01-01");
        assertThatThrownBy(() -> new DateConversion("M/d/yy", DateConversion.ISO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two-digit year").hasMessageContaining("pivotYear");
        assertThatThrownBy(() -> new DateConversion("M/d/yyyy", DateConversion.ISO, new DateConversion.Pivot(1950), null, null, DEC_2026))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no two-digit year");
        // a quoted 'yy' is text, and four letters are a full year
        assertThat(DateConversion.hasTwoDigitYear("'yy'yyyy-MM-dd")).isFalse();
        assertThat(DateConversion.hasTwoDigitYear("dd-MMM-uu")).isTrue();
    }

    @Test
    void implausibleDatesAreRejectedNamingTheBound() {
        DateConversion hire = new DateConversion("yyyy-MM-dd", DateConversion.ISO, null,
                DateConversion.Bound.parse("1950-01-01"), DateConversion.Bound.parse("P1Y"), DEC_2026);
        assertThat(hire.apply("2027-12-07")).isEqualTo("2027-12-07");
        assertThatThrownBy(() -> hire.apply("2027-12-08")).isInstanceOf(FieldRejected.class)
                .hasMessage("date is after notAfter P1Y (2027-12-07): not a plausible date");
        assertThatThrownBy(() -> hire.apply("1949-12-31")).isInstanceOf(FieldRejected.class)
                .hasMessage("date is before notBefore 1950-01-01 (1950-01-01): not a plausible date");
        DateConversion birth = new DateConversion("yyyy-MM-dd", DateConversion.ISO, null, DateConversion.Bound.parse("-P120Y"), null, DEC_2026);
        assertThatThrownBy(() -> birth.apply("1906-12-06")).isInstanceOf(FieldRejected.class).hasMessageContaining("(1906-12-07)");
    }
}
