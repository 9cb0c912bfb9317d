package io.learnbridge.exception;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.mapping.MappingCatalog;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.SourceMapper;
import io.learnbridge.drop.DropChecksum;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Replays;
import io.learnbridge.store.WorkerStates;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Replays exception-queue entries: the stored source record is mapped again with the current
 * source mapping, so fixing a mapping file and replaying is the repair loop. An accepted record
 * is queued for delivery again; one that is still rejected stays open with the new reason.
 */
public final class Replayer {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one replay did. */
    public record Outcome(long id, boolean replayed, String message) {
    }

    private final Supplier<MappingCatalog> mappings;
    private final ExceptionQueue queue;
    private final Replays replays;
    private final Function<String, List<String>> targetsOf;

    /** @param mappings compiles the current mapping files (replay always uses what is on disk now) */
    public Replayer(Supplier<MappingCatalog> mappings, ExceptionQueue queue, Replays replays, Function<String, List<String>> targetsOf) {
        this.mappings = mappings;
        this.queue = queue;
        this.replays = replays;
        this.targetsOf = targetsOf;
    }

    public Outcome replay(long id) {
        MappingCatalog catalog;
        try {
            catalog = mappings.get();
        } catch (MappingException e) {
            return new Outcome(id, false, "not replayed: the mappings do not compile: " + e.describe());
        }
        return replay(catalog, id);
    }

    private Outcome replay(MappingCatalog catalog, long id) {
        ExceptionEntry entry = queue.get(id).orElse(null);
        if (entry == null) {
            return new Outcome(id, false, "no exception " + id);
        }
        if (entry.status() != ExceptionEntry.Status.OPEN) {
            return new Outcome(id, false, "exception " + id + " is " + entry.status() + " already");
        }
        if (io.learnbridge.store.EnrolmentOutbox.STAGE.equals(entry.stage())) {
            if (entry.kind() == ExceptionEntry.Kind.FAILED && entry.deliveryId() != null) {
                replays.retryEnrolment(entry);
                return new Outcome(id, true, "enrolment change " + entry.deliveryId() + " queued again for " + entry.target());
            }
            return new Outcome(id, false, "exception " + id + ": the enrolment rules could not read worker " + entry.workerId()
                    + "'s state; the next change of the worker applies them again");
        }
        if (entry.sourceRecord() == null) {
            if (entry.kind() == ExceptionEntry.Kind.FAILED && entry.deliveryId() != null) {
                replays.retryDelivery(entry, null);
                return new Outcome(id, true, "delivery " + entry.deliveryId() + " queued again with its stored state");
            }
            if (entry.eventId() != null) {
                return new Outcome(id, false, "exception " + id + " (" + entry.origin() + ") has no usable record to replay: "
                        + "have the sender send the change again");
            }
            return new Outcome(id, false, "exception " + id + " concerns the whole drop " + entry.fileName()
                    + ": fix the cause, then put the file back into the drop folder (it is in the failed folder)");
        }
        MappingResult<CanonicalRecord> result;
        try {
            result = remap(catalog, entry);
        } catch (MappingException | IllegalArgumentException e) {
            String reason = e instanceof MappingException m ? m.describe() : e.getMessage();
            replays.stillFailing(entry, entry.field(), reason);
            return new Outcome(id, false, "still failing: " + reason);
        }
        if (result instanceof MappingResult.Rejected<CanonicalRecord> rejected) {
            replays.stillFailing(entry, rejected.rejection().field(), rejected.rejection().describe());
            return new Outcome(id, false, "still rejected: " + rejected.rejection().describe());
        }
        CanonicalRecord record = ((MappingResult.Accepted<CanonicalRecord>) result).value();
        if (record.get(CanonicalField.EFFECTIVE_AT.fieldName()) == null) {
            record = record.with(CanonicalField.EFFECTIVE_AT.fieldName(), java.time.Instant.now().toString());
        }
        String canonical = record.toJson();
        if (entry.kind() == ExceptionEntry.Kind.REJECTED && entry.eventId() != null) {
            WorkerStates.Outcome outcome = replays.acceptRejectedEvent(entry, record.workerId(), canonical, targetsOf.apply(entry.source()));
            return new Outcome(id, true, outcome == WorkerStates.Outcome.APPLIED
                    ? "worker " + record.workerId() + " accepted and queued for " + targetsOf.apply(entry.source())
                    : "worker " + record.workerId() + " accepted, but a newer change is stored already: superseded, nothing sent");
        }
        if (entry.kind() == ExceptionEntry.Kind.REJECTED) {
            Replays.RowReplay row = replays.acceptRejectedRow(entry, record.workerId(), DropChecksum.sha256(canonical), canonical,
                    targetsOf.apply(entry.source()));
            if (row.refused() != null) {
                return new Outcome(id, false, "still refused: " + row.refused());
            }
            return new Outcome(id, true, row.heldUntil() != null
                    ? "worker " + record.workerId() + " accepted and held until " + row.heldUntil() + ", then queued for " + targetsOf.apply(entry.source())
                    : "worker " + record.workerId() + " accepted and queued for " + targetsOf.apply(entry.source()));
        }
        replays.retryDelivery(entry, canonical);
        return new Outcome(id, true, "worker " + record.workerId() + " queued again for " + entry.target());
    }

    /** Replays every open entry the filter selects (a drop, a target, a source). */
    public List<Outcome> replayAll(ExceptionQueue.Filter filter) {
        List<ExceptionEntry> entries = queue.list(filter);
        MappingCatalog catalog;
        try {
            catalog = mappings.get();
        } catch (MappingException e) {
            return entries.stream().map(en -> new Outcome(en.id(), false, "not replayed: the mappings do not compile: " + e.describe())).toList();
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (ExceptionEntry entry : entries) {
            outcomes.add(replay(catalog, entry.id()));
        }
        return outcomes;
    }

    private static MappingResult<CanonicalRecord> remap(MappingCatalog catalog, ExceptionEntry entry) throws MappingException {
        MappingFile mapping = catalog.source(entry.source());
        JsonNode stored;
        try {
            stored = JSON.readTree(entry.sourceRecord());
        } catch (Exception e) {
            throw new IllegalArgumentException("the stored source record cannot be read: " + e.getMessage());
        }
        if (mapping.format() == MappingFile.Format.JSON) {
            return io.learnbridge.mapping.JsonSourceRow.bind(mapping).map(io.learnbridge.mapping.JsonSourceRow.row(mapping, stored));
        }
        List<String> columns = new ArrayList<>();
        List<String> values = new ArrayList<>();
        stored.fields().forEachRemaining(e -> {
            columns.add(e.getKey());
            values.add(e.getValue().isNull() ? null : e.getValue().asText());
        });
        if (entry.line() != null && entry.stage().equals("map") && stored.has("#" + (columns.size()))) {
            throw new IllegalArgumentException("the stored row has more fields than its header; fix the file and drop it again");
        }
        SourceMapper mapper = SourceMapper.bindHeader(mapping, columns, "the stored source record");
        return mapper.map(values::get);
    }
}
