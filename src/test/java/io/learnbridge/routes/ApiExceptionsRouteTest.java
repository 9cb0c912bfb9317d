package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.Test;

/**
 * {@code routes/api-exceptions.camel.yaml}: the operations API. Each operation checks the bearer token (bean
 * {@code apiAuth}) before it calls its bean method with the request's path and query parameters, and the
 * {@code api-errors} configuration of {@code routes/errors.camel.yaml} answers a refused token 401 (with
 * {@code WWW-Authenticate: Bearer}) and bad input 400; any other failure is not handled (platform-http answers 500).
 * Shown here: list, show one, replay one, and the refusals (no token, a wrong token, an id that is not a number, a
 * limit out of range). The REST DSL turns each operation into a route whose {@code from} is a platform-http
 * endpoint, which needs an HTTP server. Camel inlines the file's direct route into that route (rest inlineRoutes, on
 * by default), so it has the file's route id and the api-errors configuration. The test checks that each route id
 * of the file is the rest route of the verb and path the file gives, replaces its {@code from} by
 * {@code direct:<route id>} (AdviceWith.replaceFromWith) and sends what platform-http would deliver: the path and
 * query parameters and the Authorization header as headers. The rest (the steps, the error policy) is the file's own.
 */
class ApiExceptionsRouteTest extends RouteFileTestSupport {

    private static final String TOKEN = "s3cret";
    private static final String LIST = "api-list-exceptions-route";
    private static final String SHOW = "api-show-exception-route";
    private static final String REPLAY = "api-replay-exception-route";

    /** The bean calls of a request, in order, with their arguments. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    /** Stands in for bean {@code apiAuth}: records the header it was given, then refuses as the real one does. */
    public final class Auth {
        private final io.learnbridge.api.ApiAuth real = new io.learnbridge.api.ApiAuth(TOKEN);

        public void check(@Header("Authorization") String authorization) {
            calls.add("check " + authorization);
            real.check(authorization);
        }
    }

    /** Stands in for bean {@code exceptionsApi} (ExceptionsApi), with its signatures: records each call, answers canned JSON. */
    public final class Exceptions {
        /** Exception ids the queue holds; show answers 404 for any other, as the real bean does. */
        final java.util.Set<Long> known = new java.util.HashSet<>(List.of(42L));
        /** Replaying these ids throws: the store is down. */
        final java.util.Set<Long> storeDownFor = new java.util.HashSet<>();

        public String list(@Header("status") String status, @Header("drop") Long drop, @Header("target") String target,
                           @Header("source") String source, @Header("worker") String worker, @Header("limit") Integer limit) {
            calls.add("list status=" + status + " drop=" + drop + " target=" + target + " source=" + source + " worker=" + worker + " limit=" + limit);
            if (limit != null && (limit < 1 || limit > 10_000)) {
                throw new IllegalArgumentException("limit must be from 1 to 10000");
            }
            return "[{\"id\":42}]";
        }

        public String show(@Header("id") long id, Exchange exchange) {
            calls.add("show " + id);
            if (!known.contains(id)) {
                exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
                return "{\"error\":\"no exception " + id + "\"}";
            }
            return "{\"id\":" + id + "}";
        }

        public String replay(@Header("id") long id) {
            calls.add("replay " + id);
            if (storeDownFor.contains(id)) {
                throw new IllegalStateException("the store is down");
            }
            return "{\"id\":" + id + ",\"replayed\":true}";
        }

        public String replayAll(@Header("drop") Long drop, @Header("target") String target, Exchange exchange) {
            calls.add("replayAll drop=" + drop + " target=" + target);
            return "[]";
        }

        public String drop(@Header("id") long id, Exchange exchange) {
            calls.add("drop " + id);
            return "{}";
        }
    }

    /** Stands in for bean {@code dropsApi} (DropsApi): the file's drop routes need it to start. */
    public final class Drops {
        public String plan(@Header("id") long id, @Header("limit") Integer limit, Exchange exchange) {
            calls.add("plan " + id);
            return "{}";
        }

        public String approve(@Header("id") long id, @Header("checksum") String checksum, @Header("operator") String operator, Exchange exchange) {
            calls.add("approve " + id);
            return "{}";
        }

        public String reject(@Header("id") long id, @Header("checksum") String checksum, @Header("operator") String operator, Exchange exchange) {
            calls.add("reject " + id);
            return "{}";
        }
    }

    /** Stands in for bean {@code workersApi} (WorkersApi): the file's history route needs it to start. */
    public final class Workers {
        public String history(@Header("id") String workerId, Exchange exchange) {
            calls.add("history " + workerId);
            return "{}";
        }
    }

    private final Exceptions exceptionsApi = new Exceptions();

