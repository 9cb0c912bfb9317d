package io.learnbridge.ops.bench.delivery;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The benchmark's delivery targets, in this JVM on loopback (Vert.x, HTTP/1.1): an LRS at
 * {@code POST /xAPI/statements} (a JSON array of statements, answered 200 with the array of their
 * ids, as xAPI 1.0.3 says; the only call {@link io.learnbridge.target.lrs.XapiClient} makes) and a
 * REST JSON LMS at {@code PUT /lms/workers/<id>} (answered 200). It stores nothing; it counts
 * requests, the records in them and the distinct records, so a duplicate shows.
 */
public final class LoopbackTarget implements AutoCloseable {

    public static final String LRS_PATH = "/xAPI";
    public static final String LMS_PATH = "/lms/workers";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final LongAdder requests = new LongAdder();
    private final LongAdder records = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final Set<String> distinct = ConcurrentHashMap.newKeySet();
    private int port;

    private LoopbackTarget(Vertx vertx) {
        this.vertx = vertx;
    }

    public static LoopbackTarget start() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            LoopbackTarget target = new LoopbackTarget(vertx);
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
                + "with the array of their ids), PUT " + LMS_PATH + "/<id> -> 200; nothing stored, requests and records counted";
    }

    /** Records received since the last reset (statements, or PUTs). */
    public long records() {
        return records.sum();
    }

    /** What arrived since the last reset, and starts counting afresh. */
    public synchronized Counts reset() {
        Counts counts = new Counts(requests.sumThenReset(), records.sumThenReset(), distinct.size(), refused.sumThenReset());
        distinct.clear();
        return counts;
    }

    /**
     * Requests, records in them (statements, or one per PUT), distinct records (statement ids,
     * worker paths) and requests answered other than 200.
     */
    public record Counts(long requests, long records, long distinct, long refused) {
    }

    private void handle(HttpServerRequest req) {
        requests.increment();
        if (req.method() == HttpMethod.POST && req.path().equals(LRS_PATH + "/statements")) {
            req.body().onFailure(e -> refuse(req, 400)).onSuccess(body -> statements(req, body));
        } else if (req.method() == HttpMethod.PUT && req.path().startsWith(LMS_PATH + "/")) {
            req.body().onFailure(e -> refuse(req, 400)).onSuccess(body -> {
                records.increment();
                distinct.add(req.path());
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
            records.increment();
            distinct.add(id);
        }
        req.response().setStatusCode(200).putHeader("content-type", "application/json").end(ids.toString());
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
