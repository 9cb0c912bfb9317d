package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.learnbridge.event.webhook.WebhookIngest;
import io.learnbridge.event.webhook.WebhookRefusal;
import io.learnbridge.event.webhook.WebhookRejectedException;
import io.learnbridge.store.StoreException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code routes/ingest-webhooks.camel.yaml}: a good webhook goes through its seven steps in order
 * (resolve, size, signature, rate limit, JSON, store, answer). A step that refuses stops the request
 * there: nothing after it runs, so nothing is stored, and the error policy {@code webhook-errors} of
 * {@code routes/errors.camel.yaml} answers with the refusal's status. A store that fails answers 503
 * with Retry-After. The REST part ({@code webhooks-api}) needs an HTTP server: Camel inlines route
 * webhook-receive into the REST operation (one route, id webhook-receive, input {@code POST /webhooks/{source}}),
 * so the tests replace that input by {@code direct:webhook-receive} and send the request there.
 * The policy's answer is the real one: the stand-in's {@code refuse} hands over to
 * {@link WebhookIngest#refuse}, which needs none of the bean's parts.
 */
class IngestWebhooksRouteTest extends RouteFileTestSupport {

    /** The route's steps, in the order the file must call them. */
    private static final List<String> STEPS = List.of("resolve", "checkSize", "verify", "rateLimit", "checkJson", "store", "answer");

    /**
     * Stands in for bean {@code webhooks} (WebhookIngest): records the steps the route calls, in order; the step
     * named {@code failAt} throws {@code failure}, as the real step does when it refuses.
     */
    public static final class Webhooks {
        final List<String> calls = new ArrayList<>();
        String failAt;
        RuntimeException failure;
        /** The real bean, for its answer to a refusal only. */
        private final WebhookIngest real = new WebhookIngest(Map.of(), null, null, Clock.systemUTC());

        private void step(String name) {
            calls.add(name);
            if (name.equals(failAt)) {
                throw failure;
            }
        }

        public void resolve(Exchange exchange) {
            step("resolve");
        }

        public void checkSize(Exchange exchange) {
            step("checkSize");
        }

        public void verify(Exchange exchange) {
            step("verify");
        }

        public void rateLimit(Exchange exchange) {
            step("rateLimit");
        }

        public void checkJson(Exchange exchange) {
            step("checkJson");
        }

        public void store(Exchange exchange) {
            step("store");
        }

        public void answer(Exchange exchange) {
            step("answer");
            exchange.getIn().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
            exchange.getIn().setBody("{\"receipt\":\"41\",\"duplicate\":false}");
        }

        /** Called by the policy webhook-errors: recorded, then answered as the real bean answers. */
        public void refuse(Exchange exchange) {
            calls.add("refuse");
            real.refuse(exchange);
        }
    }

    private final Webhooks webhooks = new Webhooks();

    IngestWebhooksRouteTest() {
        super("ingest-webhooks.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("webhooks", webhooks);
    }

    /** Sends one webhook for source hr-events to {@code endpoint}, once the context is started. */
    private Exchange post(String endpoint) {
        return template.request(endpoint, e -> {
            e.getIn().setHeader("source", "hr-events");
            e.getIn().setBody("{\"id\":\"E1\",\"status\":\"ACTIVE\"}");
        });
    }

    /**
     * Starts the context with route webhook-receive's input replaced by {@code direct:webhook-receive}. The REST
     * operation links to the route by {@code direct:webhook-receive}, and Camel inlines such a route into the REST
     * route (rest-dsl inlineRoutes): one route, id webhook-receive, whose input is the HTTP operation and which needs
     * an HTTP server. The direct endpoint stands in for that input.
     */
    private void start() throws Exception {
        AdviceWith.adviceWith(context, "webhook-receive", a -> a.replaceFromWith("direct:webhook-receive"));
        context.start();
    }

    private Exchange receive() throws Exception {
        start();
        return post("direct:webhook-receive");
    }

    @Test
    void aGoodWebhookRunsEveryStepInOrderAndIsAnsweredByTheLastOne() throws Exception {
        Exchange done = receive();

        assertThat(webhooks.calls).containsExactlyElementsOf(STEPS);
        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).as("the answer step's 202").isEqualTo(202);
        assertThat(done.getMessage().getBody(String.class)).contains("\"receipt\"");
    }

    @Test
    void aWrongSignatureStopsTheRequestBeforeTheStoreAndIsAnswered401() throws Exception {
        // what the real verify throws for a signature that does not match: a refusal with the rejection's status
        WebhookRejectedException rejected = WebhookRejectedException.unauthorized("no matching signature");
        webhooks.failAt = "verify";
        webhooks.failure = new WebhookRefusal(rejected.status(), rejected.reason(), null);

        Exchange done = receive();

        assertThat(webhooks.calls).containsExactly("resolve", "checkSize", "verify", "refuse");
        assertThat(done.getException()).as("handled by webhook-errors").isNull();
        assertThat(done.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(401);
        assertThat(done.getMessage().getHeader("Retry-After")).isNull();
        assertThat(done.getMessage().getBody(String.class)).isEqualTo("{\"error\":\"no matching signature\"}");
    }

    /** Each refusing step, with the status and Retry-After the real bean refuses with (WebhookIngest). */
    @ParameterizedTest(name = "{0} refuses with {1}")
    @CsvSource(nullValues = "none", value = {
        "resolve, 404, none",
        "checkSize, 413, none",
        "verify, 401, none",
        "rateLimit, 429, 1",
        "checkJson, 400, none",
    })
    void aRefusingStepStopsTheRequestThereAndIsAnsweredWithItsStatus(String step, int status, Integer retryAfter) throws Exception {
        webhooks.failAt = step;
        webhooks.failure = new WebhookRefusal(status, step + " refused", retryAfter);

        Exchange done = receive();

        List<String> expected = new ArrayList<>(STEPS.subList(0, STEPS.indexOf(step) + 1));
        expected.add("refuse");
        assertThat(webhooks.calls).as("nothing after the refusing step runs, store included").containsExactlyElementsOf(expected);
        assertThat(done.getException()).as("handled by webhook-errors").isNull();
        assertThat(done.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(status);
        assertThat(done.getMessage().getHeader("Retry-After", Integer.class)).isEqualTo(retryAfter);
    }

    @Test
    void aStoreThatFailsIsNotAnswered202ButAnswered503WithRetryAfter() throws Exception {
        webhooks.failAt = "store";
        webhooks.failure = new StoreException("connection refused", null);

        Exchange done = receive();

        assertThat(webhooks.calls).containsExactly("resolve", "checkSize", "verify", "rateLimit", "checkJson", "store", "refuse");
        assertThat(done.getException()).as("handled by webhook-errors").isNull();
        // errors.camel.yaml, webhook-errors: a store failure answers 503 with Retry-After, so the sender retries
        assertThat(done.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(503);
        assertThat(done.getMessage().getHeader("Retry-After")).isNotNull();
    }

    @Test
    void theRestOperationPostWebhooksSourceRunsRouteWebhookReceiveUnderItsErrorPolicy() throws Exception {
        RouteDefinition route = context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinition("webhook-receive");
        String input = java.net.URLDecoder.decode(route.getInput().getEndpointUri(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(input).as("the REST operation, with route webhook-receive inlined").startsWith("rest://post:/webhooks:/{source}");
        start();
        assertThat(context.getRoute("webhook-receive").getConfigurationId()).isEqualTo("webhook-errors");
        assertThat(context.getRoutes()).as("one route: the REST operation and webhook-receive in one").hasSize(1);
    }
}
