package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.event.EventProcessor;
import io.learnbridge.store.EventInbox;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code routes/process-events.camel.yaml}: claim, then process, again at once while claims come back full. */
class ProcessEventsRouteTest extends RouteFileTestSupport {

    /** Stands in for bean {@code events} (EventProcessor): hands out the queued claims, records what it was asked to process. */
    public static final class Events {
        final Deque<EventProcessor.Claimed> claims = new ArrayDeque<>();
        final List<List<EventInbox.Event>> processed = new ArrayList<>();
        int claimCalls;

        public EventProcessor.Claimed claim() {
            claimCalls++;
            return claims.isEmpty() ? new EventProcessor.Claimed(List.of(), false) : claims.poll();
        }

        public void processAll(List<EventInbox.Event> events) {
            processed.add(events);
        }
    }

    private final Events events = new Events();

    ProcessEventsRouteTest() {
        super("process-events.camel.yaml");
    }

    @Override
    protected java.util.Map<String, Object> beans() {
        return java.util.Map.of("events", events);
    }

    private static EventProcessor.Claimed claimed(int size, boolean full) {
        return new EventProcessor.Claimed(IntStream.range(0, size).mapToObj(i -> new EventInbox.Event(i, "hr-events",
                EventInbox.Channel.WEBHOOK, "receipt-" + i, "{}", Instant.EPOCH)).toList(), full);
    }

    private void tickOnce() throws Exception {
        tickOnce("process-events");
    }

    @Test
    void aTickClaimsAgainAtOnceWhileClaimsComeBackFullAndProcessesEachBatchInOrder() throws Exception {
        EventProcessor.Claimed first = claimed(3, true);
        EventProcessor.Claimed second = claimed(3, true);
        EventProcessor.Claimed last = claimed(1, false);
        events.claims.addAll(List.of(first, second, last, claimed(5, false)));

        tickOnce();

        assertThat(events.processed).containsExactly(first.events(), second.events(), last.events());
        assertThat(events.claimCalls).as("stops claiming after the first claim that is not full").isEqualTo(3);
    }

    @Test
    void anEmptyClaimProcessesNothingAndEndsTheTick() throws Exception {
        tickOnce();

        assertThat(events.processed).isEmpty();
        assertThat(events.claimCalls).isEqualTo(1);
    }

    @Test
    void theRouteIsTheOneTheFileDescribesWithItsStepIds() throws Exception {
        tickOnce();
        var route = context.getRoute("process-events");
        assertThat(route).isNotNull();
        assertThat(route.getConfigurationId()).isEqualTo("event-errors");
        assertThat(context.getProcessor("claim-events")).isNotNull();
        assertThat(context.getProcessor("process-events-batch")).isNotNull();
    }
}
