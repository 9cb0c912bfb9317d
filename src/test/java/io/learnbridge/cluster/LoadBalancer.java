package io.learnbridge.cluster;

import static io.learnbridge.testing.EventWorld.NEW_SECRET;
import static io.learnbridge.testing.EventWorld.SOURCE;
import static io.learnbridge.testing.EventWorld.event;
import static io.learnbridge.testing.EventWorld.signed;

import io.learnbridge.testing.BridgeProcess;
import io.learnbridge.testing.EventWorld;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Sends webhooks to several bridges as a load balancer in front of them would: each to its instance, and when that
 * one does not accept it (stopped, killed, not ready: refused connection or 503), to the other, until one answers 202.
 */
final class LoadBalancer {

    private final EventWorld world;

    LoadBalancer(EventWorld world) {
        this.world = world;
    }

    /** Sends worker {@code worker}'s signed change to {@code first}, else {@code other}, in turn, for up to 2 minutes. */
    void send(String worker, BridgeProcess first, BridgeProcess other, Instant at) throws Exception {
        byte[] body = event(worker, "Engineer", at).getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        BridgeProcess to = first;
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> answer = world.post(to.port(), SOURCE, body, signed(NEW_SECRET, "evt-" + worker, Instant.now(), body));
                if (answer.statusCode() == 202) {
                    return;
                }
                last = answer.statusCode() + " " + answer.body();
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            to = to == first ? other : first;
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError("webhook of " + worker + " not accepted by either instance within 2 minutes; last answer: " + last);
    }
}
