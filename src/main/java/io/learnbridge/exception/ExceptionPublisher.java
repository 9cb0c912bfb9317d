package io.learnbridge.exception;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.store.ExceptionEntry;
import io.learnbridge.store.ExceptionFeed;
import java.util.List;

/**
 * Bean {@code exceptionFeed}: what Kamelet {@code learnbridge-exception-feed-source} offers (e.g. to a Kafka dead-letter topic). Each
 * exception-queue entry becomes one JSON message with its fixed context fields (the stored
 * source record only when asked for: it holds personal data).
 */
public final class ExceptionPublisher {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ExceptionFeed feed;

    public ExceptionPublisher(ExceptionFeed feed) {
        this.feed = feed;
    }

    public List<ExceptionEntry> next(String name) {
        return feed.next(name, 100);
    }

    public String toJson(ExceptionEntry e, boolean includeRecord) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", e.id());
        node.put("kind", e.kind().name());
        node.put("stage", e.stage());
        node.put("source", e.source());
        node.put("origin", e.origin());
        node.put("eventId", e.eventId());
        node.put("dropId", e.dropId());
        node.put("file", e.fileName());
        node.put("line", e.line());
        node.put("workerId", e.workerId());
        node.put("field", e.field());
        node.put("target", e.target());
        node.put("reason", e.reason());
        node.put("attempts", e.attempts());
        node.put("httpStatus", e.httpStatus());
        node.put("createdAt", e.createdAt() == null ? null : e.createdAt().toString());
        if (includeRecord) {
            node.put("sourceRecord", e.sourceRecord());
        }
        return node.toString();
    }

    /** The message key: the worker id when known, so one worker's exceptions stay in order. */
    public String key(ExceptionEntry e) {
        return e.workerId() != null ? e.workerId() : e.source();
    }

    public void published(String name, ExceptionEntry e) {
        feed.advance(name, e.id());
    }
}
