package io.learnbridge.delivery;

/**
 * The one rule for what a target's answer means when it is not a success, used by every adapter
 * (REST JSON, SCIM, Moodle, xAPI), by the OAuth 2.0 token client and by the circuit breakers:
 *
 * <table>
 *   <tr><th>answer</th><th>kind</th><th>what happens</th></tr>
 *   <tr><td>none (connection refused or reset, timeout), HTTP 408, 429, 5xx</td><td>{@link #RETRY}</td>
 *       <td>kept in the store and tried again ({@code Retry-After} honoured) until the retry budget is spent</td></tr>
 *   <tr><td>HTTP 401, 403</td><td>{@link #CREDENTIALS}</td>
 *       <td>the exception queue, as credentials refused: no record would get through until they are fixed</td></tr>
 *   <tr><td>any other status outside 2xx</td><td>{@link #REJECT}</td><td>the exception queue, as refused</td></tr>
 * </table>
 *
 * An adapter may know more about its protocol (Moodle's error codes in a 200, an xAPI 409 that is a
 * statement already stored); what it decides from the HTTP status alone comes from here.
 */
public enum TargetFailure {
    RETRY, REJECT, CREDENTIALS;

    /** The kind of a non-2xx answer; {@code status} null when there was no answer. */
    public static TargetFailure of(Integer status) {
        if (status == null || status == 408 || status == 429 || status >= 500) {
            return RETRY;
        }
        if (status == 401 || status == 403) {
            return CREDENTIALS;
        }
        return REJECT;
    }

    /** No answer (the adapters read an I/O failure as none), 408, 429 or 5xx. */
    public static boolean retryable(Integer status) {
        return of(status) == RETRY;
    }

    /** 401 or 403: the bridge's credentials or permissions are refused; no record would get through. */
    public static boolean credentials(Integer status) {
        return of(status) == CREDENTIALS;
    }

    /**
     * The service as a whole is unavailable (no answer, 429, 502, 503, 504): the rest of a batch would
     * fail the same way, while a 500 or a 408 may be about one request only.
     */
    public static boolean serviceUnavailable(Integer status) {
        return status == null || status == 429 || status == 502 || status == 503 || status == 504;
    }
}
