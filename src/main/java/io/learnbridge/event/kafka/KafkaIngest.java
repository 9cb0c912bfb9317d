package io.learnbridge.event.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.support.Metrics;
import io.learnbridge.store.EventInbox;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Variable;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code kafkaIngest}: makes a polled batch of Kafka records durable in one transaction, then
 * lets the route commit their offsets.
 * Values arrive as bytes and are checked here (RELIABILITY.md: parse in the route, never in a
 * deserializer that fails the poll): a record that is a tombstone, too big, not UTF-8 or not a
 * JSON object is stored as rejected, with topic, partition and offset, in the exception queue;
 * every other record is stored for processing. Topic/partition/offset is the event key, so a
 * record polled again after a crash is stored once.
 */
public final class KafkaIngest {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngest.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The exchange variable with the events of a poll stored claimed, for bean {@code events} to process at once. */
    public static final String CLAIMED = "claimedEvents";

    private final EventInbox inbox;
    private final Metrics metrics;
    private final int maxRecordBytes;

    private final io.learnbridge.event.EventProcessor processor;

    public KafkaIngest(EventInbox inbox, Metrics metrics, int maxRecordBytes) {
        this(inbox, metrics, maxRecordBytes, null);
    }

    /** @param processor maps and applies a poll's events in the transaction that stores them, when nothing older waits; null: never */
    public KafkaIngest(EventInbox inbox, Metrics metrics, int maxRecordBytes, io.learnbridge.event.EventProcessor processor) {
        this.inbox = inbox;
        this.metrics = metrics;
        this.maxRecordBytes = maxRecordBytes;
        this.processor = processor;
    }

    /**
     * Stores a polled batch (the route's body: one exchange per record, as the consumer's
     * {@code batching} gives them) in one transaction, each record or its rejection; throws when
     * the store cannot, so nothing of the batch is committed. When no older event is waiting in the
     * store, the batch's events are mapped and applied in that same transaction; when they cannot be
     * (that transaction failed, or one is a rescind), they are stored claimed by this instance and
     * left in variable {@value #CLAIMED}, for the route to process once the offsets are committed.
     */
    public void receiveAll(Exchange exchange, @Variable("source") String source) {
        List<Exchange> records = records(exchange);
        List<EventInbox.Incoming> incoming = new ArrayList<>(records.size());
        for (Exchange record : records) {
            incoming.add(incoming(record.getIn(), source));
        }
        EventInbox.Received stored = null;
        if (processor != null) {
            try {
                stored = inbox.receiveAndApply(incoming, processor::mapForBatch);
            } catch (RuntimeException e) {
                LOG.warn("A poll of {} records of source {} could not be stored and applied in one transaction ({}): storing it, then"
                        + " processing its events on their own", records.size(), source, e.getMessage());
            }
        }
        if (stored == null) {
            stored = inbox.receiveAll(incoming, true);
        }
        exchange.setVariable(CLAIMED, stored.claimed());
        List<EventInbox.Receipt> receipts = stored.receipts();
        int received = 0;
        for (int i = 0; i < receipts.size(); i++) {
            EventInbox.Incoming event = incoming.get(i);
            EventInbox.Receipt receipt = receipts.get(i);
            if (receipt.duplicate()) {
                LOG.debug("{} was stored before (event {}): committing its offset", event.origin(), receipt.eventId());
            } else if (event.reason() != null) {
                metrics.record(source, "rejected", 1);
                LOG.warn("{} of source {} rejected: {} (event {})", event.origin(), source, event.reason(), receipt.eventId());
            } else {
                received++;
            }
        }
        if (received > 0) {
            metrics.record(source, "received", received);
        }
        if (!stored.applied().isEmpty()) {
            processor.reportAll(stored.applied());
        }
    }

    /**
     * Commits a stored batch's offsets, synchronously: for each partition, the offset after its last
     * record in the batch (the batch is durable: {@link #receiveAll} committed it).
     */
    public void commitAll(Exchange exchange) {
        java.util.Map<String, Exchange> lastOfPartition = new java.util.LinkedHashMap<>();
        for (Exchange record : records(exchange)) {
            Message in = record.getIn();
            lastOfPartition.put(in.getHeader(KafkaConstants.TOPIC, String.class) + "/" + in.getHeader(KafkaConstants.PARTITION, Integer.class),
                    record);
        }
        for (Exchange last : lastOfPartition.values()) {
            commit(last);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Exchange> records(Exchange exchange) {
        Object body = exchange.getIn().getBody();
        if (!(body instanceof List<?> list)) {
            throw new IllegalStateException("the Kafka source needs batching=true: its body is one exchange per record");
        }
        return (List<Exchange>) list;
    }

    /** A record as an event to store: checked here, never in a deserializer (RELIABILITY.md). */
    private EventInbox.Incoming incoming(Message in, String source) {
        String topic = in.getHeader(KafkaConstants.TOPIC, String.class);
        Integer partition = in.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = in.getHeader(KafkaConstants.OFFSET, Long.class);
        String key = in.getHeader(KafkaConstants.KEY, String.class);
        String eventKey = topic + "/" + partition + "/" + offset;
        String origin = "kafka topic " + topic + " partition " + partition + " offset " + offset;
        byte[] value = in.getBody(byte[].class);
        if (value == null) {
            return rejected(source, eventKey, origin, "", "tombstone (null value) for key " + key
                    + ": LearnBridge takes no deletes from Kafka; send the worker with status TERMINATED instead");
        }
        if (value.length > maxRecordBytes) {
            return rejected(source, eventKey, origin, "", "record of " + value.length + " bytes is over the limit of " + maxRecordBytes
                    + " bytes (learnbridge.kafka.maxRecordBytes)");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return rejected(source, eventKey, origin, "", "value is not valid UTF-8");
        }
        String problem = jsonProblem(text);
        return problem == null ? new EventInbox.Incoming(source, EventInbox.Channel.KAFKA, eventKey, origin, text, null, null)
                : rejected(source, eventKey, origin, text, problem);
    }

    private static EventInbox.Incoming rejected(String source, String eventKey, String origin, String body, String reason) {
        return new EventInbox.Incoming(source, EventInbox.Channel.KAFKA, eventKey, origin, body, null, reason);
    }

    /** Commits the offset after this record, synchronously. */
    private static void commit(Exchange exchange) {
        KafkaManualCommit manual = exchange.getIn().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (manual == null) {
            throw new IllegalStateException("no manual commit on the exchange: the Kafka source needs allowManualCommit=true");
        }
        manual.commit();
    }

    /** Null when the value is one JSON object: checked token by token, no tree built (the event is parsed again when processed). */
    private static String jsonProblem(String text) {
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(text)) {
            com.fasterxml.jackson.core.JsonToken first = parser.nextToken();
            parser.skipChildren();
            return first == com.fasterxml.jackson.core.JsonToken.START_OBJECT ? null : "value is JSON but not an object";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "value is not JSON: " + e.getOriginalMessage().lines().findFirst().orElse("");
        } catch (java.io.IOException e) {
            return "value is not JSON: " + e.getMessage();
        }
    }
}
