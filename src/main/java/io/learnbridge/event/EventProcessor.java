package io.learnbridge.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.support.Metrics;
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

    /** The next batch of stored events, oldest first ({@code learnbridge.events.batchSize}); {@code full} when it was. */
    public Claimed claim() {
        List<EventInbox.Event> events = inbox.claim(batchSize);
        return new Claimed(events, events.size() == batchSize);
    }

    /** A claimed batch of events; {@code full}: there may be more waiting, claim again at once. */
    public record Claimed(List<EventInbox.Event> events, boolean full) {
        public int size() {
            return events.size();
        }
    }

    /**
     * Processes a claimed batch, oldest first. Each event is mapped outside the store, then the
     * batch is applied in one transaction ({@link EventInbox#applyAll}); a rescind is applied on its
     * own, in its place. When the batch's transaction fails, its events are applied one by one, so
     * an event that cannot be stored holds back only itself (its claim expires and it is processed
     * again); when every one fails (the store is down), the first failure is thrown.
     */
    public void processAll(List<EventInbox.Event> events) {
        List<EventInbox.Mapped> batch = new java.util.ArrayList<>(events.size());
        for (EventInbox.Event event : events) {
            Step step = step(event);
            if (step.rescinds() == null) {
                batch.add(step.mapped());
            } else {
                apply(batch); // the events before it first, in order
                batch.clear();
                rescind(event, step.rescinds());
            }
        }
        apply(batch);
    }

    /** An event mapped (accepted or rejected), or the key of the event it rescinds. */
    private record Step(EventInbox.Mapped mapped, String rescinds) {
    }

    private Step step(EventInbox.Event event) {
        JsonNode document;
        try {
            document = JSON.readTree(event.body());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return new Step(new EventInbox.Rejected(event, null, null, "the stored event is not JSON: " + e.getOriginalMessage()), null);
        }
        Rescind rescind = rescindIn(event, document);
        if (rescind == null) {
            return new Step(map(event, document), null);
        }
        return rescind.problem() != null ? new Step(new EventInbox.Rejected(event, null, null, rescind.problem()), null) : new Step(null, rescind.key());
    }

    /**
     * Processes events a source stored already claimed ({@link EventInbox#receiveAll(List, boolean)}),
     * on the source's own thread, as {@link #processAll} does. It never throws: when they cannot be
     * processed now (the store failed), they stay claimed until their lease ends
     * ({@code learnbridge.events.lease}) and route process-events takes them then.
     */
    public void processNow(List<EventInbox.Event> events) {
        if (events == null || events.isEmpty()) {
            return;
        }
        try {
            processAll(events);
        } catch (RuntimeException e) {
            LOG.warn("{} events of source {} (from event {}) could not be processed as they arrived ({}): they are processed again when"
                    + " their claim expires (learnbridge.events.lease)", events.size(), events.get(0).source(), events.get(0).id(), e.getMessage());
        }
    }

    /**
     * The events mapped, in order, to be applied in one transaction ({@link EventInbox#receiveAndApply}); null when one
     * of them is a rescind, which is applied on its own ({@link #processAll}).
     */
    public List<EventInbox.Mapped> mapForBatch(List<EventInbox.Event> events) {
        List<EventInbox.Mapped> batch = new java.util.ArrayList<>(events.size());
        for (EventInbox.Event event : events) {
            Step step = step(event);
            if (step.rescinds() != null) {
                return null;
            }
            batch.add(step.mapped());
        }
        return batch;
    }

    /** Records the outcomes of events applied (metrics, and a log line for each rejected or superseded one). */
    public void reportAll(List<EventInbox.Applied> applied) {
        for (EventInbox.Applied done : applied) {
            report(done);
        }
    }

    private EventInbox.Mapped map(EventInbox.Event event, JsonNode document) {
        MappingResult<CanonicalRecord> result;
        JsonSourceRow.Binding binding;
        try {
            MappingFile mapping = mappings.get().source(event.source());
            binding = bindings.computeIfAbsent(mapping, JsonSourceRow::compile);
            result = binding.map(document);
        } catch (MappingException e) {
            return new EventInbox.Rejected(event, null, e.field(), e.describe());
        }
        if (result instanceof MappingResult.Rejected<CanonicalRecord> rejected) {
            return new EventInbox.Rejected(event, binding.workerIdOf(document), rejected.rejection().field(), rejected.rejection().describe());
        }
        CanonicalRecord record = ((MappingResult.Accepted<CanonicalRecord>) result).value();
        String effective = record.get(CanonicalField.EFFECTIVE_AT.fieldName());
        if (effective == null) {
            effective = event.receivedAt().toString();
            record = record.with(CanonicalField.EFFECTIVE_AT.fieldName(), effective);
        }
        return new EventInbox.Accepted(event, record.workerId(), WorkerStates.parseInstant(effective), record.toJson(),
                targetsOf.apply(event.source()), detectors.apply(event.source()));
    }

    private void apply(List<EventInbox.Mapped> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<EventInbox.Applied> applied;
        try {
            applied = inbox.applyAll(batch);
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                throw e;
            }
            LOG.warn("A batch of {} events could not be stored in one transaction ({}): applying them one by one", batch.size(), e.getMessage());
            applied = new java.util.ArrayList<>(batch.size());
            RuntimeException first = null;
            for (EventInbox.Mapped one : batch) {
                try {
                    applied.addAll(inbox.applyAll(List.of(one)));
                } catch (RuntimeException single) {
                    first = first == null ? single : first;
                    LOG.warn("Event {} ({}) of source {} could not be stored: {}; it is processed again when its claim expires",
                            one.event().id(), one.event().origin(), one.event().source(), single.getMessage());
                }
            }
            if (applied.isEmpty()) {
                throw first;
            }
        }
        reportAll(applied);
    }

    private void report(EventInbox.Applied done) {
        EventInbox.Event event = done.mapped().event();
        switch (done.outcome()) {
            case "REJECTED" -> {
                EventInbox.Rejected r = (EventInbox.Rejected) done.mapped();
                metrics.record(event.source(), "rejected", 1);
                LOG.warn("Event {} ({}) of source {} rejected: {} (exception {})", event.id(), event.origin(), event.source(), r.reason(),
                        done.exceptionId());
            }
            case "SUPERSEDED" -> {
                metrics.record(event.source(), "superseded", 1);
                LOG.info("Event {} ({}) for worker {} is older than the worker's stored state: superseded, not delivered",
                        event.id(), event.origin(), ((EventInbox.Accepted) done.mapped()).workerId());
            }
            case "UNCHANGED" -> metrics.record(event.source(), "unchanged", 1);
            default -> metrics.record(event.source(), "accepted", 1);
        }
    }

    /** What a source's rescind pointer found in an event: the rescinded event's key, or why the rescind is refused. */
    private record Rescind(String key, String problem) {
    }

    /** The rescind this event is (its source's rescind pointer names an event id in it); null when it is not one. */
    private Rescind rescindIn(EventInbox.Event event, JsonNode document) {
        java.util.Optional<String> pointer = rescindPointers.apply(event.source());
        if (pointer.isEmpty()) {
            return null;
        }
        JsonNode id;
        try {
            id = document.at(pointer.get());
        } catch (IllegalArgumentException e) {
            return new Rescind(null, "learnbridge.sources." + event.source() + ".rescindPointer '" + pointer.get() + "' is not a JSON pointer");
        }
        if (id.isMissingNode() || id.isNull()) {
            return null;
        }
        String key = id.asText("").strip();
        return key.isEmpty() || !id.isValueNode() ? new Rescind(null, "a rescind must name the rescinded event's id at " + pointer.get())
                : new Rescind(key, null);
    }

    /** Voids the rescinded event's changes in every target that got them (its own transaction). */
    private void rescind(EventInbox.Event event, String key) {
        // webhook events are kept under their HR event id (header or learnbridge.sources.<s>.webhook.eventIdPointer)
        int voided = inbox.rescind(event, "id:" + key);
        if (voided < 0) {
            reject(event, null, "rescinds event '" + key + "', which source " + event.source() + " never sent (or sent under another id)");
            return;
        }
        metrics.record(event.source(), "rescinded", 1);
        LOG.info("Event {} ({}) rescinds event {} of source {}: {} target deliveries voided", event.id(), event.origin(), key,
                event.source(), voided);
    }

    private void reject(EventInbox.Event event, String field, String reason) {
        long id = inbox.rejectMapped(event, null, field, reason);
        metrics.record(event.source(), "rejected", 1);
        LOG.warn("Event {} ({}) of source {} rejected: {} (exception {})", event.id(), event.origin(), event.source(), reason, id);
    }
}
