package io.learnbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.worker.CanonicalRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceMapperTest {

    private static final MappingCatalog CATALOG = MappingCatalog.compileStrict(MappingFiles.of("m", Map.of(
            "sources/hr.mapping.yaml", """
                    fields:
                      workerId: {from: Id, trim: true}
                      givenName: {combine: {from: [First, Middle], separator: " "}}
                      employmentStatus: {from: Status, default: ACTIVE}
                      attributes.badge: Badge
                    """)));

    @Test
    void columnsAreBoundByHeaderNameWhateverTheirOrder() {
        SourceMapper mapper = SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Badge", "Status", "Middle", "First", "Id"), "test");
        String[] row = {"blue", "", "Q", "Ada", " E1 "};
        MappingResult<CanonicalRecord> result = mapper.map(slot -> row[slot]);
        assertThat(result).isInstanceOf(MappingResult.Accepted.class);
        CanonicalRecord record = ((MappingResult.Accepted<CanonicalRecord>) result).value();
        assertThat(record.values()).containsExactly(
                Map.entry("workerId", "E1"), Map.entry("givenName", "Ada Q"), Map.entry("employmentStatus", "ACTIVE"), Map.entry("attributes.badge", "blue"));
        assertThat(record.toJson()).isEqualTo("{\"workerId\":\"E1\",\"givenName\":\"Ada Q\",\"employmentStatus\":\"ACTIVE\",\"attributes\":{\"badge\":\"blue\"}}");
    }

    @Test
    void aMissingColumnIsReportedWithTheMappingLine() {
        assertThatThrownBy(() -> SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Id", "First", "Middle", "Status"), "the header of x.csv"))
                .isInstanceOf(MappingException.class)
                .extracting(e -> ((MappingException) e).describe())
                .isEqualTo("m/sources/hr.mapping.yaml:5: attributes.badge: input 'Badge' is not in the header of x.csv");
    }

    @Test
    void aColumnTheMappingReadsNamedTwiceInTheHeaderRefusesTheFileWhileAnUnreadRepeatIsIgnored() {
        assertThatThrownBy(() -> SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Id", "First", "Status", "Middle", "Badge", "First"),
                "the header of x.csv"))
                .isInstanceOf(MappingException.class)
                .extracting(e -> ((MappingException) e).describe())
                .isEqualTo("m/sources/hr.mapping.yaml:3: givenName: the header of x.csv names column 'First' twice (columns 2 and 6):"
                        + " which one holds the value cannot be known; fix the export");
        SourceMapper mapper = SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Id", "First", "Notes", "Middle", "Status", "Badge", "Notes"), "t");
        String[] row = {"E1", "Ada", "x", "", "", "", "y"};
        assertThat(mapper.map(slot -> row[slot])).isInstanceOf(MappingResult.Accepted.class);
    }

    @Test
    void aControlCharacterInAMappedValueRejectsTheRecordNamingTheFieldWhileTabsAndLineBreaksAreText() {
        SourceMapper mapper = SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Id", "First", "Middle", "Status", "Badge"), "t");
        for (char control : new char[] {'\u0000', '\u001b', '\u0008', '\u007f', '\u0085'}) {
            String[] row = {"E1", "A" + control + "da", "", "", ""};
            assertThat(mapper.map(slot -> row[slot])).as("U+%04X", (int) control).isInstanceOfSatisfying(MappingResult.Rejected.class,
                    r -> assertThat(r.rejection().describe()).isEqualTo(String.format(
                            "givenName (from 'First', 'Middle'): holds the control character U+%04X at position 2; remove it in the source system",
                            (int) control)));
        }
        String[] text = {"E1", "Ada", "", "", "line one\r\nline\ttwo"};
        assertThat(mapper.map(slot -> text[slot])).isInstanceOf(MappingResult.Accepted.class);
    }

    @Test
    void anInvalidCanonicalStatusIsRejectedEvenWithoutALookup() {
        SourceMapper mapper = SourceMapper.bindHeader(CATALOG.source("hr"), List.of("Id", "First", "Middle", "Status", "Badge"), "t");
        String[] row = {"E1", "A", "", "RETIRED", ""};
        MappingResult<CanonicalRecord> result = mapper.map(slot -> row[slot]);
        assertThat(result).isInstanceOfSatisfying(MappingResult.Rejected.class,
                r -> assertThat(r.rejection().describe()).isEqualTo("employmentStatus (from 'Status'): value 'RETIRED' is not an employment status (ACTIVE, LEAVE_OF_ABSENCE, TERMINATED)"));
    }

    @Test
    void theWorkerIdOfARecordIsReadByTheIdRuleAloneAndIsNullWhenThatRuleRejectsIt() {
        MappingCatalog catalog = MappingCatalog.compileStrict(MappingFiles.of("m", Map.of(
                "sources/strict.mapping.yaml", """
                        fields:
                          email: {from: Mail, pattern: "[^@]+@[^@]+"}
                          workerId: {from: Id, trim: true, case: upper, required: true, pattern: "E[0-9]+"}
                        """)));
        SourceMapper mapper = SourceMapper.bindHeader(catalog.source("strict"), List.of("Id", "Mail"), "t");
        String[] badEmail = {" e7 ", "not-an-email"};
        String[] badId = {"7", "a@example.com"};
        String[] noId = {" ", "not-an-email"};

        assertThat(mapper.map(slot -> badEmail[slot])).as("rejected before its id rule ran").isInstanceOf(MappingResult.Rejected.class);
        assertThat(mapper.workerIdOf(slot -> badEmail[slot])).isEqualTo("E7");
        assertThat(mapper.workerIdOf(slot -> badId[slot])).isNull();
        assertThat(mapper.workerIdOf(slot -> noId[slot])).isNull();
    }

    @Test
    void aJsonSourceReadsFieldsByJsonPath() throws Exception {
        MappingCatalog catalog = MappingCatalog.compileStrict(MappingFiles.of("m", Map.of(
                "sources/hook.mapping.yaml", """
                        format: json
                        fields:
                          workerId: $.employee.id
                          email: {from: "$.employee.emails[0].address", case: lower}
                          orgUnit: employee.org.name
                        """)));
        MappingFile mapping = catalog.source("hook");
        var document = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"employee\":{\"id\":42,\"emails\":[{\"address\":\"A@B.COM\"}],\"org\":{\"name\":\"Sales\"}}}");
        MappingResult<CanonicalRecord> result = JsonSourceRow.bind(mapping).map(JsonSourceRow.row(mapping, document));
        assertThat(result).isInstanceOfSatisfying(MappingResult.Accepted.class, a -> assertThat(((CanonicalRecord) a.value()).values())
                .containsExactly(Map.entry("workerId", "42"), Map.entry("email", "a@b.com"), Map.entry("orgUnit", "Sales")));
    }

    @Test
    void anUnsupportedJsonPathIsAMappingError() {
        assertThatThrownBy(() -> MappingCatalog.compileStrict(MappingFiles.of("m", Map.of(
                "sources/hook.mapping.yaml", "format: json\nfields:\n  workerId: $.employees[*].id\n"))))
                .isInstanceOf(MappingException.class)
                .hasMessageContaining("array indexes must be numbers");
    }

    @Test
    void aCanonicalDateIsAcceptedExactlyWhenJavaReadsItAsAnIsoDate() {
        for (String value : List.of("2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "0000-01-01", "9999-12-31",
                "+10000-01-01", "2024-1-01", "2024-02-3x", "2024/02/03", "20240203", "2024-02-03T00:00", " 2024-02-03", "٢٠٢٤-٠٢-٠٣")) {
            boolean parses;
            try {
                java.time.LocalDate.parse(value);
                parses = true;
            } catch (java.time.format.DateTimeParseException e) {
                parses = false;
            }
            assertThat(SourceMapper.isIsoDate(value)).as(value).isEqualTo(parses);
        }
    }
}
