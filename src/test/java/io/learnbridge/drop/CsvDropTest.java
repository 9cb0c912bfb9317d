package io.learnbridge.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.mapping.MappingFile;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDropTest {

    @TempDir
    Path dir;

    private List<RowBatch.RawRow> read(byte[] content, MappingFile.CsvOptions options, List<String> header) throws Exception {
        Path file = Files.write(dir.resolve("drop.csv"), content);
        List<RowBatch.RawRow> rows = new ArrayList<>();
        try (CsvDrop drop = CsvDrop.open(file, "drop.csv", Instant.EPOCH, options, 2)) {
            header.addAll(drop.header());
            while (drop.hasNext()) {
                RowBatch batch = drop.next();
                assertThat(batch.rows()).hasSizeLessThanOrEqualTo(2);
                rows.addAll(batch.rows());
            }
        }
        return rows;
    }

    @Test
    void quotedFieldsMayHoldDelimitersQuotesAndNewlinesAndRowsKeepTheirStartingLine() throws Exception {
        List<String> header = new ArrayList<>();
        String csv = "\uFEFFId , Name,Title\nE1,\"Lovelace, Ada\",\"She said \"\"hi\"\"\"\nE2,\"Multi\nLine\",x\nE3,Plain,y\n";
        List<RowBatch.RawRow> rows = read(csv.getBytes(StandardCharsets.UTF_8), MappingFile.CsvOptions.DEFAULT, header);
        assertThat(header).containsExactly("Id", "Name", "Title");
        assertThat(rows).extracting(RowBatch.RawRow::line).containsExactly(2, 3, 5);
        assertThat(rows.get(0).fields()).containsExactly("E1", "Lovelace, Ada", "She said \"hi\"");
        assertThat(rows.get(1).fields()).containsExactly("E2", "Multi\nLine", "x");
    }

    @Test
    void isoLatin1AndSemicolonsAreReadAsDeclared() throws Exception {
        List<String> header = new ArrayList<>();
        Charset latin1 = StandardCharsets.ISO_8859_1;
        List<RowBatch.RawRow> rows = read("Id;Name\nE1;Jos\u00e9 M\u00fcller\n".getBytes(latin1), new MappingFile.CsvOptions(';', '"', latin1), header);
        assertThat(rows).singleElement().satisfies(r -> assertThat(r.fields()).containsExactly("E1", "Jos\u00e9 M\u00fcller"));
    }

    @Test
    void bytesInvalidInTheDeclaredEncodingStopTheDropNamingTheLine() throws Exception {
        byte[] latin1 = "Id,Name\nE1,Ok\nE2,Jos\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> read(latin1, MappingFile.CsvOptions.DEFAULT, new ArrayList<>()))
                .isInstanceOf(DropFormatException.class)
                .hasMessageStartingWith("drop.csv:")
                .hasMessageContaining("not valid in the declared encoding")
                .hasMessageContaining("ISO-8859-1");
    }

    @Test
    void anEmptyFileHasNoHeaderAndNoRows() throws Exception {
        List<String> header = new ArrayList<>();
        assertThat(read(new byte[0], MappingFile.CsvOptions.DEFAULT, header)).isEmpty();
        assertThat(header).isEmpty();
    }

    @Test
    void rowsWithAnotherFieldCountAreReturnedForTheMappingStageToReject() throws Exception {
        List<RowBatch.RawRow> rows = read("A,B\n1,2,3\n4\n".getBytes(StandardCharsets.UTF_8), MappingFile.CsvOptions.DEFAULT, new ArrayList<>());
        assertThat(rows).extracting(r -> r.fields().length).containsExactly(3, 1);
    }
}
