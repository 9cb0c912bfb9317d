package io.learnbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

/**
 * {@code routes/sandbox-lms.camel.yaml}: the sandbox LMS a newcomer's first run delivers to. Three platform-http
 * routes, each handing the request to one method of bean {@code sandboxLms}: PUT or POST
 * {@code /sandbox/lms/workers/{id}} to upsert, PUT or DELETE {@code .../{id}/enrolments/{curriculum}} to enrol or
 * unenrol, GET {@code /sandbox/lms/workers} to list; the bean's answer is the response. Platform-http needs an HTTP
 * server, so the test checks each route's HTTP endpoint (path and allowed methods) as the file declares it, then
 * replaces it by {@code direct:<route id>} (AdviceWith.replaceFromWith) and sends what platform-http would deliver:
 * the path parameters and the method as headers, the request body as the body. With
 * {@code learnbridge.sandbox.enabled=false} the routes are not created at all.
 */
class SandboxLmsRouteTest extends RouteFileTestSupport {

    private static final List<String> ROUTES = List.of("sandbox-lms-upsert", "sandbox-lms-enrolment", "sandbox-lms-list");

    /** Stands in for bean {@code sandboxLms} (SandboxLms), with its signatures: records each call and its arguments. */
    public static final class SandboxLms {
        final List<String> calls = new CopyOnWriteArrayList<>();

        public String upsert(@Header("id") String id, @Body String body) {
            calls.add("upsert " + id + " " + body);
            if (!body.startsWith("{")) {
                throw new IllegalArgumentException("not JSON: " + body);
            }
            return "upserted " + id;
        }

        public String enrolment(@Header("id") String id, @Header("curriculum") String curriculum, @Header("CamelHttpMethod") String method,
                                Exchange exchange) {
            calls.add("enrolment " + method + " " + id + " " + curriculum);
            return method + " " + id + " " + curriculum;
        }

        public String list() {
            calls.add("list");
            return "{\"users\":0}";
        }
    }

    private final SandboxLms sandboxLms = new SandboxLms();

    SandboxLmsRouteTest() {
        super("sandbox-lms.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("sandboxLms", sandboxLms);
    }

    private void serveOverDirect() throws Exception {
        for (String routeId : ROUTES) {
            AdviceWith.adviceWith(context, routeId, a -> a.replaceFromWith("direct:" + routeId));
        }
        context.start();
    }

    private Exchange request(String routeId, String method, Map<String, Object> pathParameters, String body) {
        return template.send("direct:" + routeId, exchange -> {
            exchange.getIn().setHeaders(new java.util.HashMap<>(pathParameters));
            exchange.getIn().setHeader(Exchange.HTTP_METHOD, method);
            exchange.getIn().setBody(body);
        });
    }

    @Test
    void eachRouteServesThePathAndMethodsTheFileDeclares() {
        var model = context.getCamelContextExtension().getContextPlugin(org.apache.camel.model.Model.class);
        assertThat(model.getRouteDefinition("sandbox-lms-upsert").getInput().getEndpointUri())
                .isEqualTo("platform-http:/sandbox/lms/workers/{id}?httpMethodRestrict=PUT,POST");
        assertThat(model.getRouteDefinition("sandbox-lms-enrolment").getInput().getEndpointUri())
                .isEqualTo("platform-http:/sandbox/lms/workers/{id}/enrolments/{curriculum}?httpMethodRestrict=PUT,DELETE");
        assertThat(model.getRouteDefinition("sandbox-lms-list").getInput().getEndpointUri())
                .isEqualTo("platform-http:/sandbox/lms/workers?httpMethodRestrict=GET");
    }

    @Test
    void anUpsertStoresTheBodyUnderThePathsIdAndAnswersWhatTheBeanAnswers() throws Exception {
        serveOverDirect();

        Exchange answer = request("sandbox-lms-upsert", "PUT", Map.of("id", "E1001"), "{\"id\":\"E1001\",\"email\":\"ada@example.com\"}");

        assertThat(answer.getException()).isNull();
        assertThat(sandboxLms.calls).containsExactly("upsert E1001 {\"id\":\"E1001\",\"email\":\"ada@example.com\"}");
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("upserted E1001");
    }

    @Test
    void anEnrolmentPassesTheWorkerTheCurriculumAndTheMethodForPutAndDelete() throws Exception {
        serveOverDirect();

        Exchange enrolled = request("sandbox-lms-enrolment", "PUT", Map.of("id", "E1001", "curriculum", "fire-safety"), null);
        Exchange unenrolled = request("sandbox-lms-enrolment", "DELETE", Map.of("id", "E1001", "curriculum", "fire-safety"), null);

        assertThat(sandboxLms.calls).containsExactly("enrolment PUT E1001 fire-safety", "enrolment DELETE E1001 fire-safety");
        assertThat(enrolled.getMessage().getBody(String.class)).isEqualTo("PUT E1001 fire-safety");
        assertThat(unenrolled.getMessage().getBody(String.class)).isEqualTo("DELETE E1001 fire-safety");
    }

    @Test
    void theListAnswersWhatTheBeanHolds() throws Exception {
        serveOverDirect();

        Exchange answer = request("sandbox-lms-list", "GET", Map.of(), null);

        assertThat(sandboxLms.calls).containsExactly("list");
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("{\"users\":0}");
    }

    @Test
    void aBodyTheBeanCannotReadFailsTheRequestUnhandled() throws Exception {
        serveOverDirect();

        Exchange answer = request("sandbox-lms-upsert", "POST", Map.of("id", "E1001"), "id=E1001");

        assertThat(sandboxLms.calls).containsExactly("upsert E1001 id=E1001");
        assertThat(answer.isFailed()).isTrue();
        assertThat(answer.getException()).isInstanceOf(IllegalArgumentException.class).hasMessage("not JSON: id=E1001");
        assertThat(context.getRoute("sandbox-lms-upsert").getConfigurationId()).as("no error policy of its own").isNull();
    }

    @Test
    void withTheSandboxOffTheFileCreatesNoRoute() throws Exception {
        try (DefaultCamelContext off = new DefaultCamelContext()) {
            Properties properties = new Properties();
            properties.setProperty("learnbridge.sandbox.enabled", "false");
            off.getPropertiesComponent().setInitialProperties(properties);
            off.getRegistry().bind("sandboxLms", new SandboxLms());
            PluginHelper.getRoutesLoader(off).loadRoutes(
                    ResourceHelper.resolveResource(off, "file:" + Path.of("routes", "sandbox-lms.camel.yaml").toAbsolutePath()));
            off.start();

            assertThat(off.getRoutes()).isEmpty();
        }
    }
}
