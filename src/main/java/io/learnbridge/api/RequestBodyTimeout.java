package io.learnbridge.api;

import io.vertx.ext.web.Router;
import java.time.Duration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request to the bridge's HTTP port (webhooks, API, sandbox) must have sent its whole body
 * within {@code learnbridge.http.bodyTimeout} of its headers: a caller trickling a body a byte a
 * second held a worker and a connection for as long as it liked (400 such callers held the port).
 * Past the timeout the request is answered 408 and its connection closed. The first handler of
 * the server's router, for every path.
 */
public final class RequestBodyTimeout implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodyTimeout.class);

    private final int port;
    private final Duration timeout;

    public RequestBodyTimeout(int port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        if (alreadyStarted) {
            return;
        }
        Router router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            return; // no HTTP server (camel.server.enabled=false)
        }
        long millis = Math.max(1, timeout.toMillis());
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            var request = ctx.request();
            long timer = ctx.vertx().setTimer(millis, id -> {
                if (request.isEnded()) {
                    return;
                }
                LOG.warn("HTTP {} {} from {}: its body was not received within {} ms; answered 408 and closed",
                        request.method(), request.path(), request.remoteAddress(), millis);
                if (!ctx.response().headWritten()) {
                    ctx.response().setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                            .end("{\"error\":\"the request body was not received within " + millis + " ms\"}");
                }
                request.connection().close();
            });
            ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
            ctx.next();
        });
    }
}
