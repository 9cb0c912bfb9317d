package io.learnbridge.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.MappingFiles;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.EventInbox;
import io.learnbridge.store.Store;
import io.learnbridge.store.StoreException;
import io.learnbridge.worker.ChangeDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bean {@code events} applies a claimed batch of stored events in one transaction; when the store
 * refuses one event of a batch, the others are still applied and only that one waits for its
 * claim to expire.
 */
class EventProcessorTest {

    /** delivery.target is varchar(100): a delivery to this target is refused by the store. */
    private static final String UNSTORABLE_TARGET = "t".repeat(101);

    @TempDir
    Path dir;

    private Store store;
    private EventInbox inbox;
    private EventProcessor events;
    private DefaultCamelContext camel;

    @BeforeEach
    void start() throws Exception {
        store = Store.open("jdbc:h2:file:" + dir.resolve("store") + ";WRITE_DELAY=0", "sa", "", 2);
        inbox = new EventInbox(store, "a", Duration.ofMinutes(1));
        // source "broken" maps like hr-events and delivers to a target the store cannot queue
        Path mappings = dir.resolve("mappings");
        for (Map.Entry<String, String> f : MappingFiles.load("classpath:mappings").files().entrySet()) {
            Path file = mappings.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
        }
        Files.copy(mappings.resolve("sources/hr-events.mapping.yaml"), mappings.resolve("sources/broken.mapping.yaml"));
        camel = new DefaultCamelContext();
        camel.getRegistry().bind("meters", new SimpleMeterRegistry());
        events = new EventProcessor(inbox, Mappings.load("file:" + mappings), source -> source.equals("broken") ? List.of(UNSTORABLE_TARGET)
                : List.of("lms"), new Metrics(camel), 10, source -> new ChangeDetector(false));
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
        camel.close();
    }

    @Test
    void aBatchIsMappedAndAppliedAndAFullClaimSaysSo() {
        for (int i = 1; i <= 12; i++) {
            receive("hr-events", "E" + i, "Worker" + i);
        }
        receive("hr-events", "E13", null); // no email: rejected by the mapping

        EventProcessor.Claimed first = events.claim();
        assertThat(first.size()).isEqualTo(10);
        assertThat(first.full()).isTrue();
        events.processAll(first.events());
        EventProcessor.Claimed rest = events.claim();
        assertThat(rest.full()).isFalse();
        events.processAll(rest.events());

        assertThat(inbox.count("hr-events", "APPLIED")).isEqualTo(12);
        assertThat(inbox.count("hr-events", "REJECTED")).isEqualTo(1);
        assertThat(new DeliveryQueue(store, "a", Duration.ofMinutes(1)).count("lms", "PENDING")).isEqualTo(12);
    }

    @Test
    void anEventTheStoreRefusesHoldsBackOnlyItselfWhenItsBatchIsAppliedOneByOne() {
        receive("hr-events", "E1", "Ada");
        receive("broken", "E2", "Grace");
        receive("hr-events", "E3", "Linus");

        events.processAll(events.claim().events());

        assertThat(inbox.count("hr-events", "APPLIED")).isEqualTo(2);
        assertThat(new DeliveryQueue(store, "a", Duration.ofMinutes(1)).count("lms", "PENDING")).isEqualTo(2);
        assertThat(inbox.count("broken", "PROCESSING")).as("left claimed: processed again when its claim expires").isEqualTo(1);
    }

    @Test
    void anEventTheStoreRefusesOnItsOwnFailsTheRoute() {
        receive("broken", "E2", "Grace");

        assertThatThrownBy(() -> events.processAll(events.claim().events())).isInstanceOf(StoreException.class);
        assertThat(inbox.count("broken", "PROCESSING")).isEqualTo(1);
    }

    private void receive(String source, String workerId, String firstName) {
        String email = firstName == null ? "" : ", \"email\": \"" + firstName.toLowerCase() + "@example.com\"";
        inbox.receive(source, EventInbox.Channel.WEBHOOK, "id:" + source + workerId, "webhook " + workerId, """
                {"effectiveAt": "2026-11-28T09:00:00Z", "worker": {"id": "%s", "firstName": "%s", "lastName": "Test", "status": "active"%s}}"""
                .formatted(workerId, firstName == null ? "X" : firstName, email));
    }
}
