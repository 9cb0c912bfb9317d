package io.learnbridge.api;

import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * The headers an HTTP answer of the bridge may carry (webhooks, API, sandbox): an allow-list. A
 * platform-http route's message starts with the request's headers and query parameters, and
 * whatever was still on it went back as response headers: a caller's {@code X-Anything} or
 * {@code ?limit=} was echoed, and a header set for an outgoing call could leak. Requests are
 * read as Camel's HTTP strategy reads them.
 */
public final class ResponseHeaders extends HttpHeaderFilterStrategy {

    static final Set<String> ALLOWED = Set.of("content-type", "www-authenticate", "retry-after", "location", "cache-control", "allow");

    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        return !ALLOWED.contains(headerName.toLowerCase(Locale.ROOT)) || super.applyFilterToCamelHeaders(headerName, headerValue, exchange);
    }
}
