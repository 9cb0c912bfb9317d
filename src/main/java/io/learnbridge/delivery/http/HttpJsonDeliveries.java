package io.learnbridge.delivery.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.support.SettingsException;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.EnrolmentOutbox;
import io.learnbridge.delivery.OAuth2ClientCredentials;
import io.learnbridge.delivery.OAuth2TokenException;
import io.learnbridge.delivery.Sent;
import io.learnbridge.delivery.TargetBatch;
import io.learnbridge.delivery.TargetHttp;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean {@code httpJsonDeliveries}: the REST JSON adapter. Each delivery sends the worker's newest
 * state (deliver state, not events) through {@code mappings/targets/<target>.mapping.yaml} as a JSON
 * upsert to {@code <url>/<worker id>} (PUT by default), up to {@code learnbridge.delivery.parallelism}
 * at once on the target's own threads and connections. 2xx: delivered. No answer, 408, 429 and 5xx:
 * parked in the store until the next attempt ({@code Retry-After} honoured) until the retry budget is
 * spent, then the exception queue; any other answer: the exception queue at once, with the target's
 * answer. Authentication: {@code learnbridge.targets.<t>.token} (bearer) or OAuth 2.0 client
 * credentials ({@code learnbridge.targets.<t>.oauth2.*}).
 */
