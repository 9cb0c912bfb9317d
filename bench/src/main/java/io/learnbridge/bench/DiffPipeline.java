package io.learnbridge.bench;

import java.nio.file.Path;

/** A way of diffing day 2 of the benchmark data against day 1's stored state, run once per call. */
public interface DiffPipeline {

    /** Short name for the tables. */
    String name();

    /** One line saying what it does, printed above the tables. */
    String description();

    /** Loads {@code day1} into fresh state, then diffs {@code day2} against it; {@code run} numbers runs from 1. */
    DiffRun run(int run, Path day1, Path day2) throws Exception;
}
