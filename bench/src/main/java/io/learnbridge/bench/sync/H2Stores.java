package io.learnbridge.bench.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Embedded H2 file stores under a folder, durable as the bridge runs them ({@code WRITE_DELAY=0}). */
public final class H2Stores implements StoreFactory {

    /** H2's RETENTION_TIME for the benchmark's stores (see {@link #create}); each simulated night waits this long first. */
    public static final int RETENTION_MILLIS = 1_000;

    private final Path dir;
    private final boolean keep;

    public H2Stores(Path dir, boolean keep) {
        this.dir = dir;
        this.keep = keep;
    }

    @Override
    public String kind() {
        return "H2";
    }

    @Override
    public String description() {
        return "H2 " + org.h2.engine.Constants.VERSION + " embedded file store (WRITE_DELAY=0: every commit reaches the file; RETENTION_TIME=" + RETENTION_MILLIS
                + " ms instead of 45 s, as days here are seconds apart) under " + dir;
    }

    @Override
    public StoreDb create(String name) throws IOException {
        Path folder = dir.resolve(name);
        Folders.deleteTree(folder);
        Files.createDirectories(folder);
        Path base = folder.resolve("store").toAbsolutePath();
        // H2 rewrites or reuses a replaced chunk only once it is RETENTION_TIME old (45 s by default, for power failures): the
        // benchmark's days are seconds apart, so 1 s lets each simulated night see the day's chunks as a real night would
        return new StoreDb(name, "jdbc:h2:file:" + base + ";WRITE_DELAY=0;RETENTION_TIME=" + RETENTION_MILLIS, "sa", "", Path.of(base + ".mv.db"));
    }

    @Override
    public void drop(StoreDb db) throws IOException {
        if (!keep) {
            Folders.deleteTree(dir.resolve(db.name()));
        }
    }

    @Override
    public void close() {
    }
}
