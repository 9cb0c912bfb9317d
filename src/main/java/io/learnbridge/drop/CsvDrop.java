package io.learnbridge.drop;

import de.siegmar.fastcsv.reader.CloseableIterator;
import de.siegmar.fastcsv.reader.CsvParseException;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import io.learnbridge.mapping.MappingFile;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Streams a CSV drop as batches of rows, so memory stays flat whatever the file size. The first
 * record is the header (names trimmed; a UTF-8 byte order mark is skipped). Quoted fields may hold
 * delimiters, quotes and newlines; each row carries the line it starts on. A row with a different
 * number of fields than the header is still returned, for the mapping stage to reject with its
 * line. Bytes that are not valid in the declared encoding stop the drop with a
 * {@link DropFormatException}.
 */
public final class CsvDrop implements Iterator<RowBatch>, Closeable {

    private final String fileName;
    private final java.time.Instant receivedAt;
    private final CsvReader<CsvRecord> reader;
    private final CloseableIterator<CsvRecord> records;
    private final List<String> header;
    private final int batchSize;
    private long lastLine;

    private CsvDrop(String fileName, java.time.Instant receivedAt, CsvReader<CsvRecord> reader, int batchSize) {
        this.fileName = fileName;
        this.receivedAt = receivedAt;
        this.reader = reader;
        this.records = reader.iterator();
        this.batchSize = batchSize;
        List<String> names = new ArrayList<>();
        if (hasNextRecord()) {
            CsvRecord first = nextRecord();
            for (String name : first.getFields()) {
                names.add(name.strip());
            }
        }
        this.header = List.copyOf(names);
    }

    public static CsvDrop open(Path file, String fileName, java.time.Instant receivedAt, MappingFile.CsvOptions options, int batchSize) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            if (options.encoding().equals(StandardCharsets.UTF_8)) {
                skipUtf8Bom(in);
            }
            CharsetDecoder decoder = options.encoding().newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            CsvReader<CsvRecord> reader = CsvReader.builder()
                    .fieldSeparator(options.delimiter())
                    .quoteCharacter(options.quote())
                    .skipEmptyLines(true)
                    .allowExtraFields(true)
                    .allowMissingFields(true)
                    .ofCsvRecord(new InputStreamReader(in, decoder));
            return new CsvDrop(fileName, receivedAt, reader, batchSize);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static void skipUtf8Bom(InputStream in) throws IOException {
        in.mark(3);
        byte[] bom = in.readNBytes(3);
        if (!(bom.length == 3 && (bom[0] & 0xFF) == 0xEF && (bom[1] & 0xFF) == 0xBB && (bom[2] & 0xFF) == 0xBF)) {
            in.reset();
        }
    }

    public List<String> header() {
        return header;
    }

    @Override
    public boolean hasNext() {
        return hasNextRecord();
    }

    @Override
    public RowBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        List<RowBatch.RawRow> rows = new ArrayList<>(batchSize);
        while (rows.size() < batchSize && hasNextRecord()) {
            CsvRecord record = nextRecord();
            rows.add(new RowBatch.RawRow(Math.toIntExact(record.getStartingLineNumber()), record.getFields().toArray(String[]::new)));
        }
        return new RowBatch(fileName, receivedAt, header, rows);
    }

    private boolean hasNextRecord() {
        try {
            return records.hasNext();
        } catch (UncheckedIOException | CsvParseException e) {
            throw formatProblem(e);
        }
    }

    private CsvRecord nextRecord() {
        try {
            CsvRecord record = records.next();
            lastLine = record.getStartingLineNumber();
            return record;
        } catch (UncheckedIOException | CsvParseException e) {
            throw formatProblem(e);
        }
    }

    private DropFormatException formatProblem(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CharacterCodingException) {
                return new DropFormatException(fileName, lastLine + 1, "bytes that are not valid in the declared encoding after line " + lastLine
                        + " (set csv.encoding in the source mapping, e.g. ISO-8859-1)");
            }
        }
        return new DropFormatException(fileName, lastLine + 1, "cannot be read as CSV after line " + lastLine + ": " + e.getMessage());
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
