package io.learnbridge.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.learnbridge.exception.Replayer;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionQueue;
import io.learnbridge.store.Reconciliation;
import java.util.Locale;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * Bean {@code exceptionsApi}: the JSON answers of {@code /api/exceptions...} and
 * {@code /api/drops/{id}}. The same operations as the CLI's {@code exceptions} commands.
 */
public final class ExceptionsApi {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final ExceptionQueue queue;
    private final Replayer replayer;
    private final Reconciliation reconciliation;

    public ExceptionsApi(ExceptionQueue queue, Replayer replayer, Reconciliation reconciliation) {
        this.queue = queue;
        this.replayer = replayer;
        this.reconciliation = reconciliation;
    }

    public String list(@Header("status") String status, @Header("drop") Long drop, @Header("target") String target,
                       @Header("source") String source, @Header("worker") String worker, @Header("limit") Integer limit) throws Exception {
        ExceptionEntry.Status s = status == null || status.equalsIgnoreCase("all") ? (status == null ? ExceptionEntry.Status.OPEN : null)
                : ExceptionEntry.Status.valueOf(status.toUpperCase(Locale.ROOT));
        String workerId = worker == null || worker.isBlank() ? null : worker.strip();
        if (limit != null && (limit < 1 || limit > 10_000)) {
            throw new IllegalArgumentException("limit must be from 1 to 10000"); // answered 400 (route configuration api-errors)
        }
        return JSON.writeValueAsString(queue.list(new ExceptionQueue.Filter(s, drop, target, source, workerId, limit == null ? 100 : limit)));
    }

    public String show(@Header("id") long id, Exchange exchange) throws Exception {
        return queue.get(id).map(this::write).orElseGet(() -> notFound(exchange, "no exception " + id));
    }

    public String replay(@Header("id") long id) throws Exception {
        return JSON.writeValueAsString(replayer.replay(id));
    }

    public String replayAll(@Header("drop") Long drop, @Header("target") String target, Exchange exchange) throws Exception {
        if (drop == null && target == null) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 400);
            return "{\"error\":\"name what to replay: ?drop=<id> or ?target=<name>\"}";
        }
        return JSON.writeValueAsString(replayer.replayAll(new ExceptionQueue.Filter(ExceptionEntry.Status.OPEN, drop, target, null, null, 100_000)));
    }

    public String drop(@Header("id") long id, Exchange exchange) {
        return reconciliation.forDrop(id).map(this::write).orElseGet(() -> notFound(exchange, "no drop " + id));
    }

    private String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String notFound(Exchange exchange, String message) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
        return "{\"error\":\"" + message + "\"}";
    }
}
