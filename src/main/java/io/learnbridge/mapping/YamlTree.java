package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A YAML document as a Jackson tree that remembers the line of every node, so that every error
 * about a mapping or route file can name {@code file:line}.
 *
 * <p>Lines are 1-based. The line of an object member is the line of its key.
 */
public final class YamlTree {

    private final String file;
    private final JsonNode root;
    private final Map<String, Integer> lines;

    private YamlTree(String file, JsonNode root, Map<String, Integer> lines) {
        this.file = file;
        this.root = root;
        this.lines = lines;
    }

    public static YamlTree parse(Path path) throws IOException {
        return parse(path.toString(), Files.readString(path, StandardCharsets.UTF_8));
    }

    /** Parses one YAML document; a syntax error is a {@link MappingException} naming file and line. */
    public static YamlTree parse(String file, String text) {
        Map<String, Integer> lines = new HashMap<>();
        try (Reader reader = new StringReader(text)) {
            Compose compose = new Compose(LoadSettings.builder().setLabel(file).build());
            Optional<Node> node = compose.composeReader(reader);
            JsonNode root = node.map(n -> convert(n, "", lines)).orElse(JsonNodeFactory.instance.nullNode());
            return new YamlTree(file, root, lines);
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(1);
            throw new MappingException(file, line, null, "invalid YAML: " + e.getProblem());
        } catch (YamlEngineException e) {
            throw new MappingException(file, 1, null, "invalid YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new MappingException(file, 1, null, "cannot read: " + e.getMessage());
        }
    }

    private static JsonNode convert(Node node, String pointer, Map<String, Integer> lines) {
        node.getStartMark().ifPresent(m -> lines.putIfAbsent(pointer, m.getLine() + 1));
        if (node instanceof MappingNode mapping) {
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            for (NodeTuple tuple : mapping.getValue()) {
                String key = tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(tuple.getKeyNode());
                String child = pointer + "/" + escape(key);
                tuple.getKeyNode().getStartMark().ifPresent(m -> lines.put(child, m.getLine() + 1));
                object.set(key, convert(tuple.getValueNode(), child, lines));
            }
            return object;
        }
        if (node instanceof SequenceNode sequence) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            int i = 0;
            for (Node item : sequence.getValue()) {
                array.add(convert(item, pointer + "/" + i++, lines));
            }
            return array;
        }
        ScalarNode scalar = (ScalarNode) node;
        String value = scalar.getValue();
        Tag tag = scalar.getTag();
        if (Tag.NULL.equals(tag)) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (Tag.BOOL.equals(tag)) {
            return JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(value.toLowerCase()));
        }
        if (Tag.INT.equals(tag)) {
            try {
                return JsonNodeFactory.instance.numberNode(new BigInteger(value));
            } catch (NumberFormatException e) {
                return JsonNodeFactory.instance.textNode(value);
            }
        }
        if (Tag.FLOAT.equals(tag)) {
            try {
                return JsonNodeFactory.instance.numberNode(Double.parseDouble(value));
            } catch (NumberFormatException e) {
                return JsonNodeFactory.instance.textNode(value);
            }
        }
        return JsonNodeFactory.instance.textNode(value);
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    /** The JSON pointer of an object member, escaped as RFC 6901 requires. */
    public static String child(String pointer, String key) {
        return pointer + "/" + escape(key);
    }

    public String file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    /** Line of the node at this JSON pointer, or of its nearest ancestor that has one. */
    public int lineOf(String pointer) {
        String p = pointer == null ? "" : pointer;
        while (true) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            if (p.isEmpty()) {
                return 1;
            }
            p = p.substring(0, Math.max(0, p.lastIndexOf('/')));
        }
    }
}
