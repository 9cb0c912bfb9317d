package io.learnbridge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several bridges started at once on one empty PostgreSQL database (several instances, one store): each opens the
 * store, and so runs the migrations, at the same moment, through its own connection pool. Flyway serialises them
 * with a PostgreSQL advisory lock: every instance starts, and every migration is applied exactly once.
 */
class ConcurrentMigrationTest {

    private static final int INSTANCES = 3;
    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off").start();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database migrate_once");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void instancesStartedTogetherOnAnEmptyDatabaseMigrateItOnce() throws Exception {
        String url = postgres.getJdbcUrl("postgres", "migrate_once");
        CyclicBarrier together = new CyclicBarrier(INSTANCES);
        ExecutorService instances = Executors.newFixedThreadPool(INSTANCES);
        List<Future<Store>> opened = new ArrayList<>();
        try {
            for (int i = 0; i < INSTANCES; i++) {
                Callable<Store> open = () -> {
                    together.await(30, TimeUnit.SECONDS);
                    return Store.open(url, "postgres", "", 2);
                };
                opened.add(instances.submit(open));
            }
            List<Store> stores = new ArrayList<>();
            for (Future<Store> store : opened) {
                // an instance whose migration collided with another's would throw here (a table that already exists)
                stores.add(store.get(120, TimeUnit.SECONDS));
            }
            for (Store store : stores) {
                int drops = store.tx(c -> count(c, "select count(*) from drop_file"));
                assertThat(drops).as("each instance reads the migrated schema").isZero();
                store.close();
            }
        } finally {
            instances.shutdownNow();
        }

        int migrations = migrationsPackaged();
        try (Connection c = postgres.getDatabase("postgres", "migrate_once").getConnection(); Statement s = c.createStatement()) {
            assertThat(count(c, "select count(*) from flyway_schema_history where version is not null and success"))
                    .as("every packaged migration applied").isEqualTo(migrations);
            try (ResultSet twice = s.executeQuery("select version, count(*) from flyway_schema_history where version is not null "
                    + "group by version having count(*) > 1")) {
                assertThat(twice.next()).as("a migration applied twice").isFalse();
            }
            assertThat(count(c, "select count(*) from flyway_schema_history where not success")).as("failed migrations").isZero();
        }
    }

    /** The versioned migrations the jar carries: SQL files under db/migration and Java migrations in package db.migration. */
    private static int migrationsPackaged() throws Exception {
        java.nio.file.Path sqlDir = java.nio.file.Path.of("src/main/resources/db/migration");
        java.nio.file.Path javaDir = java.nio.file.Path.of("src/main/java/db/migration");
        try (var sqlFiles = java.nio.file.Files.list(sqlDir); var javaFiles = java.nio.file.Files.list(javaDir)) {
            long count = sqlFiles.filter(p -> p.getFileName().toString().matches("V\\d+__.*\\.sql")).count()
                    + javaFiles.filter(p -> p.getFileName().toString().matches("V\\d+__.*\\.java")).count();
            assertThat(count).as("migrations found in the checkout").isGreaterThan(10);
            return Math.toIntExact(count);
        }
    }

    private static int count(Connection c, String sql) throws java.sql.SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
