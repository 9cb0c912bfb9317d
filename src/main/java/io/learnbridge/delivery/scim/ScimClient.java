package io.learnbridge.delivery.scim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPatch;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpPut;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * The three SCIM 2.0 calls a provisioning client needs for Users (RFC 7644): find by
 * {@code externalId} (§3.4.2, a filtered GET), create (§3.3, POST) and replace (§3.5.1, PUT), over
 * Apache HttpClient 5 (as camel-http) with Jackson. No automatic retries and no redirects: the
 * caller decides on every failure ({@link Reply}). Thread-safe. For {@link ScimGroups} it also finds,
 * creates and patches Groups (§3.4.2, §3.3, §3.5.2).
 */
public final class ScimClient implements AutoCloseable {

    static final ContentType SCIM_JSON = ContentType.create("application/scim+json", StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EXCERPT = 500;

    /**
     * How to reach a SCIM service provider.
     *
     * @param baseUrl       the SCIM base URL, e.g. {@code https://lxp.example.com/scim/v2} (Users are under {@code /Users})
     * @param authorization the whole Authorization header value ({@code Bearer ...}), or null
     */
    public record Config(URI baseUrl, String authorization, Duration connectTimeout, Duration responseTimeout) {
    }

    /**
     * One answer. {@code status} is null when there was none (no connection, timeout); {@code body}
     * is the parsed JSON body or null; {@code detail} says what happened in one line (the SCIM error's
     * {@code scimType} and {@code detail} when the service sent one); {@code retryAfter} is the
     * service's {@code Retry-After}, or null.
     */
    public record Reply(Integer status, JsonNode body, String detail, Duration retryAfter) {

        public boolean ok() {
            return status != null && status >= 200 && status < 300;
        }

        /** Worth another attempt later: no answer, 408, 429 or 5xx (RFC 7644 §3.12). */
        public boolean isTransient() {
            return io.learnbridge.delivery.TargetFailure.retryable(status);
        }

        /**
         * The service as a whole is unavailable (no answer, 429, 502, 503, 504), so the rest of a
         * batch would fail the same way; a 500 may be about one resource only.
         */
        public boolean serviceUnavailable() {
            return io.learnbridge.delivery.TargetFailure.serviceUnavailable(status);
        }

        /** 401 or 403: the bridge's credentials or permissions are wrong; no record would get through. */
        public boolean refusedCredentials() {
            return status != null && io.learnbridge.delivery.TargetFailure.credentials(status);
        }
    }

    private final Config config;
    private final CloseableHttpClient http;
    private final io.learnbridge.delivery.OAuth2ClientCredentials oauth2;
    private final AtomicInteger requests = new AtomicInteger();

    public ScimClient(Config config) {
        this(config, null);
    }

    /** @param rateLimit the target's rate limit, or null */
    public ScimClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit) {
        this(config, rateLimit, null);
    }

