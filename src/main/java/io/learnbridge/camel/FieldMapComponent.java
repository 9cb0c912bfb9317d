package io.learnbridge.camel;

import io.learnbridge.mapping.Mappings;
import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code fieldmap:sources/<name>} and {@code fieldmap:targets/<name>}: the one route step that
 * applies a mapping file, in Camel's {@code engine:resource} idiom. The path mirrors the file under
 * {@code mappings/}. A route never lists fields itself.
 */
public final class FieldMapComponent extends DefaultComponent {

    private final Mappings mappings;

    public FieldMapComponent(Mappings mappings) {
        this.mappings = mappings;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        int slash = remaining.indexOf('/');
        String folder = slash < 0 ? "" : remaining.substring(0, slash);
        String name = slash < 0 ? remaining : remaining.substring(slash + 1);
        return switch (folder) {
            case "sources" -> {
                mappings.get().source(name);
                yield new FieldMapEndpoint(uri, this, mappings, name, true);
            }
            case "targets" -> {
                mappings.get().target(name);
                yield new FieldMapEndpoint(uri, this, mappings, name, false);
            }
            default -> throw new IllegalArgumentException("fieldmap endpoint " + uri + ": use fieldmap:sources/<name> or fieldmap:targets/<name>");
        };
    }
}
