package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.worker.CanonicalRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped legacy mapping (mappings/sources/legacy-hris.mapping.yaml) reads an older HRIS
 * report as a drop is read: ISO-8859-1 bytes, semicolons, "Last, First  M" names, m/d/yy dates.
 */
class LegacyExportTest {

    @TempDir
    Path dir;

    @Test
    void aLegacyReportMapsRowByRowWithItsImplausibleDateRejected() throws Exception {
        MappingFile mapping = MappingCatalog.compileStrict(MappingFiles.load("mappings")).source("legacy-hris");
        String report = """
                Emp No;Name;Email;Org Path;Site;Active;Hire Dt;Term Dt
                1234;"M\u00fcller, J\u00fcrgen  k.";J.Mueller@Example.com;Corp > Werk S\u00fcd;stu-2;1;3/5/98;
                42;de la Cruz, Juan Pablo;jp@example.com;Sales;MAD;0;11/30/04;1/15/24
                77;Nobody, Future;future@example.com;Sales;MAD;1;6/1/45;
                """;
        Path file = Files.write(dir.resolve("legacy.csv"), report.getBytes(StandardCharsets.ISO_8859_1));
        List<MappingResult<CanonicalRecord>> results = new ArrayList<>();
        try (CsvDrop drop = CsvDrop.open(file, "legacy.csv", Instant.EPOCH, mapping.csv(), 10)) {
            SourceMapper mapper = SourceMapper.bindHeader(mapping, drop.header(), "the header of legacy.csv");
            while (drop.hasNext()) {
                for (RowBatch.RawRow row : drop.next().rows()) {
                    results.add(mapper.map(slot -> row.fields()[slot]));
                }
            }
        }
        assertThat(results).hasSize(3);
        CanonicalRecord mueller = ((MappingResult.Accepted<CanonicalRecord>) results.get(0)).value();
        assertThat(mueller.get("workerId")).isEqualTo("001234");
        assertThat(mueller.get("familyName")).isEqualTo("M\u00fcller");
        assertThat(mueller.get("givenName")).isEqualTo("J\u00fcrgen");
        assertThat(mueller.get("attributes.middleInitial")).isEqualTo("K");
        assertThat(mueller.get("orgUnit")).isEqualTo("Werk S\u00fcd");
        assertThat(mueller.get("location")).isEqualTo("STU");
        assertThat(mueller.get("hireDate")).isEqualTo("1998-03-05");
        assertThat(mueller.get("terminationDate")).isNull();
        CanonicalRecord cruz = ((MappingResult.Accepted<CanonicalRecord>) results.get(1)).value();
        assertThat(cruz.get("employmentStatus")).isEqualTo("TERMINATED");
        assertThat(cruz.get("terminationDate")).isEqualTo("2024-01-15");
        assertThat(results.get(2)).isInstanceOfSatisfying(MappingResult.Rejected.class, r -> {
            assertThat(r.rejection().field()).isEqualTo("hireDate");
            assertThat(r.rejection().reason()).startsWith("date is after notAfter P1Y");
        });
    }
}
