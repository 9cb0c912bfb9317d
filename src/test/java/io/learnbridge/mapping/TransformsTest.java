package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.mapping.transform.ChangeCase;
import io.learnbridge.mapping.transform.DateConversion;
import io.learnbridge.mapping.transform.DefaultValue;
import io.learnbridge.mapping.transform.FieldRejected;
import io.learnbridge.mapping.transform.PatternCheck;
import io.learnbridge.mapping.transform.Required;
import io.learnbridge.mapping.transform.Trim;
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
}
