package io.learnbridge.cluster;

import io.learnbridge.store.Store;
import java.time.Duration;
import java.util.Objects;
import org.apache.camel.support.cluster.AbstractCamelClusterService;

/**
 * A Camel cluster service that elects, for each namespace, one leader among the bridge instances that share a
 * PostgreSQL store. The {@code master:} component asks it which instance may run a route's consumer, so a drop folder
 * is polled by one instance at a time.
 *
 * <p>Leadership of a namespace is a PostgreSQL session-level advisory lock, held by a dedicated connection that each
 * {@link StoreClusterView} opens itself (not one from the store's pool, so a pool refresh never drops it). The lock is
 * exclusive within the database, so at most one session holds it at any moment.
 *
 * <p>How fast a leader is replaced: a stopped leader unlocks at once. When a leader's process dies, its operating
 * system closes the TCP connection and PostgreSQL ends the session and frees the lock at once; the others take it
 * within one {@code retryPeriod} (the {@code master:} component then starts the route's consumer after its own
 * one-second delay). When a leader's host vanishes or the network between it and the database breaks,
 * PostgreSQL only notices through the server's TCP keepalive ({@code tcp_keepalives_idle}, {@code _interval},
 * {@code _count}, or {@code tcp_user_timeout}); until then the lock stays held and nobody leads. The connection sets
 * {@code tcpKeepAlive=true} and a {@code socketTimeout}, so the old leader itself notices within
 * {@code retryPeriod + socketTimeout}.
 *
 * <p>What can still give two leaders: the lock is freed while the old leader has not yet noticed that its session is
 * gone (the session was terminated, the server restarted or failed over, or the server's keepalive gave up first).
 * The old leader steps down at its next check, so two instances may both lead for at most
 * {@code retryPeriod + socketTimeout}. Setting the server's keepalive detection time longer than that bound makes the
 * old leader step down before the lock can be freed on a network break. Work already running when a leader steps
 * down (a file being read) is not interrupted. The connection must reach PostgreSQL directly or through a pooler in
 * session mode: a transaction-mode pooler does not keep session locks.
 *
 * <p>Members: each view knows only its local member, and the leader only when it is the local one.
 */
public final class StoreClusterService extends AbstractCamelClusterService<StoreClusterView> {

    /** The setting that names the store; H2 cannot elect, so the error names it. */
    static final String STORE_URL_SETTING = "learnbridge.store.url";

    private final String url;
    private final String user;
    private final String password;
    private Duration retryPeriod = Duration.ofSeconds(2);
    private Duration socketTimeout = Duration.ofSeconds(5);

    /**
     * @param instanceId this instance's name in the cluster, shown in the log and as the local member's id
     * @param url the store's JDBC URL; must be PostgreSQL
     * @param user the store's user, or null
     * @param password the store's password, or null
     */
    public StoreClusterService(String instanceId, String url, String user, String password) {
        super(Objects.requireNonNull(instanceId, "instanceId"));
        this.url = Objects.requireNonNull(url, "url");
        this.user = user;
        this.password = password;
    }

    /** How often a follower tries to take the lock and a leader checks its connection (default 2 s). */
    public void setRetryPeriod(Duration retryPeriod) {
        this.retryPeriod = retryPeriod;
    }

    public Duration getRetryPeriod() {
        return retryPeriod;
    }

    /** The longest a query on the election connection may wait for the database before it fails (default 5 s). */
    public void setSocketTimeout(Duration socketTimeout) {
        this.socketTimeout = socketTimeout;
    }

    public Duration getSocketTimeout() {
        return socketTimeout;
    }

    String url() {
        return url;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    /** Refuses a store that is not PostgreSQL: H2 has no advisory locks, and one instance on H2 needs no election. */
    @Override
    protected void doStart() throws Exception {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalStateException("The store cluster service needs a PostgreSQL store, but " + STORE_URL_SETTING
                    + " is " + Store.redact(url) + ". H2 has no advisory locks, and a single instance on H2 needs no "
                    + "leader election: run one instance without a cluster service, or point " + STORE_URL_SETTING
                    + " at PostgreSQL.");
        }
        super.doStart();
    }

    @Override
    protected StoreClusterView createView(String namespace) {
        return new StoreClusterView(this, namespace);
    }
}
