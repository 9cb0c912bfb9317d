package io.learnbridge.source.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.learnbridge.camel.Metrics;
import io.learnbridge.store.EventInbox;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Variable;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code kafkaIngest}: makes one Kafka record durable, then lets the route commit its offset.
 * Values arrive as bytes and are checked here (RELIABILITY.md: parse in the route, never in a
 * deserializer that fails the poll): a record that is a tombstone, too big, not UTF-8 or not a
 * JSON object is stored as rejected, with topic, partition and offset, in the exception queue;
 * every other record is stored for processing. Topic/partition/offset is the event key, so a
 * record polled again after a crash is stored once.
 */
public final class KafkaIngest {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngest.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventInbox inbox;
    private final Metrics metrics;
    private final int maxRecordBytes;

    public KafkaIngest(EventInbox inbox, Metrics metrics, int maxRecordBytes) {
        this.inbox = inbox;
        this.metrics = metrics;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** Stores the record (or its rejection); throws when the store cannot, so nothing is committed. */
    public void receive(Exchange exchange, @Variable("source") String source) {
        Message in = exchange.getIn();
        String topic = in.getHeader(KafkaConstants.TOPIC, String.class);
        Integer partition = in.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = in.getHeader(KafkaConstants.OFFSET, Long.class);
        String key = in.getHeader(KafkaConstants.KEY, String.class);
        String eventKey = topic + "/" + partition + "/" + offset;
        String origin = "kafka topic " + topic + " partition " + partition + " offset " + offset;
        byte[] value = in.getBody(byte[].class);
        EventInbox.Receipt receipt;
        if (value == null) {
            receipt = reject(source, eventKey, origin, "", "tombstone (null value) for key " + key
                    + ": LearnBridge takes no deletes from Kafka; send the worker with status TERMINATED instead");
        } else if (value.length > maxRecordBytes) {
            receipt = reject(source, eventKey, origin, "", "record of " + value.length + " bytes is over the limit of " + maxRecordBytes
                    + " bytes (learnbridge.kafka.maxRecordBytes)");
        } else {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
            } catch (CharacterCodingException e) {
                text = null;
            }
            if (text == null) {
                receipt = reject(source, eventKey, origin, "", "value is not valid UTF-8");
            } else {
                String problem = jsonProblem(text);
                receipt = problem == null
                        ? inbox.receive(source, EventInbox.Channel.KAFKA, eventKey, origin, text)
                        : reject(source, eventKey, origin, text, problem);
            }
        }
        if (receipt.duplicate()) {
            LOG.debug("{} was stored before (event {}): committing its offset", origin, receipt.eventId());
        } else {
            metrics.record(source, "received", 1);
        }
    }

    /** Commits the record's offset, synchronously, once it is durable. */
    public void commit(Exchange exchange) {
        KafkaManualCommit manual = exchange.getIn().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (manual == null) {
            throw new IllegalStateException("no manual commit on the exchange: the Kafka source needs allowManualCommit=true");
        }
        manual.commit();
    }

    private EventInbox.Receipt reject(String source, String eventKey, String origin, String body, String reason) {
        EventInbox.Receipt receipt = inbox.reject(source, EventInbox.Channel.KAFKA, eventKey, origin, body, null, reason);
        if (!receipt.duplicate()) {
            metrics.record(source, "rejected", 1);
            LOG.warn("{} of source {} rejected: {} (event {})", origin, source, reason, receipt.eventId());
        }
        return receipt;
    }

    private static String jsonProblem(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node != null && node.isObject() ? null : "value is JSON but not an object";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "value is not JSON: " + e.getOriginalMessage().lines().findFirst().orElse("");
        }
    }
}
