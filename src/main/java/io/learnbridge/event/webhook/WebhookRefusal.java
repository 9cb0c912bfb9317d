package io.learnbridge.event.webhook;

/**
 * A webhook request refused before anything was stored, with the HTTP answer it gets: 400
 * (not JSON), 401 (not authentic), 404 (no such source), 413 (too big), 429 (over the rate,
 * with Retry-After seconds). No stack trace: refusals are expected traffic.
 */
public final class WebhookRefusal extends RuntimeException {

    private final int status;
    private final Integer retryAfterSeconds;

    public WebhookRefusal(int status, String reason, Integer retryAfterSeconds) {
        super(reason, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
