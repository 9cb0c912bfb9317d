package io.learnbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.learnbridge.mapping.Lineage;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.store.WorkerHistory;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * Bean {@code workersApi}: a worker's audit trail over HTTP ({@code GET /api/workers/{id}/history}):
 * every change received, what change detection made of it, every delivery and its outcome, and for
 * each target the lineage of every payload field (target field, canonical field, source field,
 * mapping file and line). The CLI's {@code workers history ID} prints the same.
 */
public final class WorkersApi {

    static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final WorkerHistory history;
    private final Mappings mappings;

    public WorkersApi(WorkerHistory history, Mappings mappings) {
        this.history = history;
        this.mappings = mappings;
    }

    public String history(@Header("id") String workerId, Exchange exchange) throws Exception {
        var trail = history.of(workerId);
        if (trail.isEmpty()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            return "{\"error\":\"no worker " + workerId.replaceAll("[^A-Za-z0-9_-]", "") + "\"}";
        }
        return JSON.writeValueAsString(withLineage(trail.get(), mappings));
    }

    /** The trail plus, per source and target it went through, the lineage of every payload field. */
    public static ObjectNode withLineage(WorkerHistory.Trail trail, java.util.function.Supplier<io.learnbridge.mapping.MappingCatalog> mappings) {
        ObjectNode node = JSON.valueToTree(trail);
        Set<String> sources = new LinkedHashSet<>();
        trail.changes().forEach(c -> sources.add(c.source()));
        Set<String> targets = new LinkedHashSet<>();
        trail.deliveries().forEach(d -> targets.add(d.target()));
        ObjectNode lineage = node.putObject("lineage");
        var catalog = mappings.get();
        for (String source : sources) {
            ObjectNode bySource = lineage.putObject(source);
            for (String target : targets) {
                bySource.set(target, JSON.valueToTree(Lineage.of(catalog, source, target)));
            }
        }
        return node;
    }
}
