package io.learnbridge.bench.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The benchmark's delivery targets, in this JVM on loopback (Vert.x, HTTP/1.1): an LRS at
 * {@code POST /xAPI/statements} (a JSON array of statements, answered 200 with the array of their
 * ids, as xAPI 1.0.3 says; the only call {@link io.learnbridge.delivery.lrs.XapiClient} makes) and a
 * REST JSON LMS at {@code PUT /lms/workers/<id>} (answered 200). It stores nothing; it counts
 * requests, the records in them and the distinct records, so a duplicate shows, and keeps the time
 * the last record arrived. Started with a fail percentage, it answers that share of the LMS PUTs
 * 503 instead (deterministically by their count: with 1%, the 100th, 200th, ... PUT), to measure
 * what faults cost; those are counted apart and are neither records nor refusals.
 */
public final class LoopbackTarget implements AutoCloseable {

    public static final String LRS_PATH = "/xAPI";
    public static final String LMS_PATH = "/lms/workers";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final LongAdder requests = new LongAdder();
    private final LongAdder records = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder injected = new LongAdder();
    private final AtomicLong puts = new AtomicLong();
    private final AtomicLong lastRecordNanos = new AtomicLong();
    private final AtomicReference<Instant> lastRecordAt = new AtomicReference<>();
    private final Set<String> distinct = ConcurrentHashMap.newKeySet();
    private final int failPercent;
    private int port;

    private LoopbackTarget(Vertx vertx, int failPercent) {
        this.vertx = vertx;
        this.failPercent = failPercent;
    }

    public static LoopbackTarget start() throws Exception {
        return start(0);
    }

    /** @param failPercent share of the LMS PUTs answered 503, 0 to 100 */
    public static LoopbackTarget start(int failPercent) throws Exception {
        if (failPercent < 0 || failPercent > 100) {
            throw new IllegalArgumentException("fail percent must be from 0 to 100, found " + failPercent);
        }
        Vertx vertx = Vertx.vertx();
        try {
            LoopbackTarget target = new LoopbackTarget(vertx, failPercent);
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
                    .requestHandler(target::handle);
            server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            target.port = server.actualPort();
            return target;
        } catch (Exception e) {
            vertx.close();
            throw e;
        }
    }

    /** The xAPI endpoint, as {@code learnbridge.targets.<t>.url} (the client appends {@code /statements}). */
    public URI lrsUrl() {
        return URI.create("http://127.0.0.1:" + port + LRS_PATH);
    }

    /** The LMS base URL, as {@code learnbridge.targets.lms.url} (the worker id is appended). */
    public URI lmsUrl() {
        return URI.create("http://127.0.0.1:" + port + LMS_PATH);
    }

    public String description() {
        return "Vert.x HTTP/1.1 on 127.0.0.1:" + port + " in this JVM: POST " + LRS_PATH + "/statements (JSON array of statements -> 200 "
                + "with the array of their ids), PUT " + LMS_PATH + "/<id> -> 200" + (failPercent == 0 ? ""
                : " (" + failPercent + "% of them answered 503 instead, spread evenly by count)")
                + "; nothing stored, requests and records counted";
    }

    /** {@link System#nanoTime} when the last record arrived since the last reset; 0 when none did. */
    public long lastRecordNanos() {
        return lastRecordNanos.get();
    }

    /** The wall-clock time the last record arrived since the last reset; null when none did. */
    public Instant lastRecordAt() {
        return lastRecordAt.get();
    }

    /** Records received since the last reset (statements, or PUTs). */
    public long records() {
        return records.sum();
    }

    /** What arrived since the last reset, and starts counting afresh. */
    public synchronized Counts reset() {
        Counts counts = new Counts(requests.sumThenReset(), records.sumThenReset(), distinct.size(), refused.sumThenReset(),
                injected.sumThenReset());
        distinct.clear();
        lastRecordNanos.set(0);
        lastRecordAt.set(null);
        return counts;
    }

    /**
     * Requests, records in them (statements, or one per PUT answered 200), distinct records
     * (statement ids, worker paths), requests refused (answered 400 or 404) and PUTs answered 503
     * on purpose (the fail percentage).
     */
    public record Counts(long requests, long records, long distinct, long refused, long injected) {
    }

    private void handle(HttpServerRequest req) {
        requests.increment();
        if (req.method() == HttpMethod.POST && req.path().equals(LRS_PATH + "/statements")) {
            req.body().onFailure(e -> refuse(req, 400)).onSuccess(body -> statements(req, body));
        } else if (req.method() == HttpMethod.PUT && req.path().startsWith(LMS_PATH + "/")) {
            req.body().onFailure(e -> refuse(req, 400)).onSuccess(body -> {
                if (injectFault()) {
                    injected.increment();
                    req.response().setStatusCode(503).putHeader("content-type", "application/json").end("{\"error\":\"injected\"}");
                    return;
                }
                distinct.add(req.path());
                arrived();
                req.response().setStatusCode(200).putHeader("content-type", "application/json").end("{}");
            });
        } else {
            refuse(req, 404);
        }
    }

    private void statements(HttpServerRequest req, Buffer body) {
        JsonNode batch;
        try {
            batch = JSON.readTree(body.getBytes());
        } catch (IOException e) {
            refuse(req, 400);
            return;
        }
        if (!batch.isArray()) {
            refuse(req, 400);
            return;
        }
        ArrayNode ids = JSON.createArrayNode();
        for (JsonNode statement : batch) {
            String id = statement.path("id").asText();
            ids.add(id);
            distinct.add(id);
            arrived();
        }
        req.response().setStatusCode(200).putHeader("content-type", "application/json").end(ids.toString());
    }

    /** The n-th PUT fails when floor(n × percent / 100) steps up at n: evenly spread, the same on every run. */
    private boolean injectFault() {
        if (failPercent == 0) {
            return false;
        }
        long n = puts.incrementAndGet();
        return n * failPercent / 100 != (n - 1) * failPercent / 100;
    }

    private void arrived() {
        // the time first: whoever sees the count reach what it waits for sees this record's time
        lastRecordNanos.set(System.nanoTime());
        lastRecordAt.set(Instant.now());
        records.increment();
    }

    private void refuse(HttpServerRequest req, int status) {
        refused.increment();
        req.response().setStatusCode(status).end();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
