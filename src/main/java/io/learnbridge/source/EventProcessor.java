package io.learnbridge.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.camel.Metrics;
import io.learnbridge.mapping.JsonSourceRow;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.MappingFile;
import io.learnbridge.mapping.MappingResult;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.store.EventInbox;
import io.learnbridge.store.WorkerStates;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code events}: processes stored webhook and Kafka events, oldest first. Each event's
 * JSON goes through its source's mapping; an accepted record becomes the worker's state and is
 * queued for the source's targets (or is superseded by a newer change), a rejected one goes to
 * the exception queue with its body, where it can be replayed after the mapping is fixed.
 */
public final class EventProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(EventProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventInbox inbox;
    private final Mappings mappings;
    private final Function<String, List<String>> targetsOf;
    private final Metrics metrics;
    private final int batchSize;
    /** Compiled once per mapping (a reloaded mapping is a new key), not per event. */
    private final java.util.Map<MappingFile, JsonSourceRow.Binding> bindings = new java.util.concurrent.ConcurrentHashMap<>();
    private final Function<String, io.learnbridge.worker.ChangeDetector> detectors;
    private final Function<String, java.util.Optional<String>> rescindPointers;

    /** @param detectors each source's change detection (its leave-of-absence policy) */
    public EventProcessor(EventInbox inbox, Mappings mappings, Function<String, List<String>> targetsOf, Metrics metrics, int batchSize,
                          Function<String, io.learnbridge.worker.ChangeDetector> detectors) {
        this(inbox, mappings, targetsOf, metrics, batchSize, detectors, source -> java.util.Optional.empty());
    }

    /**
     * @param rescindPointers each source's {@code learnbridge.sources.<s>.rescindPointer}: the JSON pointer
     *                        to the id of the event an event rescinds (none: the source sends no rescinds)
     */
    public EventProcessor(EventInbox inbox, Mappings mappings, Function<String, List<String>> targetsOf, Metrics metrics, int batchSize,
                          Function<String, io.learnbridge.worker.ChangeDetector> detectors,
                          Function<String, java.util.Optional<String>> rescindPointers) {
        this.rescindPointers = rescindPointers;
        this.detectors = detectors;
        this.inbox = inbox;
        this.mappings = mappings;
        this.targetsOf = targetsOf;
        this.metrics = metrics;
        this.batchSize = batchSize;
    }

    public List<EventInbox.Event> claim() {
        return inbox.claim(batchSize);
    }

    public void process(EventInbox.Event event) {
        MappingResult<CanonicalRecord> result;
        try {
            MappingFile mapping = mappings.get().source(event.source());
            JsonNode document = JSON.readTree(event.body());
            if (rescinded(event, document)) {
                return;
            }
            result = bindings.computeIfAbsent(mapping, JsonSourceRow::compile).map(document);
        } catch (MappingException e) {
            reject(event, e.field(), e.describe());
            return;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            reject(event, null, "the stored event is not JSON: " + e.getOriginalMessage());
            return;
        }
        if (result instanceof MappingResult.Rejected<CanonicalRecord> rejected) {
            reject(event, rejected.rejection().field(), rejected.rejection().describe());
            return;
        }
        CanonicalRecord record = ((MappingResult.Accepted<CanonicalRecord>) result).value();
        String effective = record.get(CanonicalField.EFFECTIVE_AT.fieldName());
        if (effective == null) {
            effective = event.receivedAt().toString();
            record = record.with(CanonicalField.EFFECTIVE_AT.fieldName(), effective);
        }
        WorkerStates.Outcome outcome = inbox.apply(event, record.workerId(), WorkerStates.parseInstant(effective), record.toJson(),
                targetsOf.apply(event.source()), detectors.apply(event.source()));
        metrics.record(event.source(), switch (outcome) {
            case APPLIED -> "accepted";
            case SUPERSEDED -> "superseded";
            case UNCHANGED -> "unchanged";
        }, 1);
        if (outcome == WorkerStates.Outcome.SUPERSEDED) {
            LOG.info("Event {} ({}) for worker {} is older than the worker's stored state: superseded, not delivered",
                    event.id(), event.origin(), record.workerId());
        }
    }

    /**
     * A rescind (the source's rescind pointer names an event id in the document): the rescinded
     * event's changes are voided in every target that got them. True when the event was one.
     */
    private boolean rescinded(EventInbox.Event event, JsonNode document) {
        java.util.Optional<String> pointer = rescindPointers.apply(event.source());
        if (pointer.isEmpty()) {
            return false;
        }
        JsonNode id;
        try {
            id = document.at(pointer.get());
        } catch (IllegalArgumentException e) {
            reject(event, null, "learnbridge.sources." + event.source() + ".rescindPointer '" + pointer.get() + "' is not a JSON pointer");
            return true;
        }
        if (id.isMissingNode() || id.isNull()) {
            return false;
        }
        String key = id.asText("").strip();
        if (key.isEmpty() || !id.isValueNode()) {
            reject(event, null, "a rescind must name the rescinded event's id at " + pointer.get());
            return true;
        }
        // webhook events are kept under their HR event id (header or learnbridge.sources.<s>.webhook.eventIdPointer)
        int voided = inbox.rescind(event, "id:" + key);
        if (voided < 0) {
            reject(event, null, "rescinds event '" + key + "', which source " + event.source() + " never sent (or sent under another id)");
            return true;
        }
        metrics.record(event.source(), "rescinded", 1);
        LOG.info("Event {} ({}) rescinds event {} of source {}: {} target deliveries voided", event.id(), event.origin(), key,
                event.source(), voided);
        return true;
    }

    private void reject(EventInbox.Event event, String field, String reason) {
        long id = inbox.rejectMapped(event, null, field, reason);
        metrics.record(event.source(), "rejected", 1);
        LOG.warn("Event {} ({}) of source {} rejected: {} (exception {})", event.id(), event.origin(), event.source(), reason, id);
    }
}
