package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.store.StagedRow;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DropRowsTest {

    private static final MappingCatalog CATALOG = MappingCatalog.compileStrict(MappingFiles.of("m", Map.of(
            "sources/hr.mapping.yaml", """
                    fields:
                      workerId: {from: Id, trim: true, pattern: "E[0-9]+"}
                      givenName: First
                      orgUnit: Org
                      effectiveAt: {from: Changed, required: false}
                    """)));
    private static final List<String> HEADER = List.of("Id", "First", "Org", "Changed");
    private static final Instant RECEIVED = Instant.parse("2026-03-01T06:00:00Z");

    @Test
    void rowsOfOneWorkerHaveOneContentHashExactlyWhenTheirRecordsAreEqual() {
        List<StagedRow> rows = map(
                row(2, "E1", "Ada", "Sales", ""),
                row(3, " E1 ", "Ada", "Sales", ""),             // the same record once trimmed
                row(4, "E1", "Ada", "Finance", ""),             // another state
                row(5, "E1", "Ada", "Sales", "2026-02-01T00:00:00Z"), // the same state at another time
                row(6, "E1", "Ada", "Sales", "2026-02-01T00:00:00Z"));

        assertThat(rows).allMatch(StagedRow::accepted);
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < rows.size(); j++) {
                assertThat(rows.get(i).contentHash().equals(rows.get(j).contentHash()))
                        .as("lines %d and %d: records %s and %s", rows.get(i).line(), rows.get(j).line(),
                                rows.get(i).canonical(), rows.get(j).canonical())
                        .isEqualTo(rows.get(i).canonical().equals(rows.get(j).canonical()));
            }
        }
        assertThat(rows.get(0).stateHash()).isEqualTo(rows.get(3).stateHash()).isNotEqualTo(rows.get(2).stateHash());
    }

    @Test
    void aRowWithoutAnEffectiveTimeTakesTheDropsAndKeepsItsRecordAndSourceRecord() {
        StagedRow row = map(row(2, "E1", "Ada", "Sales", "")).get(0);

        assertThat(row.effectiveAt()).isEqualTo(RECEIVED);
        assertThat(row.workerId()).isEqualTo("E1");
        assertThat(row.canonical()).isEqualTo("{\"workerId\":\"E1\",\"givenName\":\"Ada\",\"orgUnit\":\"Sales\",\"effectiveAt\":\"2026-03-01T06:00:00Z\"}");
        assertThat(row.record().get("orgUnit")).isEqualTo("Sales");
        assertThat(row.sourceRecord()).isEqualTo("{\"Id\":\"E1\",\"First\":\"Ada\",\"Org\":\"Sales\",\"Changed\":\"\"}");
    }

    @Test
    void aRowWithTheWrongNumberOfFieldsIsRejectedWithItsSourceRecord() {
        StagedRow row = map(new RowBatch.RawRow(7, new String[] {"E1", "Ada"})).get(0);

        assertThat(row.accepted()).isFalse();
        assertThat(row.reason()).isEqualTo("row has 2 fields but the header has 4");
        assertThat(row.sourceRecord()).isEqualTo("{\"Id\":\"E1\",\"First\":\"Ada\"}");
    }

    @Test
    void aRowRejectedForAnotherFieldNamesItsWorkerForTheExceptionQueueButIsStoredWithoutOne() {
        List<StagedRow> rows = map(
                row(2, " E1 ", "Ada", "Sales", "yesterday"), // effectiveAt is rejected; the id column is fine
                row(3, "E 2", "Bob", "Sales", ""),          // the id itself is rejected
                row(4, "  ", "Cy", "Sales", "yesterday"));   // no id to read: the id rule rejects it first
        RowBatch.RawRow shifted = new RowBatch.RawRow(5, new String[] {"E5", "Dee"});

        assertThat(rows).noneMatch(StagedRow::accepted);
        assertThat(rows).extracting(StagedRow::field).containsExactly("effectiveAt", "workerId", "workerId");
        assertThat(rows).extracting(StagedRow::namedWorkerId).containsExactly("E1", null, null);
        assertThat(rows).extracting(StagedRow::workerId).as("a rejected row is never one of its worker's rows").containsOnlyNulls();
        assertThat(map(shifted).get(0).namedWorkerId()).as("with the wrong number of fields the id column cannot be trusted").isNull();
    }

    private static List<StagedRow> map(RowBatch.RawRow... rows) {
        SourceMapper mapper = SourceMapper.bindHeader(CATALOG.source("hr"), HEADER, "test.csv");
        return DropRows.map(mapper, new RowBatch("test.csv", RECEIVED, HEADER, List.of(rows)));
    }

    private static RowBatch.RawRow row(int line, String... fields) {
        return new RowBatch.RawRow(line, fields);
    }
}
