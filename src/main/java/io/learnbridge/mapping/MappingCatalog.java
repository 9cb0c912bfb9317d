package io.learnbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every mapping of a deployment, compiled once: value tables from {@code lookups/}, source
 * mappings from {@code sources/}, target mappings from {@code targets/}. A mapping's name is its
 * file name without {@code .mapping.yaml}. Compiling collects every problem instead of stopping at
 * the first, so {@code validate} can list them all.
 */
public final class MappingCatalog {

    public static final String MAPPING_SUFFIX = ".mapping.yaml";
    public static final String CASES_SUFFIX = ".mapping.test.yaml";

    private final MappingFiles files;
    private final Map<String, MappingFile> sources;
    private final Map<String, MappingFile> targets;
    private final Map<String, TargetMapper> targetMappers;
    private final List<MappingException> problems;

    private MappingCatalog(MappingFiles files, Map<String, MappingFile> sources, Map<String, MappingFile> targets, List<MappingException> problems) {
        this.files = files;
        this.sources = Collections.unmodifiableMap(sources);
        this.targets = Collections.unmodifiableMap(targets);
        Map<String, TargetMapper> mappers = new LinkedHashMap<>();
        targets.forEach((name, mapping) -> mappers.put(name, new TargetMapper(mapping)));
        this.targetMappers = Collections.unmodifiableMap(mappers);
        this.problems = List.copyOf(problems);
    }

    /** Compiles everything it can; see {@link #problems()}. */
    public static MappingCatalog compile(MappingFiles files) {
        List<MappingException> problems = new ArrayList<>();
        Map<String, Map<String, Object>> lookups = new LinkedHashMap<>();
        files.files().forEach((path, text) -> {
            if (path.startsWith("lookups/") && (path.endsWith(".yaml") || path.endsWith(".yml"))) {
                String name = path.substring("lookups/".length()).replaceFirst("\\.ya?ml$", "");
                try {
                    YamlTree yaml = YamlTree.parse(files.displayPath(path), text);
                    JsonNode values = yaml.root().get("values");
                    if (values == null || !values.isObject() || values.isEmpty()) {
                        throw new MappingException(yaml.file(), yaml.lineOf("/values"), null, "a value table needs 'values' mapping input values to output values");
                    }
                    lookups.put(name, MappingLoader.tableValues(values));
                } catch (MappingException e) {
                    problems.add(e);
                }
            }
        });
        MappingLoader loader = new MappingLoader(lookups);
        Map<String, MappingFile> sources = new LinkedHashMap<>();
        Map<String, MappingFile> targets = new LinkedHashMap<>();
        files.files().forEach((path, text) -> {
            MappingFile.Kind kind = path.startsWith("sources/") ? MappingFile.Kind.SOURCE : path.startsWith("targets/") ? MappingFile.Kind.TARGET : null;
            if (kind == null || !path.endsWith(MAPPING_SUFFIX)) {
                return;
            }
            String name = path.substring(path.indexOf('/') + 1, path.length() - MAPPING_SUFFIX.length());
            try {
                MappingFile mapping = loader.load(name, kind, YamlTree.parse(files.displayPath(path), text));
                (kind == MappingFile.Kind.SOURCE ? sources : targets).put(name, mapping);
            } catch (MappingException e) {
                problems.add(e);
            }
        });
        return new MappingCatalog(files, sources, targets, problems);
    }

    /** Compiles and fails on the first problem: what startup does. */
    public static MappingCatalog compileStrict(MappingFiles files) {
        MappingCatalog catalog = compile(files);
        if (!catalog.problems.isEmpty()) {
            throw catalog.problems.get(0);
        }
        return catalog;
    }

    public List<MappingException> problems() {
        return problems;
    }

    public MappingFiles files() {
        return files;
    }

    public Map<String, MappingFile> sources() {
        return sources;
    }

    public Map<String, MappingFile> targets() {
        return targets;
    }

    public MappingFile source(String name) {
        return Optional.ofNullable(sources.get(name)).orElseThrow(() -> new IllegalArgumentException(
                "no source mapping '" + name + "' (expected " + files.displayPath("sources/" + name + MAPPING_SUFFIX) + "; known: " + sources.keySet() + ")"));
    }

    public TargetMapper target(String name) {
        return Optional.ofNullable(targetMappers.get(name)).orElseThrow(() -> new IllegalArgumentException(
                "no target mapping '" + name + "' (expected " + files.displayPath("targets/" + name + MAPPING_SUFFIX) + "; known: " + targets.keySet() + ")"));
    }
}
