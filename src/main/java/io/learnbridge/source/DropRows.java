package io.learnbridge.source;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.store.StagedRow;
import io.learnbridge.store.WorkerStates;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps a batch of raw drop rows through a bound source mapping into rows ready to stage: each
 * accepted row with its canonical record and content hash, each rejected row with field and
 * reason, and every row with its source record (column to value) kept for replay.
 */
public final class DropRows {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DropRows() {
    }

    /** Records whose mapping gives no {@code effectiveAt} take the time the drop was received. */
    public static List<StagedRow> map(SourceMapper mapper, RowBatch batch) {
        List<StagedRow> out = new ArrayList<>(batch.rows().size());
        int columns = batch.header().size();
        String defaultEffectiveAt = batch.receivedAt().toString();
        for (RowBatch.RawRow row : batch.rows()) {
            String sourceRecord = sourceRecord(batch.header(), row.fields());
            if (row.fields().length != columns) {
                out.add(new StagedRow(row.line(), null, false, null, sourceRecord, null, null, null,
                        "row has " + row.fields().length + " fields but the header has " + columns));
                continue;
            }
            String[] fields = row.fields();
            MappingResult<CanonicalRecord> result = mapper.map(slot -> fields[slot]);
            if (result instanceof MappingResult.Accepted<CanonicalRecord> accepted) {
                CanonicalRecord record = accepted.value();
                if (record.get(CanonicalField.EFFECTIVE_AT.fieldName()) == null) {
                    record = record.with(CanonicalField.EFFECTIVE_AT.fieldName(), defaultEffectiveAt);
                }
                String canonical = record.toJson();
                out.add(new StagedRow(row.line(), record.workerId(), true, DropChecksum.sha256(canonical), record.stateHash(), sourceRecord, canonical,
                        WorkerStates.parseInstant(record.get(CanonicalField.EFFECTIVE_AT.fieldName())), null, null));
            } else {
                MappingResult.Rejected<CanonicalRecord> rejected = (MappingResult.Rejected<CanonicalRecord>) result;
                out.add(new StagedRow(row.line(), null, false, null, sourceRecord, null, null,
                        rejected.rejection().field(), rejected.rejection().describe()));
            }
        }
        return out;
    }

    /** The row as read, as JSON: header name to value; fields beyond the header as {@code #<n>}. */
    public static String sourceRecord(List<String> header, String[] fields) {
        ObjectNode node = JSON.createObjectNode();
        for (int i = 0; i < fields.length; i++) {
            String name = i < header.size() ? header.get(i) : "#" + (i + 1);
            if (!node.has(name)) {
                node.put(name, fields[i]);
            }
        }
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
