package io.learnbridge.event.webhook;

/**
 * A webhook request that is not authentic: answered 401, whether its signature, token or timestamp
 * is missing, wrong, stale or cannot even be parsed (a malformed header proves nothing either, and a
 * sender's monitoring should see one kind of failure, not a 400 that reads like a bad body). The
 * reason is short and safe to return to the caller and to log: it names a header or a check, never
 * a secret, a token or a signature value. No stack trace is kept: a rejection is an expected answer
 * to an untrusted request, not a fault in this code.
 */
public final class WebhookRejectedException extends RuntimeException {

    private final int status;

    private WebhookRejectedException(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    /** Not authentic: missing credentials, stale timestamp, no matching signature. */
    public static WebhookRejectedException unauthorized(String reason) {
        return new WebhookRejectedException(401, reason);
    }

    /** An auth header that is present but cannot be parsed (the reason says so; the answer is 401 all the same). */
    public static WebhookRejectedException malformed(String reason) {
        return new WebhookRejectedException(401, "malformed " + reason);
    }

    public String reason() {
        return getMessage();
    }

    /** The HTTP status to answer with: 401. */
    public int status() {
        return status;
    }
}
