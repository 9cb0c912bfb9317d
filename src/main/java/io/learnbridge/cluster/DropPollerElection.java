package io.learnbridge.cluster;

import java.time.Duration;
import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;

/**
 * One poller per drop folder: every route that reads a drop folder (its input a {@code file:} or {@code sftp:}
 * endpoint, as the drop Kamelets make them) runs only on the instance that leads the namespace
 * {@code learnbridge-drops-<route id>}; the other instances keep it stopped until they lead. Each drop folder has its
 * own namespace, so several folders may be polled by different instances. Other routes are left alone.
 */
public final class DropPollerElection implements RoutePolicyFactory {

    private final CamelClusterService service;

    public DropPollerElection(CamelClusterService service) {
        this.service = service;
    }

    /** The namespace whose leader polls the drop folder of route {@code routeId}. */
    public static String namespace(String routeId) {
        return "learnbridge-drops-" + routeId;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext context, String routeId, NamedNode node) {
        if (!(node instanceof RouteDefinition route) || !readsDropFolder(route)) {
            return null;
        }
        try {
            ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(service, namespace(routeId));
            policy.setCamelContext(context);
            policy.setInitialDelay(Duration.ZERO);
            return policy;
        } catch (Exception e) {
            throw new IllegalStateException("cannot elect the poller of route " + routeId + ": " + e.getMessage(), e);
        }
    }

    private static boolean readsDropFolder(RouteDefinition route) {
        String uri = route.getInput() == null ? "" : route.getInput().getEndpointUri();
        return uri.startsWith("file:") || uri.startsWith("sftp:");
    }
}
