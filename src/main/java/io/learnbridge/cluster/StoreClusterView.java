package io.learnbridge.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One namespace's election in a {@link StoreClusterService}: every retry period a follower tries
 * {@code pg_try_advisory_lock} on its own connection and becomes leader when it gets the lock; a leader runs a short
 * query instead and steps down at once when it fails, then tries again on a new connection. All database work runs on
 * the view's single thread; stopping the view unlocks and closes the connection.
 */
public final class StoreClusterView extends AbstractCamelClusterView {

    private static final Logger LOG = LoggerFactory.getLogger(StoreClusterView.class);

    private final StoreClusterService service;
    private final long lockKey;
    private final LocalMember localMember = new LocalMember();
    private volatile boolean leader;
    private ScheduledExecutorService election;
    private Connection connection;

    StoreClusterView(StoreClusterService service, String namespace) {
        super(service, namespace);
        this.service = service;
        this.lockKey = lockKey(namespace);
    }

    /** The advisory lock's key: the first 8 bytes of SHA-256 of "learnbridge:" and the namespace, the same on every instance. */
    static long lockKey(String namespace) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("learnbridge:" + namespace).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public Optional<CamelClusterMember> getLeader() {
        return leader ? Optional.of(localMember) : Optional.empty();
    }

    @Override
    public CamelClusterMember getLocalMember() {
        return localMember;
    }

    @Override
    public List<CamelClusterMember> getMembers() {
        return List.of(localMember);
    }

    @Override
    protected void doStart() {
        election = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "learnbridge-cluster-" + getNamespace());
            thread.setDaemon(true);
            return thread;
        });
        long period = service.getRetryPeriod().toMillis();
        election.scheduleWithFixedDelay(this::round, 0, period, TimeUnit.MILLISECONDS);
    }

    /** Waits for a running round to end, then gives the lock back and closes the connection. */
    @Override
    protected void doStop() throws InterruptedException {
        election.shutdownNow();
        election.awaitTermination(service.getRetryPeriod().plus(service.getSocketTimeout()).toMillis(), TimeUnit.MILLISECONDS);
        if (leader) {
            unlock();
            stepDown("its view stopped");
        }
        closeConnection();
    }

    /** One election round; never throws, so the schedule goes on. */
    private void round() {
        try {
            if (leader) {
                check();
            } else {
                tryLock();
            }
        } catch (SQLException | RuntimeException e) {
            if (leader) {
                stepDown("its connection to the store failed: " + e);
            } else {
                LOG.debug("Instance {} could not try for leadership of namespace {}: {}", service.getId(), getNamespace(), e.toString());
            }
            closeConnection();
        }
    }

    private void tryLock() throws SQLException {
        if (connection == null) {
            connection = open();
        }
        try (PreparedStatement s = connection.prepareStatement("select pg_try_advisory_lock(?)")) {
            s.setLong(1, lockKey);
            if (firstBoolean(s)) {
                leader = true;
                LOG.info("Instance {} is now the leader of namespace {}", service.getId(), getNamespace());
                fireLeadershipChangedEvent(localMember);
            }
        }
    }

    private void check() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("select true")) {
            s.setQueryTimeout(timeoutSeconds());
            if (!firstBoolean(s)) {
                throw new SQLException("the check query returned nothing");
            }
        }
    }

    private static boolean firstBoolean(PreparedStatement s) throws SQLException {
        try (ResultSet r = s.executeQuery()) {
            return r.next() && r.getBoolean(1);
        }
    }

    private void stepDown(String why) {
        leader = false;
        LOG.info("Instance {} is no longer the leader of namespace {}: {}", service.getId(), getNamespace(), why);
        fireLeadershipChangedEvent(Optional.empty());
    }

    private void unlock() {
        try (PreparedStatement s = connection.prepareStatement("select pg_advisory_unlock(?)")) {
            s.setLong(1, lockKey);
            s.setQueryTimeout(timeoutSeconds());
            firstBoolean(s);
        } catch (SQLException e) {
            LOG.debug("Instance {} could not unlock namespace {}; closing the session frees it: {}", service.getId(), getNamespace(), e.toString());
        }
    }

    /**
     * A connection of its own, with TCP keepalive on and a socket timeout, so that a dead network fails the leader's
     * check instead of hanging it.
     */
    Connection open() throws SQLException {
        Properties properties = new Properties();
        if (service.user() != null && !service.user().isEmpty()) {
            properties.setProperty("user", service.user());
        }
        if (service.password() != null && !service.password().isEmpty()) {
            properties.setProperty("password", service.password());
        }
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("socketTimeout", String.valueOf(timeoutSeconds()));
        properties.setProperty("connectTimeout", String.valueOf(timeoutSeconds()));
        properties.setProperty("ApplicationName", "learnbridge-cluster " + service.getId());
        Connection opened = DriverManager.getConnection(service.url(), properties);
        serverKeepalive(opened);
        return opened;
    }

    /**
     * The server's side of this session's TCP keepalive: PostgreSQL ends the session of a leader whose host vanished
     * (and frees its lock) after about {@link #KEEPALIVE_IDLE_SECONDS} + {@link #KEEPALIVE_INTERVAL_SECONDS} x
     * {@link #KEEPALIVE_COUNT} = 16 s instead of the system default (often two hours), longer than the
     * {@code retryPeriod + socketTimeout} within which a cut-off leader steps down by itself. Settable by any user;
     * ignored on a Unix-socket connection. A server that refuses them keeps its own defaults (logged).
     */
    private void serverKeepalive(Connection opened) {
        try (java.sql.Statement s = opened.createStatement()) {
            s.execute("set tcp_keepalives_idle = " + KEEPALIVE_IDLE_SECONDS);
            s.execute("set tcp_keepalives_interval = " + KEEPALIVE_INTERVAL_SECONDS);
            s.execute("set tcp_keepalives_count = " + KEEPALIVE_COUNT);
        } catch (SQLException e) {
            LOG.warn("The store did not take this election session's TCP keepalive settings; a vanished leader's lock is freed only by the"
                    + " server's own keepalive: {}", e.toString());
        }
    }

    static final int KEEPALIVE_IDLE_SECONDS = 10;
    static final int KEEPALIVE_INTERVAL_SECONDS = 2;
    static final int KEEPALIVE_COUNT = 3;

    private int timeoutSeconds() {
        return (int) Math.max(1, service.getSocketTimeout().toSeconds());
    }

    private void closeConnection() {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("Closing the election connection of namespace {} failed: {}", getNamespace(), e.toString());
        }
        connection = null;
    }

    /** This instance, as the only member a view knows. */
    private final class LocalMember implements CamelClusterMember {

        @Override
        public String getId() {
            return service.getId();
        }

        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public boolean isLocal() {
            return true;
        }
    }
}
