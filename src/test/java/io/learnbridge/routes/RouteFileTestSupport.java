package io.learnbridge.routes;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;

/**
 * A route file tested on its own with camel-test-junit5: the file (with the error policies of
 * {@code routes/errors.camel.yaml} it refers to, and the Kamelets it uses from {@code kamelets/}) is
 * loaded from the checkout's {@code routes/}
 * into a bare CamelContext with the packaged settings, the beans it calls are stand-ins bound by
 * the test, and the test advises the route (its timer replaced by a direct endpoint) before the
 * context starts. What is asserted is the route's own steps: the order of its calls, its loops
 * and filters, its breaker; the beans' behaviour is tested elsewhere, end to end.
 */
abstract class RouteFileTestSupport extends CamelTestSupport {

    private final String[] routeFiles;

    /** @param routeFiles the route files under test, by name in {@code routes/} */
    protected RouteFileTestSupport(String... routeFiles) {
        this.routeFiles = routeFiles;
    }

    /** The stand-in beans the route files call, by the names the files use. */
    protected abstract java.util.Map<String, Object> beans();

    @Override
    protected final void bindToRegistry(org.apache.camel.spi.Registry registry) {
        beans().forEach(registry::bind);
    }

    /** Settings of this test over the packaged ones (e.g. a poll period longer than the test). */
    protected Properties settings() {
        return new Properties();
    }

    /**
     * Runs one tick of timer route {@code routeId}: a route of the files is advised (its timer replaced by a
     * direct endpoint) and sent one message; a route a Kamelet creates when the context starts keeps its own
     * timer, and this waits for its first tick to be done (the test's {@link #settings} make the next one
     * later than the test).
     */
    protected void tickOnce(String routeId) throws Exception {
        if (context.getCamelContextExtension().getContextPlugin(org.apache.camel.model.Model.class).getRouteDefinition(routeId) != null) {
            org.apache.camel.builder.AdviceWith.adviceWith(context, routeId, a -> a.replaceFromWith("direct:tick"));
            context.start();
            template.sendBody("direct:tick", null);
            return;
        }
        var firstTick = new org.apache.camel.builder.NotifyBuilder(context).fromRoute(routeId).whenDone(1).create();
        context.start();
        if (!firstTick.matches(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("route " + routeId + " did not tick within 30 s; routes: " + context.getRoutes());
        }
    }

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        Properties properties = packagedSettings();
        properties.putAll(settings());
        context.getPropertiesComponent().setInitialProperties(properties);
        // the Kamelets the route files use, from the checkout's kamelets/ as well
        context.getComponent("kamelet", org.apache.camel.component.kamelet.KameletComponent.class)
                .setLocation("file:" + Path.of("kamelets").toAbsolutePath());
        return context;
    }

    @Override
    protected void doPostSetup() throws Exception {
        var loader = PluginHelper.getRoutesLoader(context);
        loader.loadRoutes(ResourceHelper.resolveResource(context, "file:" + Path.of("routes/errors.camel.yaml").toAbsolutePath()));
        for (String file : routeFiles) {
            loader.loadRoutes(ResourceHelper.resolveResource(context, "file:" + Path.of("routes", file).toAbsolutePath()));
        }
    }

    private static Properties packagedSettings() throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("src/main/resources/application.properties"), StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        return properties;
    }
}
