package io.learnbridge.drop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.store.StagedRow;
import io.learnbridge.store.WorkerStates;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps a batch of raw drop rows through a bound source mapping into rows ready to stage: each
 * accepted row with its canonical record and content hash, each rejected row with field, reason
 * and the worker id it names (when the mapping's id rule accepts it), and every row with its
 * source record (column to value) kept for replay.
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
            if (row.fields().length != columns) {
                // no worker id: with a field too many or too few, the id column may hold another column's value
                out.add(StagedRow.rejected(row.line(), null, sourceRecord(batch.header(), row.fields()), null,
                        "row has " + row.fields().length + " fields but the header has " + columns));
                continue;
            }
            String[] fields = row.fields();
            MappingResult<CanonicalRecord> result = mapper.map(slot -> fields[slot]);
            if (result instanceof MappingResult.Accepted<CanonicalRecord> accepted) {
                CanonicalRecord record = accepted.value();
                String effectiveAtText = record.get(CanonicalField.EFFECTIVE_AT.fieldName());
                Instant effectiveAt;
                if (effectiveAtText == null) {
                    record = record.with(CanonicalField.EFFECTIVE_AT.fieldName(), defaultEffectiveAt);
                    effectiveAtText = defaultEffectiveAt;
                    effectiveAt = batch.receivedAt();
                } else {
                    effectiveAt = WorkerStates.parseInstant(effectiveAtText);
                }
                String stateHash = record.stateHash();
                // the same state at the same effective time is the same record: two rows of one worker
                // in a drop are compared by this, without writing either as JSON
                out.add(StagedRow.mapped(row.line(), record, DropChecksum.sha256(stateHash + "@" + effectiveAtText), stateHash, effectiveAt,
                        () -> sourceRecord(batch.header(), fields)));
            } else {
                MappingResult.Rejected<CanonicalRecord> rejected = (MappingResult.Rejected<CanonicalRecord>) result;
                out.add(StagedRow.rejected(row.line(), mapper.workerIdOf(slot -> fields[slot]), sourceRecord(batch.header(), fields),
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
