package io.learnbridge.delivery.scim;

import io.learnbridge.support.Metrics;
import io.learnbridge.mapping.Mappings;
import io.learnbridge.support.Settings;
import io.learnbridge.store.DeliveryQueue;
import io.learnbridge.store.Store;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

/**
 * Binds bean {@code scimDeliveries} for tests, after {@code LearnBridgeConfiguration} and exactly as
 * /tmp/scim-integration.md asks it to be bound there; once it is, this configuration leaves that
 * binding alone.
 */
public final class ScimTestConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) {
        Registry registry = context.getRegistry();
        if (registry.lookupByName("scimDeliveries") != null) {
            return;
        }
        Function<String, Optional<String>> properties = key -> context.getPropertiesComponent().resolveProperty(key);
        Settings settings = registry.lookupByNameAndType("learnbridgeSettings", Settings.class);
        Store store = registry.lookupByNameAndType("learnbridgeStore", Store.class);
        String instanceId = properties.apply("learnbridge.instanceId").filter(s -> !s.isBlank()).orElse("learnbridge");
        DeliveryQueue deliveryQueue = new DeliveryQueue(store, instanceId, settings.delivery().lease());
        registry.bind("scimDeliveries", new ScimDeliveries(deliveryQueue, registry.lookupByNameAndType("mappings", Mappings.class),
                registry.lookupByNameAndType("learnbridgeMetrics", Metrics.class), new io.learnbridge.delivery.TargetSettings(properties),
                Duration.ofMillis(properties.apply("learnbridge.delivery.initialBackoff").map(Long::parseLong).orElse(1000L)),
                Duration.ofMillis(properties.apply("learnbridge.delivery.maxBackoff").map(Long::parseLong).orElse(60000L))));
    }
}
