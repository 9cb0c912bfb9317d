package io.learnbridge.bench.sync;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.hc.client5.http.classic.methods.HttpPut;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * The floor's sender: one PUT per changed worker to {@code <url>/<worker id>} with Apache
 * HttpClient 5 (classic, pooled, no automatic retries), {@code parallelism} in flight. A PUT that
 * gets no answer, 408, 429 or 5xx is tried again after a backoff (the bridge's: the initial one,
 * doubling, capped) until the retry budget from its first try is spent; other answers are failures
 * at once. Waiting retries hold no thread and do not hold back new PUTs (the bridge parks them in
 * its store likewise). At most {@code 4 × parallelism} PUTs wait for their first try: {@link #send}
 * blocks beyond that, so a first load of any size streams.
 */
public final class FloorSender implements AutoCloseable {

    private static final ContentType JSON = ContentType.APPLICATION_JSON.withCharset(StandardCharsets.UTF_8);

    private final URI base;
    private final SyncOptions options;
    private final CloseableHttpClient http;
    private final ExecutorService threads;
    private final ScheduledExecutorService retries;
    /** Permits for PUTs waiting for their first try. */
    private final Semaphore queued;
    /** PUTs not yet delivered or given up, retries included; guarded by {@code this}. */
    private long unsettled;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder attempts = new LongAdder();

    public FloorSender(URI base, SyncOptions options) {
        this.base = base;
        this.options = options;
        int parallelism = options.parallelism();
        Timeout timeout = Timeout.ofSeconds(30);
        this.http = HttpClients.custom()
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(parallelism)
                        .setMaxConnPerRoute(parallelism)
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(5)).setSocketTimeout(timeout).build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(timeout).build())
                .build();
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(parallelism, r -> daemon(r, "floor-put-" + n.incrementAndGet()));
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "floor-put-retries"));
        this.queued = new Semaphore(4 * parallelism);
    }

    /** Queues one PUT; blocks while too many wait for their first try. */
    public void send(String workerId, String payload) throws InterruptedException {
        queued.acquire();
        synchronized (this) {
            unsettled++;
        }
        Put put = new Put(workerId, payload, System.nanoTime());
        threads.execute(() -> attempt(put, 0));
    }

    /** Waits until every PUT queued so far is delivered or given up. */
    public synchronized void awaitAll() throws InterruptedException {
        while (unsettled > 0) {
            wait();
        }
    }

    private synchronized void settled() {
        if (--unsettled == 0) {
            notifyAll();
        }
    }

    public long delivered() {
        return delivered.sum();
    }

    public long failed() {
        return failed.sum();
    }

    long attempts() {
        return attempts.sum();
    }

    /** Counts afresh (between phases). */
    void reset() {
        delivered.reset();
        failed.reset();
        attempts.reset();
    }

    private record Put(String workerId, String payload, long firstTryNanos) {
    }

    private void attempt(Put put, int tries) {
        attempts.increment();
        Integer status = put(put);
        if (tries == 0) {
            queued.release();
        }
        if (status != null && status >= 200 && status < 300) {
            delivered.increment();
            settled();
            return;
        }
        boolean retryable = status == null || status == 408 || status == 429 || status >= 500;
        long elapsed = System.nanoTime() - put.firstTryNanos();
        if (!retryable || elapsed > options.retryBudget().toNanos()) {
            failed.increment();
            settled();
            return;
        }
        long delay = Math.min(options.maxBackoff().toMillis(), options.initialBackoff().toMillis() << Math.min(20, tries));
        retries.schedule(() -> threads.execute(() -> attempt(put, tries + 1)), delay, TimeUnit.MILLISECONDS);
    }

    /** The answer's status, null when there was none. */
    private Integer put(Put put) {
        HttpPut request = new HttpPut(base + "/" + URLEncoder.encode(put.workerId(), StandardCharsets.UTF_8).replace("+", "%20"));
        request.setHeader("Accept", "application/json");
        request.setEntity(new StringEntity(put.payload(), JSON));
        try {
            return http.execute(request, response -> {
                if (response.getEntity() != null) {
                    EntityUtils.consume(response.getEntity());
                }
                return response.getCode();
            });
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        retries.shutdownNow();
        threads.shutdownNow();
        http.close();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
