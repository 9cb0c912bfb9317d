package io.learnbridge.cluster;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One embedded PostgreSQL database that several bridges share as their store, for the several-instances tests: the
 * store settings of an instance, counts read beside the bridges, and whether an instance is ready.
 */
final class SharedStore implements AutoCloseable {

    private static final String DATABASE = "shared_store";

    private final EmbeddedPostgres postgres;

    SharedStore() throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off").start();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database " + DATABASE);
        }
    }

    /** The settings of instance {@code instanceId} on this store. */
    Map<String, String> settings(String instanceId) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("learnbridge.store.url", postgres.getJdbcUrl("postgres", DATABASE));
        settings.put("learnbridge.store.user", "postgres");
        settings.put("learnbridge.instanceId", instanceId);
        return settings;
    }

    Connection connection() throws SQLException {
        return postgres.getDatabase("postgres", DATABASE).getConnection();
    }

    int count(String sql) throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The instance that claimed each drop, oldest drop first. */
    java.util.List<String> claimers() throws SQLException {
        java.util.List<String> claimers = new java.util.ArrayList<>();
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select claimed_by from drop_file order by id")) {
            while (rs.next()) {
                claimers.add(rs.getString(1));
            }
        }
        return claimers;
    }

    /** How many deliveries each instance settled (the instance id that claimed each last). */
    Map<String, Integer> deliveriesByInstance() throws SQLException {
        Map<String, Integer> counts = new TreeMap<>();
        try (Connection c = connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "select coalesce(claimed_by, '-'), count(*) from delivery group by claimed_by")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
        }
        return counts;
    }

    /** Whether the bridge whose management port is {@code port} is ready (what a load balancer's probe asks). */
    static boolean ready(int port) throws Exception {
        return io.learnbridge.testing.TestHttp.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health/ready"))
                .timeout(io.learnbridge.testing.TestHttp.REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
    }

    @Override
    public void close() throws Exception {
        postgres.close();
    }
}
