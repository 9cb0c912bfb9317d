package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.event.kafka.KafkaIngest;
import io.learnbridge.store.EventInbox;
import io.learnbridge.store.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Variable;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * {@code routes/ingest-kafka.camel.yaml}: a poll is stored first, its offsets are committed only once it is
 * stored, and the events stored claimed with it are processed last. A poll that cannot be stored is retried in
 * place by the policy {@code kafka-errors} of {@code routes/errors.camel.yaml}, then fails back to the consumer:
 * its offsets are never committed and nothing is processed, so the consumer reads it again.
 */
class IngestKafkaRouteTest extends RouteFileTestSupport {

    /** What the route called, in order, on both beans. */
    private final List<String> calls = new ArrayList<>();

    /**
     * Stands in for bean {@code kafkaIngest} (KafkaIngest): records the poll it was asked to store and commit; the
     * first {@code storeFailures} stores throw as the real one does when the store is down, and a stored poll leaves
     * {@code claimed} in the variable the route reads.
     */
    public final class Kafka {
        int storeFailures;
        List<EventInbox.Event> claimed = List.of();

        public void receiveAll(Exchange exchange, @Variable("source") String source) {
            calls.add("store " + source + " " + offsets(exchange));
            if (storeFailures > 0) {
                storeFailures--;
                throw new StoreException("connection refused", null);
            }
            exchange.setVariable(KafkaIngest.CLAIMED, claimed);
        }

        public void commitAll(Exchange exchange) {
            calls.add("commit " + offsets(exchange));
        }
    }

    /** Stands in for bean {@code events} (EventProcessor): records the events it was asked to process now. */
    public final class Events {

        public void processNow(List<EventInbox.Event> events) {
            calls.add("process " + events.stream().map(EventInbox.Event::id).toList());
        }
    }

    private final Kafka kafka = new Kafka();

    IngestKafkaRouteTest() {
        super("ingest-kafka.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("kafkaIngest", kafka, "events", new Events());
    }

    /** The offsets of the poll in the exchange's body (one exchange per record, as the Kafka source batches them). */
    @SuppressWarnings("unchecked")
    private static List<Long> offsets(Exchange exchange) {
        return ((List<Exchange>) exchange.getIn().getBody(List.class)).stream()
                .map(record -> record.getIn().getHeader(KafkaConstants.OFFSET, Long.class)).toList();
    }

    /** Sends a poll of records at {@code offsets} of source hr-events, as the Kamelet hands it on. */
    private Exchange poll(long... offsets) throws Exception {
        context.start();
        List<Exchange> records = new ArrayList<>();
        for (long offset : offsets) {
            Exchange record = new DefaultExchange(context);
            record.getIn().setHeader(KafkaConstants.TOPIC, "hr-events");
            record.getIn().setHeader(KafkaConstants.PARTITION, 0);
            record.getIn().setHeader(KafkaConstants.OFFSET, offset);
            record.getIn().setBody(("{\"id\":\"E" + offset + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            records.add(record);
        }
        return template.request("direct:ingest-kafka", e -> {
            e.setVariable("source", "hr-events");
            e.getIn().setBody(records);
        });
    }

    private static EventInbox.Event event(long id) {
        return new EventInbox.Event(id, "hr-events", EventInbox.Channel.KAFKA, "kafka topic hr-events partition 0 offset " + id, "{}",
                Instant.EPOCH);
    }

    @Test
    void aPollIsStoredThenCommittedThenItsClaimedEventsAreProcessed() throws Exception {
        kafka.claimed = List.of(event(11), event(12));

        Exchange done = poll(5, 6, 7);

        assertThat(done.getException()).isNull();
        assertThat(calls).containsExactly("store hr-events [5, 6, 7]", "commit [5, 6, 7]", "process [11, 12]");
    }

    @Test
    void aStoreThatFailsOnceIsRetriedInPlaceAndThePollCommittedOnce() throws Exception {
        kafka.storeFailures = 1;

        Exchange done = poll(5, 6);

        assertThat(done.getException()).isNull();
        assertThat(calls).containsExactly("store hr-events [5, 6]", "store hr-events [5, 6]", "commit [5, 6]", "process []");
    }

    @Test
    void aPollThatCannotBeStoredIsNeverCommittedAndFailsBackToTheConsumer() throws Exception {
        kafka.storeFailures = Integer.MAX_VALUE;

        Exchange done = poll(5, 6);

        assertThat(done.getException()).as("the consumer seeks back to the poll (breakOnFirstError)").isInstanceOf(StoreException.class);
        assertThat(calls).as("retried in place, never committed, nothing processed").allMatch(call -> call.equals("store hr-events [5, 6]"));
        // kafka-errors in errors.camel.yaml: maximumRedeliveries 3, so the first try and three retries
        assertThat(calls).hasSize(4);
    }
}