    ApiExceptionsRouteTest() {
        super("api-exceptions.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("apiAuth", new Auth(), "exceptionsApi", exceptionsApi, "dropsApi", new Drops(), "workersApi", new Workers());
    }

    /**
     * The route the REST DSL made for {@code verb path} (path under /api). Camel inlines the file's direct route into
     * it (rest inlineRoutes, on by default), so it carries the file's route id; this checks that route id
     * {@code routeId} is the rest route of that verb and path, then replaces its {@code from} by
     * {@code direct:<routeId>}.
     */
    private void serveOverDirect(String routeId, String verb, String path) throws Exception {
        RouteDefinition route = context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinition(routeId);
        assertThat(route).as(routeId).isNotNull();
        assertThat(route.isRest()).as(routeId + " is a rest route").isTrue();
        String from = java.net.URLDecoder.decode(route.getInput().getEndpointUri(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(from).as(routeId).startsWith("rest://" + verb + ":/api:" + path + "?");
        AdviceWith.adviceWith(context, routeId, a -> a.replaceFromWith("direct:" + routeId));
    }

    /** Every operation of the file served over a direct endpoint (no HTTP server to start); then the context starts. */
    private void serveOverDirect() throws Exception {
        serveOverDirect(LIST, "get", "/exceptions");
        serveOverDirect(SHOW, "get", "/exceptions/{id}");
        serveOverDirect("api-show-drop-route", "get", "/drops/{id}");
        serveOverDirect("api-drop-plan-route", "get", "/drops/{id}/plan");
        serveOverDirect("api-worker-history-route", "get", "/workers/{id}/history");
        serveOverDirect(REPLAY, "post", "/exceptions/{id}/replay");
        serveOverDirect("api-replay-exceptions-route", "post", "/exceptions/replay");
        serveOverDirect("api-approve-drop-route", "post", "/drops/{id}/approve");
        serveOverDirect("api-reject-drop-route", "post", "/drops/{id}/reject");
        context.start();
    }

    private Exchange request(String routeId, String authorization, Map<String, Object> parameters) {
        return template.send("direct:" + routeId, exchange -> {
            Map<String, Object> headers = new HashMap<>(parameters);
            if (authorization != null) {
                headers.put("Authorization", authorization);
            }
            exchange.getIn().setHeaders(headers);
        });
    }

    private static Integer status(Exchange answer) {
        return answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
    }

    @Test
    void theListChecksTheTokenThenListsWithTheQueryParameters() throws Exception {
        serveOverDirect();

        Exchange answer = request(LIST, "Bearer " + TOKEN, Map.of("status", "ALL", "drop", "7", "target", "lms", "limit", "50"));

        assertThat(answer.getException()).isNull();
        assertThat(calls).containsExactly("check Bearer s3cret", "list status=ALL drop=7 target=lms source=null worker=null limit=50");
        assertThat(status(answer)).as("200: no status set").isNull();
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("[{\"id\":42}]");
    }

    @Test
    void showOneChecksTheTokenThenShowsThePathsIdAndKeepsTheBeans404ForAnUnknownId() throws Exception {
        serveOverDirect();

        Exchange known = request(SHOW, "Bearer " + TOKEN, Map.of("id", "42"));
        Exchange unknown = request(SHOW, "Bearer " + TOKEN, Map.of("id", "43"));

        assertThat(calls).containsExactly("check Bearer s3cret", "show 42", "check Bearer s3cret", "show 43");
        assertThat(status(known)).isNull();
        assertThat(known.getMessage().getBody(String.class)).isEqualTo("{\"id\":42}");
        assertThat(status(unknown)).isEqualTo(404);
        assertThat(unknown.getMessage().getBody(String.class)).isEqualTo("{\"error\":\"no exception 43\"}");
    }

    @Test
    void replayChecksTheTokenThenReplaysThePathsId() throws Exception {
        serveOverDirect();

        Exchange answer = request(REPLAY, "Bearer " + TOKEN, Map.of("id", "42"));

        assertThat(answer.getException()).isNull();
        assertThat(calls).containsExactly("check Bearer s3cret", "replay 42");
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("{\"id\":42,\"replayed\":true}");
    }

    @Test
    void noTokenOrAWrongTokenIsAnswered401AndNothingElseIsCalled() throws Exception {
        serveOverDirect();

        Exchange none = request(REPLAY, null, Map.of("id", "42"));
        Exchange wrong = request(LIST, "Bearer guess", Map.of());

        assertThat(calls).containsExactly("check null", "check Bearer guess");
        for (Exchange refused : List.of(none, wrong)) {
            assertThat(refused.getException()).as("handled by api-errors").isNull();
            assertThat(status(refused)).isEqualTo(401);
            assertThat(refused.getMessage().getHeader("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(refused.getMessage().getBody(String.class)).contains("unauthorized");
        }
    }

    @Test
    void anIdThatIsNotANumberOrALimitOutOfRangeIsAnswered400() throws Exception {
        serveOverDirect();

        Exchange notANumber = request(SHOW, "Bearer " + TOKEN, Map.of("id", "abc"));
        Exchange tooMany = request(LIST, "Bearer " + TOKEN, Map.of("limit", "20000"));

        // show is never invoked with "abc": binding the id to its long parameter fails
        assertThat(calls).containsExactly("check Bearer s3cret",
                "check Bearer s3cret", "list status=null drop=null target=null source=null worker=null limit=20000");
        for (Exchange bad : List.of(notANumber, tooMany)) {
            assertThat(bad.getException()).as("handled by api-errors").isNull();
            assertThat(status(bad)).isEqualTo(400);
            assertThat(bad.getMessage().getBody(String.class)).isEqualTo("{\"error\":\"bad request\"}");
        }
    }

    @Test
    void aFailureThatIsNeitherARefusalNorBadInputIsNotHandled() throws Exception {
        exceptionsApi.storeDownFor.add(42L);
        serveOverDirect();

        Exchange answer = request(REPLAY, "Bearer " + TOKEN, Map.of("id", "42"));

        assertThat(calls).containsExactly("check Bearer s3cret", "replay 42");
        assertThat(answer.isFailed()).isTrue();
        assertThat(answer.getException()).isInstanceOf(IllegalStateException.class).hasMessage("the store is down");
        assertThat(status(answer)).isNull();
    }

    @Test
    void everyOperationOfTheFileIsTheRestRouteOfItsVerbAndPathUnderTheApiErrorsPolicy() throws Exception {
        serveOverDirect(); // checks each route's verb and path
        assertThat(context.getRoutes()).hasSize(9);
        for (org.apache.camel.Route route : context.getRoutes()) {
            assertThat(route.getConfigurationId()).as(route.getRouteId()).isEqualTo("api-errors");
        }
    }
}