public final class HttpJsonDeliveries extends io.learnbridge.delivery.TargetAdapterSupport<HttpJsonDeliveries.Target> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpJsonDeliveries.class);
    private static final ContentType JSON = ContentType.APPLICATION_JSON.withCharset(StandardCharsets.UTF_8);

    /** One target's settings and its own client and threads. */
    record Target(String name, URI url, String method, String bearer, OAuth2ClientCredentials oauth2, int batchSize,
                  CloseableHttpClient http, ExecutorService threads) implements Configured {
    }

    /** One answer: {@code status} null when there was none; {@code authorization} the header it was sent with. */
    /** Characters of a refused request's answer kept for its exception entry's excerpt. */
    private static final int MAX_KEPT_BODY = 64 * 1024;

    private record Answer(Integer status, String body, Duration retryAfter, String detail, String authorization) {

        boolean ok() {
            return status != null && status >= 200 && status < 300;
        }

        boolean isTransient() {
            return io.learnbridge.delivery.TargetFailure.retryable(status);
        }
    }

    /** @param enrolments the enrolment outbox, or null when this bridge sends no enrolments */
    public HttpJsonDeliveries(DeliveryQueue queue, EnrolmentOutbox enrolments, Mappings mappings, Metrics metrics,
                              io.learnbridge.delivery.TargetSettings settings, Duration initialBackoff, Duration maxBackoff) {
        super(queue, enrolments, mappings, metrics, settings, initialBackoff, maxBackoff, true);
    }

    /** One PUT (by default) of the worker's mapped state to {@code <url>/<worker id>}. */
    @Override
    public Sent sendOne(String targetName, TargetBatch.Mapped delivery) {
        Target target = target(targetName);
        return request(target, target.method(), segment(delivery.delivery().workerId()), delivery.payload().toString());
    }

    /**
     * Enrolments: {@code PUT <url>/<worker id>/enrolments/<curriculum>} enrols (body: curriculum,
     * reason), {@code DELETE} of the same path unenrols; a 404 to a DELETE means already unenrolled.
     */
    @Override
    public Sent sendOne(String targetName, EnrolmentOutbox.Change change) {
        Target target = target(targetName);
        boolean unenrol = change.action() == EnrolmentOutbox.Action.UNENROL;
        String path = segment(change.workerId()) + "/enrolments/" + segment(change.curriculum());
        ObjectNode body = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("curriculum", change.curriculum()).put("reason", change.reason());
        Sent sent = request(target, unenrol ? "DELETE" : "PUT", path, unenrol ? null : body.toString());
        if (unenrol && sent instanceof Sent.Failed refused && Integer.valueOf(404).equals(refused.status())) {
            sent = new Sent.Delivered(404); // unenrolled already
        }
        return sent;
    }

    /**
     * The batch's deliveries, up to {@code parallelism} at once on the target's threads and connections, a
     * worker's one at a time in claim order (the newer state reaches the target last); then its enrolment changes
     * the same way, once every delivery is done (an enrolment needs its worker at the target). Returns when every
     * item has its outcome.
     */
    @Override
    public void send(String targetName, TargetBatch batch) {
        Target target = target(targetName);
        Map<String, List<TargetBatch.Mapped>> deliveries = new LinkedHashMap<>();
        for (TargetBatch.Mapped delivery : batch.toSend()) {
            deliveries.computeIfAbsent(delivery.delivery().workerId(), worker -> new ArrayList<>(1)).add(delivery);
        }
        inParallel(target, deliveries.values(), delivery -> batch.sent(delivery.delivery(), sendOne(targetName, delivery)));
        Map<String, List<EnrolmentOutbox.Change>> changes = new LinkedHashMap<>();
        for (EnrolmentOutbox.Change change : batch.enrolments()) {
            changes.computeIfAbsent(change.workerId(), worker -> new ArrayList<>(1)).add(change);
        }
        inParallel(target, changes.values(), change -> batch.sent(change, sendOne(targetName, change)));
    }

    /** Each group on the target's threads, its items one after another; returns once all are done (throws the first failure). */
    private static <I> void inParallel(Target target, java.util.Collection<List<I>> groups, java.util.function.Consumer<I> send) {
        if (groups.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> sends = new ArrayList<>(groups.size());
        for (List<I> group : groups) {
            sends.add(CompletableFuture.runAsync(() -> group.forEach(send), target.threads()));
        }
        try {
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * One request for an item, and what its answer means: 2xx taken; no answer, 408, 429 and 5xx transient; any
     * other refused (401 and 403: the bridge's credentials). An OAuth 2.0 token the authorization server refuses
     * fails the item; one it cannot issue for now counts as no answer.
     */
    private Sent request(Target target, String method, String path, String payload) {
        Answer answer;
        try {
            answer = call(target, method, path, payload);
        } catch (OAuth2TokenException e) {
            if (!e.isTransient()) {
                return new Sent.Failed(null, e.status(), e.getMessage(), "OAuth2TokenRefused", null);
            }
            answer = new Answer(null, null, null, e.getMessage(), null);
        }
        if (answer.ok()) {
            return new Sent.Delivered(answer.status());
        }
        if (answer.isTransient()) {
            return new Sent.Retry(answer.status(), answer.retryAfter(), answer.detail(), "TargetUnavailable", TargetHttp.excerpt(answer.body()),
                    answer.detail());
        }
        return new Sent.Failed(null, answer.status(), answer.detail(), io.learnbridge.delivery.TargetFailure.credentials(answer.status())
                ? "TargetCredentialsRefused" : "TargetRefused", TargetHttp.excerpt(answer.body()));
    }

    private static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One request to {@code <url>/<path>}; the OAuth 2.0 token is fetched again once after a 401. */
    private Answer call(Target target, String method, String path, String payload) {
        Answer answer = once(target, method, path, payload);
        if (answer.status() != null && answer.status() == 401 && target.oauth2() != null) {
            // an OAuth 2.0 token can be revoked before it expires: one fresh token, one more try
            target.oauth2().invalidate(answer.authorization());
            answer = once(target, method, path, payload);
        }
        return answer;
    }

    private Answer once(Target target, String method, String path, String payload) {
        String base = target.url().toString();
        URI uri = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/" + path);
        HttpUriRequestBase request = new HttpUriRequestBase(method, uri);
        request.setHeader("Accept", "application/json");
        String authorization = target.oauth2() != null ? target.oauth2().authorizationHeader() : target.bearer();
        if (authorization != null) {
            request.setHeader("Authorization", authorization);
        }
        if (payload != null) {
            request.setEntity(new StringEntity(payload, JSON));
        }
        try {
            return target.http().execute(request, response -> {
                int status = response.getCode();
                // an accepted request's body is never looked at: drained for the connection's reuse, not
                // decoded (that was most of what a delivery thread allocated); a refusal's is kept for its excerpt
                String body = null;
                if (response.getEntity() != null) {
                    if (status >= 200 && status < 300) {
                        EntityUtils.consume(response.getEntity());
                    } else {
                        body = EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8, MAX_KEPT_BODY);
                    }
                }
                boolean transientStatus = io.learnbridge.delivery.TargetFailure.retryable(status);
                String detail = "target answered HTTP " + status + (status >= 300 ? transientStatus ? " (transient)" : " (permanent)" : "");
                return new Answer(status, body, TargetHttp.retryAfter(response.getFirstHeader("Retry-After")), detail, authorization);
            });
        } catch (IOException e) {
            return new Answer(null, null, null, "cannot reach the target: " + e.getClass().getSimpleName() + ": " + e.getMessage(), authorization);
        }
    }

    @Override
    protected Target configure(String name) {
        String prefix = "learnbridge.targets." + name + ".";
        String url = settings.required(prefix + "url");
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new SettingsException(prefix + "url", "is not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
            throw new SettingsException(prefix + "url", "must be the target's http(s) URL; the worker id is appended as the last path segment");
        }
        String method = settings.choice(prefix + "method");
        OAuth2ClientCredentials oauth2 = settings.text(prefix + "oauth2.clientId").isPresent() ? settings.oauth2(prefix + "oauth2.") : null;
        String bearer = settings.text(prefix + "token").map(token -> "Bearer " + token).orElse(null);
        int batchSize = settings.integer(prefix + "batchSize", settings.integer("learnbridge.delivery.batchSize"), 1, 10_000);
        int parallelism = settings.integer(prefix + "parallelism", settings.integer("learnbridge.delivery.parallelism"), 1, 256);
        CloseableHttpClient http = TargetHttp.client(settings.connectTimeout(), settings.responseTimeout(), parallelism, settings.rateLimit(name),
                breaker(name));
        AtomicInteger thread = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "learnbridge-deliver-" + name + "-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LOG.info("REST JSON target {}: {} {}/<worker id> (batches of {}, {} at once)", name, method, uri, batchSize, parallelism);
        return new Target(name, uri, method, bearer, oauth2, batchSize, http, threads);
    }

    /** Lets the sends in flight finish (up to 30 s), then closes each target's threads and connections. */
    @Override
    public void close() throws IOException {
        for (Target target : configured()) {
            target.threads().shutdown();
            try {
                if (!target.threads().awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    LOG.warn("target {}: deliveries still in flight after 30 s are left claimed; the next start sends them again", target.name());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            target.threads().shutdownNow();
            target.http().close();
        }
        forget();
    }
}
