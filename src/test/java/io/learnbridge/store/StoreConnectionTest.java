package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.PreparedStatement;
import java.sql.Statement;

class StoreConnectionTest {

    /**
     * On PostgreSQL a JDBC batch of inserts goes out as multi-row inserts (the driver then answers
     * "success, no count" for each row); a URL that says otherwise wins. H2 runs each row.
     */
    @OnEveryDatabase
    void batchedInsertsAreRewrittenIntoMultiRowInsertsOnPostgresqlUnlessTheUrlSaysOtherwise(TestDatabase db) {
        boolean postgres = db.kind().equals("PostgreSQL");

        int[] counts = insertFourInABatch(db.store(), "t_default");
        if (postgres) {
            // the driver sends rows in multi-row statements of powers of two
            assertThat(counts).containsExactly(Statement.SUCCESS_NO_INFO, Statement.SUCCESS_NO_INFO, Statement.SUCCESS_NO_INFO, Statement.SUCCESS_NO_INFO);
        } else {
            assertThat(counts).containsExactly(1, 1, 1, 1);
        }

        if (postgres) {
            try (Store explicit = Store.open(db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "reWriteBatchedInserts=false", null, null, 2)) {
                assertThat(insertFourInABatch(explicit, "t_explicit")).containsExactly(1, 1, 1, 1);
            }
        }
    }

    private static int[] insertFourInABatch(Store store, String table) {
        return store.tx(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("create table " + table + " (n integer)");
            }
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " (n) values (?)")) {
                for (int n = 1; n <= 4; n++) {
                    ps.setInt(1, n);
                    ps.addBatch();
                }
                return ps.executeBatch();
            }
        });
    }
}
