package io.learnbridge.bench;

import java.nio.file.Path;

/** A way of taking the benchmark file from CSV to staged (or mapped) rows, run once per call. */
public interface BenchPipeline {

    /** Short name for the table. */
    String name();

    /** One line saying what it does, printed above the table. */
    String description();

    /** Runs once over {@code csv}; {@code run} numbers runs from 1, for store file names. */
    RunResult run(int run, Path csv) throws Exception;
}
