package io.learnbridge.enrolment;

import com.fasterxml.jackson.databind.JsonNode;
import io.learnbridge.mapping.MappingException;
import io.learnbridge.mapping.YamlTree;
import io.learnbridge.worker.CanonicalField;
import io.learnbridge.worker.CanonicalRecord;
import io.learnbridge.worker.ChangeKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Role-based enrolment rules ({@code mappings/enrolment/rules.yaml}): conditions on canonical
 * fields to the curricula or learning-path ids each target should enrol a worker in. A worker
 * gets the union of every matching rule. Within a rule, each field lists accepted values (any of
 * them); all fields must match. A terminated worker matches no rule.
 *
 * <p>What a change does ({@link #changes}): a JOIN enrols in everything the worker's role needs; a
 * MOVE or UPDATE enrols in what the new role needs and, with {@code onMove: unenrol}, unenrols
 * from what only the old role needed ({@code keep} leaves it); a LEAVE unenrols from everything
 * with {@code onLeave: unenrol} ({@code keep} leaves it).
 */
public final class EnrolmentRules {

    /** What happens to curricula only the old role needed, or to everything on leaving. */
    public enum Policy { UNENROL, KEEP }

    /** One rule: its name, line, conditions (field to accepted values) and curricula per target. */
    public record Rule(String name, int line, Map<String, Set<String>> when, Map<String, SortedSet<String>> enrol) {

        boolean matches(CanonicalRecord worker) {
            for (Map.Entry<String, Set<String>> condition : when.entrySet()) {
                String value = worker.get(condition.getKey());
                if (value == null || !condition.getValue().contains(value)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A worker's enrolments and unenrolments per target. */
    public record Changes(SortedMap<String, SortedSet<String>> enrol, SortedMap<String, SortedSet<String>> unenrol) {

        public boolean isEmpty() {
            return enrol.isEmpty() && unenrol.isEmpty();
        }
    }

    private final String file;
    private final List<Rule> rules;
    private final Policy onMove;
    private final Policy onLeave;

    private final String text;

    private EnrolmentRules(String file, String text, List<Rule> rules, Policy onMove, Policy onLeave) {
        this.file = file;
        this.text = text;
        this.rules = List.copyOf(rules);
        this.onMove = onMove;
        this.onLeave = onLeave;
    }

    /** The file's text as compiled ("" for no rules). */
    public String text() {
        return text;
    }

    /** The sha256 of the file's text: which rules a store has applied ({@code EnrolmentRulesLedger}). */
    public String checksum() {
        return io.learnbridge.drop.DropChecksum.sha256(text);
    }

    /** Where the deployed rules file lives in a mappings location. */
    public static final String FILE = "enrolment/rules.yaml";

    /** The deployed rules file of a mappings location ({@link #FILE}), or no rules when there is none. */
    public static EnrolmentRules deployed(String mappingsLocation) {
        io.learnbridge.mapping.MappingFiles files = io.learnbridge.mapping.MappingFiles.load(mappingsLocation);
        String text = files.files().get(FILE);
        return text == null ? none() : parse(files.displayPath(FILE), text);
    }

    /** No rules: nobody is enrolled in anything. */
    public static EnrolmentRules none() {
        return new EnrolmentRules("(none)", "", List.of(), Policy.UNENROL, Policy.UNENROL);
    }

    /**
     * Compiles a rules file. A canonical field that does not exist, an empty condition or an empty
     * enrolment list stops with file, line and field.
     */
    public static EnrolmentRules parse(String file, String text) {
        YamlTree yaml = YamlTree.parse(file, text);
        JsonNode root = yaml.root();
        Policy onMove = policy(yaml, root.path("policy"), "onMove");
        Policy onLeave = policy(yaml, root.path("policy"), "onLeave");
        List<Rule> rules = new ArrayList<>();
        JsonNode list = root.path("rules");
        if (!list.isArray()) {
            throw new MappingException(file, yaml.lineOf("/rules"), "rules", "'rules' must be a list of rules");
        }
        for (int i = 0; i < list.size(); i++) {
            String pointer = "/rules/" + i;
            JsonNode rule = list.get(i);
            String name = rule.path("name").asText("rule " + (i + 1));
            Map<String, Set<String>> when = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = rule.path("when").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> condition = it.next();
                String at = YamlTree.child(pointer + "/when", condition.getKey());
                if (CanonicalField.byName(condition.getKey()).isEmpty() && !CanonicalField.isAttribute(condition.getKey())) {
                    throw new MappingException(file, yaml.lineOf(at), condition.getKey(), "'" + condition.getKey() + "' is not a canonical field");
                }
                Set<String> values = new TreeSet<>();
                if (condition.getValue().isArray()) {
                    condition.getValue().forEach(v -> values.add(v.asText()));
                } else {
                    values.add(condition.getValue().asText());
                }
                if (values.isEmpty()) {
                    throw new MappingException(file, yaml.lineOf(at), condition.getKey(), "a condition needs at least one value");
                }
                when.put(condition.getKey(), Collections.unmodifiableSet(values));
            }
            Map<String, SortedSet<String>> enrol = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = rule.path("enrol").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> target = it.next();
                SortedSet<String> curricula = new TreeSet<>();
                target.getValue().forEach(v -> curricula.add(v.asText()));
                if (curricula.isEmpty()) {
                    throw new MappingException(file, yaml.lineOf(YamlTree.child(pointer + "/enrol", target.getKey())), target.getKey(),
                            "rule '" + name + "' enrols in nothing for target " + target.getKey());
                }
                enrol.put(target.getKey(), Collections.unmodifiableSortedSet(curricula));
            }
            if (enrol.isEmpty()) {
                throw new MappingException(file, yaml.lineOf(pointer), "enrol", "rule '" + name + "' has no 'enrol' (target: [curriculum ids])");
            }
            rules.add(new Rule(name, yaml.lineOf(pointer), Collections.unmodifiableMap(when), Collections.unmodifiableMap(enrol)));
        }
        return new EnrolmentRules(file, text, rules, onMove, onLeave);
    }

    private static Policy policy(YamlTree yaml, JsonNode policy, String key) {
        String value = policy.path(key).asText("unenrol");
        return switch (value) {
            case "unenrol" -> Policy.UNENROL;
            case "keep" -> Policy.KEEP;
            default -> throw new MappingException(yaml.file(), yaml.lineOf("/policy/" + key), key, "must be unenrol or keep, found '" + value + "'");
        };
    }

    public List<Rule> rules() {
        return rules;
    }

    public String file() {
        return file;
    }

    /** Curricula per target a worker should be enrolled in now (none when terminated). */
    public SortedMap<String, SortedSet<String>> curricula(CanonicalRecord worker) {
        SortedMap<String, SortedSet<String>> out = new TreeMap<>();
        if (worker == null || "TERMINATED".equals(worker.get(CanonicalField.EMPLOYMENT_STATUS.fieldName()))) {
            return out;
        }
        for (Rule rule : rules) {
            if (rule.matches(worker)) {
                rule.enrol().forEach((target, ids) -> out.computeIfAbsent(target, t -> new TreeSet<>()).addAll(ids));
            }
        }
        return out;
    }

    /**
     * What a change means for enrolments, given what the worker holds ({@code held}: the curricula
     * the worker is enrolled in now, per target).
     */
    public Changes changes(SortedMap<String, SortedSet<String>> held, CanonicalRecord after, ChangeKind kind) {
        SortedMap<String, SortedSet<String>> wanted = curricula(after);
        SortedMap<String, SortedSet<String>> enrol = minus(wanted, held);
        Policy policy = kind == ChangeKind.LEAVE ? onLeave : onMove;
        SortedMap<String, SortedSet<String>> unenrol = kind == ChangeKind.JOIN || policy == Policy.KEEP ? new TreeMap<>() : minus(held, wanted);
        return new Changes(enrol, unenrol);
    }

    /** What a worker holds after a change. */
    public static SortedMap<String, SortedSet<String>> apply(SortedMap<String, SortedSet<String>> held, Changes changes) {
        SortedMap<String, SortedSet<String>> out = new TreeMap<>();
        held.forEach((t, ids) -> out.put(t, new TreeSet<>(ids)));
        changes.enrol().forEach((t, ids) -> out.computeIfAbsent(t, k -> new TreeSet<>()).addAll(ids));
        changes.unenrol().forEach((t, ids) -> {
            SortedSet<String> left = out.get(t);
            if (left != null) {
                left.removeAll(ids);
                if (left.isEmpty()) {
                    out.remove(t);
                }
            }
        });
        return out;
    }

    private static SortedMap<String, SortedSet<String>> minus(SortedMap<String, SortedSet<String>> a, SortedMap<String, SortedSet<String>> b) {
        SortedMap<String, SortedSet<String>> out = new TreeMap<>();
        a.forEach((target, ids) -> {
            SortedSet<String> rest = new TreeSet<>(ids);
            rest.removeAll(b.getOrDefault(target, Collections.emptySortedSet()));
            if (!rest.isEmpty()) {
                out.put(target, rest);
            }
        });
        return out;
    }
}
