package io.learnbridge.store;

import java.util.ArrayList;
import java.util.List;

/**
 * One empty database for one test: where it is, and the stores the test opened on it (closed,
 * and the database removed, when the test ends).
 */
public final class TestDatabase implements AutoCloseable {

    private final String kind;
    private final String jdbcUrl;
    private final Runnable drop;
    private final List<Store> opened = new ArrayList<>();
    private Store store;

    TestDatabase(String kind, String jdbcUrl, Runnable drop) {
        this.kind = kind;
        this.jdbcUrl = jdbcUrl;
        this.drop = drop;
    }

    public String kind() {
        return kind;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The store of this test, opened (and migrated) on first use. */
    public Store store() {
        if (store == null) {
            store = open();
        }
        return store;
    }

    /** Opens another store on the same database, as a restart or a second instance would. */
    public Store open() {
        Store s = Store.open(jdbcUrl, null, null, 4);
        opened.add(s);
        return s;
    }

    @Override
    public void close() {
        opened.forEach(Store::close);
        drop.run();
    }

    @Override
    public String toString() {
        return kind;
    }
}
