package io.learnbridge.mapping;

import java.util.function.Supplier;

/**
 * The compiled mappings of a running bridge. Compiled once at startup; {@link #reload()} compiles
 * the files again (replay does, so that fixing a mapping file and replaying is the repair loop)
 * and swaps them in only when they compile, so a half-edited file never reaches a route.
 */
public final class Mappings implements Supplier<MappingCatalog> {

    private final String location;
    private volatile MappingCatalog current;

    private Mappings(String location, MappingCatalog current) {
        this.location = location;
        this.current = current;
    }

    /** Compiles the mappings at {@code location}; throws the first problem. */
    public static Mappings load(String location) {
        return new Mappings(location, MappingCatalog.compileStrict(MappingFiles.load(location)));
    }

    @Override
    public MappingCatalog get() {
        return current;
    }

    /** Compiles the files again; on a problem the current mappings stay and the problem is thrown. */
    public synchronized MappingCatalog reload() {
        MappingCatalog fresh = MappingCatalog.compileStrict(MappingFiles.load(location));
        current = fresh;
        return fresh;
    }
}
