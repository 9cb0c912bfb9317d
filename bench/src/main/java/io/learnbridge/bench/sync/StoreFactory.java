package io.learnbridge.bench.sync;

/** Where the benchmark's fresh stores come from: one per pipeline and run, of one kind. */
public interface StoreFactory extends AutoCloseable {

    /** {@code H2} or {@code PostgreSQL}. */
    String kind();

    /** The store as the report names it: engine, version, durability, where. */
    String description();

    /** A new, empty store. */
    StoreDb create(String name) throws Exception;

    /** Removes a store made by {@link #create}, unless the stores are kept. */
    void drop(StoreDb db) throws Exception;

    @Override
    void close() throws Exception;
}
