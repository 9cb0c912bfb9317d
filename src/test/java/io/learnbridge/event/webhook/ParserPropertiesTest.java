package io.learnbridge.event.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.CsvDrop;
import io.learnbridge.drop.DropFormatException;
import io.learnbridge.drop.RowBatch;
import io.learnbridge.testing.HrCsv;
import io.learnbridge.testing.ReliabilityScenario;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * RELIABILITY.md scenario 21: the parsers an HR system's bytes reach (a CSV drop, a webhook body,
 * a mapping file an engineer edits, the mapping of each value) answer generated input, well-formed
 * and hostile, with rows or a typed, located error: never an unexpected exception, never a row
 * silently lost. The seeds are fixed, so CI replays the same corpus of inputs every run.
 */
class ParserPropertiesTest {

    private static final MappingFile HRIS = MappingCatalog.compileStrict(MappingFiles.load("mappings")).source("hris");

    /** A CSV field an export may hold: delimiters, quotes, line breaks, spaces, non-ASCII, empty. */
    @Provide
    Arbitrary<String> field() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("ab ,\"\n\r\tÀé漢\u00a0;x1").ofMaxLength(12),
                Arbitraries.strings().alpha().numeric().ofMaxLength(20),
                Arbitraries.of("", " ", "\"", "\"\"", ",", "\n", "\r\n", "a,b", "=cmd()", "﻿"));
    }

    @Provide
    Arbitrary<List<List<String>>> table() {
        return Arbitraries.integers().between(2, 6).flatMap(columns -> field().list().ofSize(columns).list().ofMaxSize(30));
    }

    @Property(tries = 300, seed = "4815162342")
    @ReliabilityScenario(21)
    void aCsvWrittenByTheRulesIsReadBackRowForRowWithItsLineNumbers(@ForAll("table") List<List<String>> rows) throws IOException {
        int columns = rows.isEmpty() ? 2 : rows.get(0).size();
        List<String> header = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            header.add("Col" + c);
        }
        StringBuilder csv = new StringBuilder(String.join(",", header)).append("\r\n");
        for (List<String> row : rows) {
            csv.append(String.join(",", row.stream().map(ParserPropertiesTest::quoted).toList())).append("\r\n");
        }
        List<RowBatch.RawRow> read = readAll(csv.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(read).as("every row read, none skipped").hasSize(rows.size());
        int previous = 1;
        for (int i = 0; i < rows.size(); i++) {
            assertThat(Arrays.asList(read.get(i).fields())).isEqualTo(rows.get(i));
            assertThat(read.get(i).line()).as("line numbers increase").isGreaterThan(previous);
            previous = read.get(i).line();
        }
    }

    @Property(tries = 500, seed = "1618033988")
    @ReliabilityScenario(21)
    void anyBytesGiveRowsOrAFormatErrorWithItsLine(@ForAll @Size(max = 600) byte[] tail, @ForAll boolean bom) throws IOException {
        byte[] head = ((bom ? "\uFEFF" : "") + HrCsv.HEADER + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, bytes, head.length, tail.length);
        try {
            List<RowBatch.RawRow> read = readAll(bytes);
            for (RowBatch.RawRow row : read) {
                assertThat(row.line()).isGreaterThanOrEqualTo(2);
            }
        } catch (DropFormatException e) {
            assertThat(e.getMessage()).as("names the file and the line").startsWith("fuzz.csv").contains("line");
        }
    }

    @Property(tries = 500, seed = "2718281828")
    @ReliabilityScenario(21)
    void everyMappedRowIsAcceptedOrRejectedNamingItsField(@ForAll("field") String id, @ForAll("field") String email,
                                                         @ForAll("field") String status, @ForAll("field") String hired,
                                                         @ForAll("field") String name) {
        SourceMapper mapper = SourceMapper.bindHeader(HRIS, List.of(HrCsv.HEADER.split(",")), "the header of fuzz.csv");
        String[] row = {id, name, name, email, "", "ENG-1", "Engineer", "London", "Engineering", status, hired};
        MappingResult<?> result = mapper.map(slot -> row[slot]);
        if (result instanceof MappingResult.Rejected<?> rejected) {
            assertThat(rejected.rejection().field()).isNotBlank();
            assertThat(rejected.rejection().reason()).isNotBlank();
        } else {
            assertThat(result).isInstanceOf(MappingResult.Accepted.class);
        }
    }

    @Provide
    Arbitrary<String> body() {
        Arbitrary<String> json = Arbitraries.strings().withChars("{}[]\":,0123456789.-+eEtrufalsn \\/ab\u0000é").ofMaxLength(60);
        Arbitrary<String> object = Arbitraries.strings().alpha().ofMaxLength(8).map(k -> "{\"" + k + "\":\"v\"}");
        return Arbitraries.oneOf(json, object, object.map(o -> o + o), object.map(o -> o + " x"), object.map(o -> o.replace("}", ",\"" + "k\":1,\"k\":2}")));
    }

    @Property(tries = 1000, seed = "1414213562")
    @ReliabilityScenario(21)
    void anyWebhookBodyIsOneJsonDocumentOrRefused(@ForAll("body") String body) {
        JsonNode node = WebhookIngest.json(body.getBytes(StandardCharsets.UTF_8));
        if (node != null) {
            assertThat(body.strip()).as("nothing after the document").doesNotEndWith(" x");
            assertThat(node.toString()).doesNotContain("\"k\":1,\"k\":2");
        }
    }

    @Property(tries = 300, seed = "1732050807")
    @ReliabilityScenario(21)
    void anyMappingFileCompilesOrIsReportedWithFileAndLine(@ForAll("mappingText") String text) {
        MappingCatalog catalog;
        try {
            catalog = MappingCatalog.compile(MappingFiles.of("fuzz", Map.of("sources/fuzz.mapping.yaml", text)));
        } catch (MappingException e) {
            assertThat(e.describe()).startsWith("fuzz/sources/fuzz.mapping.yaml:");
            return;
        }
        for (MappingException problem : catalog.problems()) {
            assertThat(problem.describe()).as("problems name the file and a line").matches("(?s)fuzz/sources/fuzz\\.mapping\\.yaml:\\d+: .+");
        }
    }

    @Provide
    Arbitrary<String> mappingText() {
        Arbitrary<String> key = Arbitraries.of("workerId", "email", "givenName", "hireDate", "employmentStatus", "attributes.x", "nosuch", "fields",
                "from", "lookup", "date", "default", "required", "pattern", "capture", "split", "[", "{", "- ", "&a", "*a", "!!binary");
        Arbitrary<String> value = Arbitraries.of("Id", "\"Work Email\"", "{from: Id}", "{date: {from: \"M/d/yy\"}}", "[a, b]", "''", "~", "'[('",
                "{capture: {pattern: '(?<x>[a-z]+'}}", "{split: {separator: ',', index: -9}}", "{pad: {length: -1}}", "\t", ":");
        Arbitrary<String> line = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 6).flatMap(indent -> key.flatMap(k -> value.map(v -> " ".repeat(indent) + k + ": " + v))),
                Arbitraries.strings().withChars("ab:{}[]-#&*!|>'\" \t").ofMaxLength(20));
        return line.list().ofMaxSize(12).map(lines -> (lines.isEmpty() ? "" : "fields:\n") + String.join("\n", lines));
    }

    private static String quoted(String field) {
        return "\"" + field.replace("\"", "\"\"") + "\"";
    }

    private static List<RowBatch.RawRow> readAll(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("fuzz", ".csv");
        try {
            Files.write(file, bytes);
            List<RowBatch.RawRow> rows = new ArrayList<>();
            try (CsvDrop drop = CsvDrop.open(file, "fuzz.csv", Instant.now(), MappingFile.CsvOptions.DEFAULT, 7)) {
                while (drop.hasNext()) {
                    rows.addAll(drop.next().rows());
                }
            }
            return rows;
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
