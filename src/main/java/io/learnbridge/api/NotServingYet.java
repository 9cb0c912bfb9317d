package io.learnbridge.api;

import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * The bridge's HTTP port listens a moment before its routes are on it (at startup) and after they
 * are gone (at shutdown, while deliveries settle). Vert.x answers {@code 404 Resource not found}
 * then, which an HR system takes as "this webhook URL does not exist": most give up on the event.
 * Until every route has started, and once the bridge is stopping, every request is answered
 * {@code 503} with {@code Retry-After}, which senders (and load balancers) retry. The first handler
 * of the server's router after the body timeout's.
 */
public final class NotServingYet implements StartupListener {

    static final String RETRY_AFTER_SECONDS = "5";

    private final int port;
    private volatile boolean installed;

    public NotServingYet(int port) {
        this.port = port;
    }

    /**
     * Called before the HTTP server is created: it binds its router and starts listening right after,
     * within the same call, and Camel has no hook in between. A watcher looks for the router every
     * millisecond from here, so the guard is on the router before the listening socket takes its first
     * request (the server's listen is a round trip through the Vert.x event loop).
     */
    @Override
    public void onCamelContextStarting(CamelContext context, boolean alreadyStarted) {
        if (alreadyStarted || installed) {
            return;
        }
        Thread watcher = new Thread(() -> {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
            while (!installed && !context.isStarted() && System.nanoTime() < deadline) {
                if (install(context)) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }, "learnbridge-http-not-serving-yet");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The routes are starting: the server is up (when there is one), the guard goes on now if it is not yet. */
    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        if (!alreadyStarted) {
            install(context);
        }
    }

    private synchronized boolean install(CamelContext context) {
        if (installed) {
            return true;
        }
        Router router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            return false; // no HTTP server (camel.server.enabled=false), or not yet
        }
        installed = true;
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            if (context.isStarted() && !context.isStopping()) {
                ctx.next();
                return;
            }
            ctx.response().setStatusCode(503).putHeader("Retry-After", RETRY_AFTER_SECONDS)
                    .putHeader("Content-Type", "application/json")
                    .end("{\"error\":\"LearnBridge is " + (context.isStopping() ? "stopping" : "starting")
                            + ": nothing was stored, send again later\"}");
        });
        return true;
    }
}
