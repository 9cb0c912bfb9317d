package io.learnbridge.bench.sync;

import java.nio.file.Path;

/** One way to sync the drops to the target: the bridge, or the hand-written floor. */
public interface SyncPipeline {

    String name();

    String description();

    /** Starts the pipeline on a fresh store; {@code home} is a folder it may use (drop folders, files). */
    Session open(StoreDb db, Path home, int run) throws Exception;

    /** The pipeline started on one store; drops go through it one at a time, in order. */
    interface Session extends AutoCloseable {

        /** Syncs one drop and waits until its changes are delivered (or given up); {@code store} names the store kind in the result. */
        PhaseRun drop(String store, int run, DayFile day) throws Exception;
    }
}
