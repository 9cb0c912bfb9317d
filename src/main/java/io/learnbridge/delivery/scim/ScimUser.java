package io.learnbridge.delivery.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A worker's state as a SCIM 2.0 User (RFC 7643 §4.1, with the enterprise extension of §4.3),
 * built from what the target mapping produced. Plain Java and Jackson: no Camel, no HTTP.
 *
 * <p>The mapping's conventions ({@code mappings/targets/lxp.mapping.yaml}):
 * <ul>
 *   <li>{@code enterprise.<attribute>} is the enterprise extension, sent under {@link #ENTERPRISE};</li>
 *   <li>{@code enterprise.manager.externalId} is the manager's worker id, to be resolved to the
 *       manager's SCIM id ({@code manager.value}) by whoever can look it up: {@link #managerWorkerId()};</li>
 *   <li>{@code emails.<type>} (and {@code phoneNumbers}, {@code ims}, {@code photos}) is the entry of
 *       that type of a multi-valued attribute.</li>
 * </ul>
 * A {@code null} value means "clear it". The state is written either as a new resource
 * ({@link #forCreate}) or over an existing one ({@link #mergedInto}), which keeps every attribute
 * the mapping does not list.
 */
public final class ScimUser {

    public static final String CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
    public static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /** The mapping's key for the enterprise extension (the URN's dots cannot be written in a dotted key). */
    public static final String ENTERPRISE_PREFIX = "enterprise";
    /** Multi-valued attributes the mapping writes one typed entry of, as {@code <attribute>.<type>}. */
    public static final Set<String> TYPED_MULTI_VALUED = Set.of("emails", "phoneNumbers", "ims", "photos");
    /** Multi-valued complex attributes the mapping writes sub-attributes of one typed entry of, as {@code <attribute>.<type>.<sub>}. */
    public static final Set<String> TYPED_COMPLEX = Set.of("addresses");
    /** Attributes a client never sends back (RFC 7643: readOnly, or the URL names it). */
    private static final Set<String> NOT_WRITTEN = Set.of("id", "meta", "groups");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectNode attributes;
    private final Map<String, Map<String, String>> typed;
    private final Map<String, Map<String, ObjectNode>> complex;
    private final boolean managerByWorkerId;
    private final String managerWorkerId;

    private ScimUser(ObjectNode attributes, Map<String, Map<String, String>> typed, Map<String, Map<String, ObjectNode>> complex,
                     boolean managerByWorkerId, String managerWorkerId) {
        this.complex = complex;
        this.attributes = attributes;
        this.typed = typed;
        this.managerByWorkerId = managerByWorkerId;
        this.managerWorkerId = managerWorkerId;
    }

    /**
     * Reads a target mapping's output.
     *
     * @throws IllegalArgumentException when the output breaks a convention (e.g. {@code emails} without a type)
     */
    public static ScimUser fromMapping(ObjectNode mapped) {
        ObjectNode attributes = NODES.objectNode();
        Map<String, Map<String, String>> typed = new LinkedHashMap<>();
        Map<String, Map<String, ObjectNode>> complex = new LinkedHashMap<>();
        boolean managerByWorkerId = false;
        String managerWorkerId = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = mapped.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals(ENTERPRISE_PREFIX)) {
                if (!value.isObject()) {
                    throw new IllegalArgumentException("'" + ENTERPRISE_PREFIX + "' must name attributes of the enterprise extension ("
                            + ENTERPRISE_PREFIX + ".department, ...)");
                }
                ObjectNode enterprise = ((ObjectNode) value).deepCopy();
                if (enterprise.get("manager") instanceof ObjectNode manager && manager.has("externalId")) {
                    managerByWorkerId = true;
                    managerWorkerId = text(manager.remove("externalId"));
                    if (manager.has("value")) {
                        throw new IllegalArgumentException("write either " + ENTERPRISE_PREFIX + ".manager.externalId (a worker id, resolved) or "
                                + ENTERPRISE_PREFIX + ".manager.value (sent as is), not both");
                    }
                    enterprise.remove("manager");
                }
                attributes.set(ENTERPRISE, enterprise);
            } else if (TYPED_MULTI_VALUED.contains(name)) {
                if (!value.isObject()) {
                    throw new IllegalArgumentException("'" + name + "' is multi-valued: write one entry per type, e.g. " + name + ".work");
                }
                Map<String, String> entries = new LinkedHashMap<>();
                value.fields().forEachRemaining(e -> {
                    if (e.getValue().isContainerNode()) {
                        throw new IllegalArgumentException("'" + name + "." + e.getKey() + "' must be a single value");
                    }
                    entries.put(e.getKey(), text(e.getValue()));
                });
                typed.put(name, entries);
            } else if (TYPED_COMPLEX.contains(name)) {
                Map<String, ObjectNode> entries = new LinkedHashMap<>();
                value.fields().forEachRemaining(e -> {
                    if (!(e.getValue() instanceof ObjectNode entry) || entry.properties().stream().anyMatch(sub -> sub.getValue().isContainerNode())) {
                        throw new IllegalArgumentException("'" + name + "' is multi-valued and complex: write sub-attributes of one entry per type, e.g. "
                                + name + ".work.locality");
                    }
                    entries.put(e.getKey(), entry.deepCopy());
                });
                if (!value.isObject() || entries.isEmpty()) {
                    throw new IllegalArgumentException("'" + name + "' is multi-valued and complex: write e.g. " + name + ".work.locality");
                }
                complex.put(name, entries);
            } else {
                attributes.set(name, value.deepCopy());
            }
        }
        return new ScimUser(attributes, typed, complex, managerByWorkerId, managerWorkerId);
    }

    /** The externalId (the worker id) the user is found by; null when the mapping has none. */
    public String externalId() {
        return text(attributes.get("externalId"));
    }

    /** True when the state says the user is inactive ({@code active: false}). */
    public boolean inactive() {
        JsonNode active = attributes.get("active");
        return active != null && active.isBoolean() && !active.booleanValue();
    }

    /** True when the mapping names the manager by worker id, to be resolved to a SCIM id. */
    public boolean managerByWorkerId() {
        return managerByWorkerId;
    }

    /** The manager's worker id to resolve; null when the worker has no manager (the link is cleared). */
    public String managerWorkerId() {
        return managerWorkerId;
    }

    /**
     * The body of a create (POST /Users): the schemas, every non-empty attribute, typed entries
     * (the first of each attribute primary) and the manager.
     *
     * @param managerId the manager's SCIM id, or null for no manager link
     */
    public ObjectNode forCreate(String managerId) {
        ObjectNode body = NODES.objectNode();
        body.putArray("schemas").add(CORE);
        ObjectNode values = withManager(managerId);
        withoutNulls(values);
        body.setAll(values);
        typed.forEach((name, entries) -> {
            ArrayNode array = NODES.arrayNode();
            entries.forEach((type, value) -> {
                if (value != null) {
                    ObjectNode entry = array.addObject().put("value", value).put("type", type);
                    if (array.size() == 1) {
                        entry.put("primary", true);
                    }
                }
            });
            if (!array.isEmpty()) {
                body.set(name, array);
            }
        });
        complex.forEach((name, entries) -> {
            ArrayNode array = NODES.arrayNode();
            entries.forEach((type, subAttributes) -> {
                ObjectNode entry = subAttributes.deepCopy();
                withoutNulls(entry);
                if (!entry.isEmpty()) {
                    entry.put("type", type);
                    if (array.isEmpty()) {
                        entry.put("primary", true);
                    }
                    array.add(entry);
                }
            });
            if (!array.isEmpty()) {
                body.set(name, array);
            }
        });
        fixSchemas(body);
        return body;
    }

    /**
     * The existing resource with this state written over it, without what a client does not send
     * ({@code id}, {@code meta}, {@code groups}): the body of a replace (PUT /Users/{id}). Singular
     * complex attributes ({@code name}, the extension) are merged sub-attribute by sub-attribute;
     * {@code manager} is replaced whole; a typed entry replaces the entry of its type.
     *
     * @param managerId the manager's SCIM id, or null for no manager link
     */
    public ObjectNode mergedInto(ObjectNode existing, String managerId) {
        ObjectNode merged = writable(existing);
        overlay(merged, withManager(managerId));
        typed.forEach((name, entries) -> mergeTyped(merged, name, entries));
        complex.forEach((name, entries) -> mergeComplex(merged, name, entries));
        fixSchemas(merged);
        return merged;
    }

    /** What a client would send back of a resource it read: without {@code id}, {@code meta} and {@code groups}. */
    public static ObjectNode writable(ObjectNode resource) {
        ObjectNode copy = resource.deepCopy();
        List<String> readOnly = new ArrayList<>();
        copy.fieldNames().forEachRemaining(n -> {
            if (NOT_WRITTEN.contains(n) || NOT_WRITTEN.stream().anyMatch(n::equalsIgnoreCase)) {
                readOnly.add(n);
            }
        });
        copy.remove(readOnly);
        return copy;
    }

    private ObjectNode withManager(String managerId) {
        ObjectNode values = attributes.deepCopy();
        if (managerByWorkerId) {
            ObjectNode enterprise = values.get(ENTERPRISE) instanceof ObjectNode e ? e : values.putObject(ENTERPRISE);
            if (managerId == null) {
                enterprise.putNull("manager");
            } else {
                enterprise.putObject("manager").put("value", managerId);
            }
        }
        return values;
    }

    private static void overlay(ObjectNode target, ObjectNode desired) {
        desired.fields().forEachRemaining(e -> {
            String name = existingName(target, e.getKey());
            JsonNode value = e.getValue();
            if (value == null || value.isNull()) {
                target.remove(name);
            } else if (value.isObject() && !name.equalsIgnoreCase("manager") && target.get(name) instanceof ObjectNode current) {
                overlay(current, (ObjectNode) value);
                if (current.isEmpty()) {
                    target.remove(name);
                }
            } else if (value.isObject()) {
                ObjectNode copy = ((ObjectNode) value).deepCopy();
                withoutNulls(copy);
                if (copy.isEmpty()) {
                    target.remove(name);
                } else {
                    target.set(name, copy);
                }
            } else {
                target.set(name, value.deepCopy());
            }
        });
    }

    private static void mergeTyped(ObjectNode target, String attribute, Map<String, String> entries) {
        String name = existingName(target, attribute);
        ArrayNode array = target.get(name) instanceof ArrayNode a ? a : NODES.arrayNode();
        entries.forEach((type, value) -> {
            int found = -1;
            for (int i = 0; i < array.size(); i++) {
                if (type.equalsIgnoreCase(array.get(i).path("type").asText())) {
                    found = i;
                    break;
                }
            }
            if (value == null) {
                if (found >= 0) {
                    array.remove(found);
                }
            } else if (found >= 0 && array.get(found) instanceof ObjectNode entry) {
                entry.put("value", value);
            } else {
                boolean primaryTaken = false;
                for (JsonNode entry : array) {
                    primaryTaken |= entry.path("primary").asBoolean(false);
                }
                ObjectNode entry = array.addObject().put("value", value).put("type", type);
                if (!primaryTaken) {
                    entry.put("primary", true);
                }
            }
        });
        if (array.isEmpty()) {
            target.remove(name);
        } else {
            target.set(name, array);
        }
    }

    /** Sub-attributes of the entry of each type are written over it (null removes one); an entry left with none is removed. */
    private static void mergeComplex(ObjectNode target, String attribute, Map<String, ObjectNode> entries) {
        String name = existingName(target, attribute);
        ArrayNode array = target.get(name) instanceof ArrayNode a ? a : NODES.arrayNode();
        entries.forEach((type, subAttributes) -> {
            ObjectNode entry = null;
            int index = -1;
            for (int i = 0; i < array.size(); i++) {
                if (type.equalsIgnoreCase(array.get(i).path("type").asText()) && array.get(i) instanceof ObjectNode found) {
                    entry = found;
                    index = i;
                    break;
                }
            }
            if (entry == null) {
                ObjectNode fresh = subAttributes.deepCopy();
                withoutNulls(fresh);
                if (fresh.isEmpty()) {
                    return;
                }
                boolean primaryTaken = false;
                for (JsonNode existing : array) {
                    primaryTaken |= existing.path("primary").asBoolean(false);
                }
                fresh.put("type", type);
                if (!primaryTaken) {
                    fresh.put("primary", true);
                }
                array.add(fresh);
                return;
            }
            ObjectNode current = entry;
            subAttributes.properties().forEach(sub -> {
                String subName = existingName(current, sub.getKey());
                if (sub.getValue() == null || sub.getValue().isNull()) {
                    current.remove(subName);
                } else {
                    current.set(subName, sub.getValue().deepCopy());
                }
            });
            boolean onlyMarkers = true;
            for (Iterator<String> it = current.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                onlyMarkers &= field.equalsIgnoreCase("type") || field.equalsIgnoreCase("primary");
            }
            if (onlyMarkers) {
                array.remove(index);
            }
        });
        if (array.isEmpty()) {
            target.remove(name);
        } else {
            target.set(name, array);
        }
    }

    /** The core schema always; the extension's URN exactly when the resource has extension attributes. */
    private static void fixSchemas(ObjectNode resource) {
        String extension = existingName(resource, ENTERPRISE);
        boolean hasExtension = resource.get(extension) instanceof ObjectNode e && !e.isEmpty();
        if (!hasExtension) {
            resource.remove(extension);
        }
        ArrayNode schemas = NODES.arrayNode();
        boolean core = false;
        boolean enterprise = false;
        for (JsonNode schema : resource.path("schemas")) {
            if (schema.asText().equalsIgnoreCase(ENTERPRISE)) {
                if (!hasExtension || enterprise) {
                    continue;
                }
                enterprise = true;
            }
            core |= schema.asText().equalsIgnoreCase(CORE);
            schemas.add(schema.asText());
        }
        if (!core) {
            schemas.insert(0, CORE);
        }
        if (hasExtension && !enterprise) {
            schemas.add(ENTERPRISE);
        }
        resource.set("schemas", schemas);
    }

    /** SCIM attribute names are case-insensitive (RFC 7643 §2.1): the resource's own spelling if it has one. */
    private static String existingName(ObjectNode resource, String name) {
        if (resource.has(name)) {
            return name;
        }
        for (Iterator<String> it = resource.fieldNames(); it.hasNext(); ) {
            String existing = it.next();
            if (existing.equalsIgnoreCase(name)) {
                return existing;
            }
        }
        return name;
    }

    private static void withoutNulls(ObjectNode node) {
        List<String> empty = new ArrayList<>();
        node.fields().forEachRemaining(e -> {
            if (e.getValue() instanceof ObjectNode child) {
                withoutNulls(child);
                if (child.isEmpty()) {
                    empty.add(e.getKey());
                }
            } else if (e.getValue().isNull()) {
                empty.add(e.getKey());
            }
        });
        node.remove(empty);
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