    /**
     * @param rateLimit the target's rate limit, or null
     * @param oauth2    OAuth 2.0 client credentials, used instead of {@code config.authorization()}; null for none
     */
    public ScimClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit,
                      io.learnbridge.delivery.OAuth2ClientCredentials oauth2) {
        this(config, rateLimit, oauth2, null);
    }

    /** As above; {@code breaker} is the target's circuit breaker, or null. */
    public ScimClient(Config config, io.github.resilience4j.ratelimiter.RateLimiter rateLimit,
                      io.learnbridge.delivery.OAuth2ClientCredentials oauth2, io.github.resilience4j.circuitbreaker.CircuitBreaker breaker) {
        this.config = config;
        this.oauth2 = oauth2;
        this.http = io.learnbridge.delivery.TargetHttp.client(config.connectTimeout(), config.responseTimeout(), 4, rateLimit, breaker);
    }

    /** GET /Users?filter=externalId eq "&lt;externalId&gt;": a ListResponse (RFC 7644 §3.4.2). */
    public Reply findByExternalId(String externalId) {
        return send(new HttpGet(users("?filter=" + encode("externalId eq " + literal(externalId)))), null);
    }

    /** POST /Users: 201 with the created resource. */
    public Reply create(ObjectNode user) {
        return send(new HttpPost(users("")), user);
    }

    /** PUT /Users/{id}: 200 with the replaced resource. */
    public Reply replace(String id, ObjectNode user) {
        return send(new HttpPut(users("/" + encode(id))), user);
    }

    /**
     * GET /Groups?filter=externalId eq "&lt;externalId&gt;", without the groups' member lists
     * ({@code excludedAttributes=members}, RFC 7644 §3.4.2.5): a ListResponse.
     */
    public Reply findGroupByExternalId(String externalId) {
        return findGroups("externalId eq " + literal(externalId), "excludedAttributes=members");
    }

    /** GET /Groups?filter=displayName eq "&lt;displayName&gt;", without member lists: a ListResponse. */
    public Reply findGroupByDisplayName(String displayName) {
        return findGroups("displayName eq " + literal(displayName), "excludedAttributes=members");
    }

    /**
     * GET /Groups?filter=id eq "&lt;groupId&gt;" and members[value eq "&lt;memberId&gt;"]&amp;attributes=id: a
     * ListResponse with one result when the member is in the group, none otherwise (also when the
     * group is gone). Asks about one member instead of reading a large group's whole member list.
     */
    public Reply findGroupMember(String groupId, String memberId) {
        return findGroups("id eq " + literal(groupId) + " and members[value eq " + literal(memberId) + "]", "attributes=id");
    }

    /** POST /Groups: 201 with the created group. */
    public Reply createGroup(ObjectNode group) {
        return send(new HttpPost(groups("")), group);
    }

    /** PATCH /Groups/{id} with a PatchOp message (RFC 7644 §3.5.2): 200 with the group, or 204. */
    public Reply patchGroup(String id, ObjectNode patchOp) {
        return send(new HttpPatch(groups("/" + encode(id))), patchOp);
    }

    /** Requests sent so far. */
    public int requests() {
        return requests.get();
    }

    /**
     * A filter's comparison value: a JSON string (RFC 7644 §3.4.2.2, "compValue"), so a quote or a
     * backslash in a worker id cannot change the filter.
     */
    static String literal(String value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private URI users(String rest) {
        String base = config.baseUrl().toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/Users" + rest);
    }

    private Reply findGroups(String filter, String projection) {
        return send(new HttpGet(groups("?filter=" + encode(filter) + "&" + projection)), null);
    }

    private URI groups(String rest) {
        String base = config.baseUrl().toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/Groups" + rest);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Reply send(HttpUriRequestBase request, ObjectNode body) {
        if (oauth2 == null) {
            return send(request, body, config.authorization());
        }
        String authorization;
        try {
            authorization = oauth2.authorizationHeader();
        } catch (io.learnbridge.delivery.OAuth2TokenException e) {
            return new Reply(e.isTransient() ? null : 401, null, e.getMessage(), null);
        }
        Reply reply = send(request, body, authorization);
        if (reply.status() != null && reply.status() == 401) {
            // a token can be revoked before it expires: one fresh token, one more try
            oauth2.invalidate(authorization);
            try {
                return send(request, body, oauth2.authorizationHeader());
            } catch (io.learnbridge.delivery.OAuth2TokenException e) {
                return new Reply(e.isTransient() ? null : 401, null, e.getMessage(), null);
            }
        }
        return reply;
    }

    private Reply send(HttpUriRequestBase request, ObjectNode body, String authorization) {
        request.setHeader("Accept", "application/scim+json, application/json");
        if (authorization != null) {
            request.setHeader("Authorization", authorization);
        }
        if (body != null) {
            request.setEntity(new StringEntity(body.toString(), SCIM_JSON));
        }
        requests.incrementAndGet();
        try {
            return http.execute(request, response -> {
                String text = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                JsonNode json = parse(text);
                return new Reply(response.getCode(), json, detail(response.getCode(), response.getReasonPhrase(), json, text),
                        io.learnbridge.delivery.TargetHttp.retryAfter(response.getFirstHeader("Retry-After")));
            });
        } catch (IOException e) {
            return new Reply(null, null, "no answer from " + config.baseUrl() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), null);
        }
    }

    private static JsonNode parse(String text) {
        if (text.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    /** "HTTP 409 uniqueness: User userName '...' is already taken by ..." from a SCIM error (RFC 7644 §3.12), else the body's start. */
    private static String detail(int status, String reasonPhrase, JsonNode json, String text) {
        StringBuilder sb = new StringBuilder("HTTP ").append(status);
        if (json != null && json.isObject() && (json.has("detail") || json.has("scimType"))) {
            if (json.hasNonNull("scimType")) {
                sb.append(' ').append(json.get("scimType").asText());
            }
            if (json.hasNonNull("detail")) {
                sb.append(": ").append(oneLine(json.get("detail").asText()));
            }
        } else if (status >= 300 && !text.isBlank()) {
            sb.append(": ").append(oneLine(text));
        } else if (reasonPhrase != null && !reasonPhrase.isBlank()) {
            sb.append(' ').append(reasonPhrase);
        }
        return sb.toString();
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= EXCERPT ? line : line.substring(0, EXCERPT) + "…";
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
