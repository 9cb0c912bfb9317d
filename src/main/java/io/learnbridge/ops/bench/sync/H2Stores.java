package io.learnbridge.ops.bench.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Embedded H2 file stores under a folder, durable as the bridge runs them ({@code WRITE_DELAY=0}). */
public final class H2Stores implements StoreFactory {

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
        return "H2 " + org.h2.engine.Constants.VERSION + " embedded file store (WRITE_DELAY=0: every commit reaches the file) under " + dir;
    }

    @Override
    public StoreDb create(String name) throws IOException {
        Path folder = dir.resolve(name);
        Folders.deleteTree(folder);
        Files.createDirectories(folder);
        Path base = folder.resolve("store").toAbsolutePath();
        return new StoreDb(name, "jdbc:h2:file:" + base + ";WRITE_DELAY=0", "sa", "", Path.of(base + ".mv.db"));
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
