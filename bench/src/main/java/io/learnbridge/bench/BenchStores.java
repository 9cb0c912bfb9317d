package io.learnbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The embedded H2 file stores the benchmark creates, one per run and pipeline. */
public final class BenchStores {

    private static final List<String> SUFFIXES = List.of(".mv.db", ".trace.db", ".lock.db", ".mv.db.tempFile");

    private BenchStores() {
    }

    /** A durable embedded store (commits reach the file before they return), as the bridge runs it. */
    public static String url(Path dir, String name) {
        return "jdbc:h2:file:" + dir.resolve(name).toAbsolutePath() + ";WRITE_DELAY=0";
    }

    /** Removes a store's files, so a run starts from an empty store. */
    public static void delete(Path dir, String name) throws IOException {
        for (String suffix : SUFFIXES) {
            Files.deleteIfExists(dir.resolve(name + suffix));
        }
    }

    /** Size of the store's database file, 0 when absent. */
    public static long size(Path dir, String name) throws IOException {
        Path file = dir.resolve(name + ".mv.db");
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
