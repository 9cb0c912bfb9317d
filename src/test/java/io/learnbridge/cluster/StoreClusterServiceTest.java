package io.learnbridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several bridge instances, each a Camel context with its own {@link StoreClusterService} on one embedded PostgreSQL,
 * run the same {@code master:} route. Each tick is recorded with the instance and the time, so the tests can see who
 * leads, and when.
 */
class StoreClusterServiceTest {

    private static final String NAMESPACE = "drops-hris";
    private static final Duration RETRY = Duration.ofMillis(500);
    /** The old leader learns that its session ended at its next check: one retry period, plus the time the check takes. */
    private static final Duration CHECK_ALLOWANCE = Duration.ofMillis(200);
    /** Longer than any pause between two ticks of one leader (period 50 ms), shorter than the timer's 1 s first delay. */
    private static final long TERM_GAP = Duration.ofMillis(300).toNanos();
    private static EmbeddedPostgres postgres;

    private final Queue<Tick> ticks = new ConcurrentLinkedQueue<>();
    private final Queue<Change> changes = new ConcurrentLinkedQueue<>();
    private final Map<String, CamelContext> contexts = new HashMap<>();
    private final Map<String, StoreClusterService> services = new HashMap<>();

    private record Tick(String instance, long at) {
    }

    private record Change(String instance, long at, boolean leader) {
    }

    /** A run of one instance's ticks without a pause longer than {@link #TERM_GAP}. */
    private record Term(String instance, long from, long to) {
    }

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off").start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @AfterEach
    void stopInstances() {
        contexts.values().forEach(CamelContext::stop);
    }

    @Test
    void onlyOneInstanceTicksWhileAllRun() throws Exception {
        startInstances("a", "b", "c");

        String leader = settledLeader();

        assertThat(services.values().stream().filter(s -> s.isLeader(NAMESPACE)).map(StoreClusterService::getId))
                .as("the instances that say they lead").containsExactly(leader);
    }

    @Test
    void anotherInstanceTakesOverWhenTheLeaderStops() throws Exception {
        startInstances("a", "b");
        String leader = settledLeader();
        String follower = other(leader);

        contexts.get(leader).stop();
        long stopped = System.nanoTime();
        await("leadership taken over").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> services.get(follower).isLeader(NAMESPACE));
        Duration leads = Duration.ofNanos(System.nanoTime() - stopped);
        await("the new leader ticks").atMost(Duration.ofSeconds(10)).until(() -> firstTickAfter(follower, stopped) > 0);
        Duration ticks = Duration.ofNanos(firstTickAfter(follower, stopped) - stopped);

        System.out.printf("Takeover after the leader stopped: %d ms to leadership, %d ms to the first tick "
                + "(retry period %d ms; camel-master starts the consumer 1 s after leadership, the timer ticks 1 s after that)%n", leads.toMillis(), ticks.toMillis(), RETRY.toMillis());
        assertThat(ticks).as("time to the new leader's first tick").isLessThan(Duration.ofSeconds(10));
        assertThat(firstTickAfter(leader, stopped)).as("a tick of the stopped instance").isZero();
    }

    @Test
    void aLeaderWhoseSessionEndsStepsDownAndOneLeaderResumes() throws Exception {
        startInstances("a", "b");
        String leader = settledLeader();
        services.forEach(this::recordChanges);

        long terminated = terminateLeaderSession(leader);

        await("the old leader steps down").atMost(Duration.ofSeconds(5)).until(() -> lostAfter(leader, terminated) > 0);
        long lost = lostAfter(leader, terminated);
        await("a leader ticks again").atMost(Duration.ofSeconds(10)).until(() -> !tickersSince(lost + TERM_GAP).isEmpty());
        String resumed = settledLeader();
        long bothLed = Duration.ofNanos(Math.max(0, lost - wonAfter(other(leader), terminated))).toMillis();
        System.out.printf("After the session of %s ended: %s stepped down after %d ms, %s leads; both led for %d ms%n", leader,
                leader, Duration.ofNanos(lost - terminated).toMillis(), resumed, bothLed);

        assertThat(ticksBetween(leader, lost + TERM_GAP, wonAfter(leader, lost)))
                .as("ticks of the old leader after it stepped down and before it led again").isZero();
        assertThat(longestOverlap()).as("longest time both instances ticked, in ms")
                .isLessThanOrEqualTo(RETRY.toMillis());
        assertThat(bothLed).as("time both instances led, in ms (one retry period, and one check query and thread switch)")
                .isLessThanOrEqualTo(RETRY.plus(CHECK_ALLOWANCE).toMillis());
    }

    @Test
    void theElectionSessionAsksTheServerForAShortKeepaliveSoThatAVanishedLeadersLockIsFreed() throws Exception {
        StoreClusterService service = new StoreClusterService("a", postgres.getJdbcUrl("postgres", "postgres"), "postgres", "");
        try (java.sql.Connection session = new StoreClusterView(service, "keepalive").open(); java.sql.Statement s = session.createStatement()) {
            java.util.List<String> shown = new java.util.ArrayList<>();
            for (String setting : java.util.List.of("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")) {
                try (java.sql.ResultSet r = s.executeQuery("show " + setting)) {
                    r.next();
                    shown.add(r.getString(1));
                }
            }
            // the server's default on Linux is the kernel's (7200 s idle, 75 s interval, 9 probes): over two hours
            assertThat(shown).containsExactly("10", "2", "3");
        }
    }

    @Test
    void refusesToStartOnH2NamingTheSetting() {
        StoreClusterService service = new StoreClusterService("a", "jdbc:h2:mem:cluster", "sa", "");

        assertThatThrownBy(service::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("learnbridge.store.url").hasMessageContaining("jdbc:h2:mem:cluster");
    }

    private void startInstances(String... ids) throws Exception {
        for (String id : ids) {
            contexts.put(id, startInstance(id));
        }
    }

    private CamelContext startInstance(String id) throws Exception {
        StoreClusterService service = new StoreClusterService(id, postgres.getJdbcUrl("postgres", "postgres"), "postgres", "");
        service.setRetryPeriod(RETRY);
        service.setSocketTimeout(Duration.ofSeconds(2));
        services.put(id, service);
        DefaultCamelContext context = new DefaultCamelContext();
        context.getCamelContextExtension().setName(id);
        context.addService(service);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("master:" + NAMESPACE + ":timer:tick?period=50").process(e -> ticks.add(new Tick(id, System.nanoTime())));
            }
        });
        context.start();
        return context;
    }

    /**
     * Waits for ticks, then watches for one second that a single instance ticks, and returns it. The wait ends early
     * (and fails) as soon as a second instance ticks in that second.
     */
    private String settledLeader() {
        await("a first tick").atMost(Duration.ofSeconds(10)).until(() -> !ticks.isEmpty());
        long from = System.nanoTime();
        await("one instance ticking for 1 s").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> tickersSince(from).size() <= 1);
        Set<String> tickers = tickersSince(from);
        assertThat(tickers).as("instances that ticked in the last second").hasSize(1);
        String leader = tickers.iterator().next();
        assertThat(ticksBetween(leader, from, Long.MAX_VALUE)).as("ticks of the leader in one second").isGreaterThanOrEqualTo(10);
        return leader;
    }

    /** Ends the leader's election session from an admin connection, as PostgreSQL does for a dead client, and returns when. */
    private long terminateLeaderSession(String leader) throws Exception {
        try (Connection admin = postgres.getPostgresDatabase().getConnection(); Statement s = admin.createStatement();
             ResultSet r = s.executeQuery("select a.application_name, pg_terminate_backend(a.pid) from pg_locks l "
                     + "join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted")) {
            assertThat(r.next()).as("a session holding an advisory lock").isTrue();
            assertThat(r.getString(1)).as("the lock holder's session").isEqualTo("learnbridge-cluster " + leader);
            assertThat(r.getBoolean(2)).as("session terminated").isTrue();
            assertThat(r.next()).as("a second session holding an advisory lock").isFalse();
        }
        return System.nanoTime();
    }

    private void recordChanges(String id, StoreClusterService service) {
        try {
            service.getView(NAMESPACE).addEventListener((CamelClusterEventListener.Leadership) (view, leader) ->
                    changes.add(new Change(id, System.nanoTime(), view.getLocalMember().isLeader())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String other(String id) {
        return contexts.keySet().stream().filter(k -> !k.equals(id)).findFirst().orElseThrow();
    }

    private Set<String> tickersSince(long from) {
        return ticks.stream().filter(t -> t.at() >= from).map(Tick::instance).collect(Collectors.toSet());
    }

    private long ticksBetween(String instance, long from, long to) {
        return ticks.stream().filter(t -> t.instance().equals(instance) && t.at() >= from && t.at() < to).count();
    }

    private long firstTickAfter(String instance, long from) {
        return ticks.stream().filter(t -> t.instance().equals(instance) && t.at() > from).mapToLong(Tick::at).min().orElse(0);
    }

    private long lostAfter(String instance, long from) {
        return changes.stream().filter(c -> c.instance().equals(instance) && !c.leader() && c.at() > from)
                .mapToLong(Change::at).min().orElse(0);
    }

    private long wonAfter(String instance, long from) {
        return changes.stream().filter(c -> c.instance().equals(instance) && c.leader() && c.at() > from)
                .mapToLong(Change::at).min().orElse(Long.MAX_VALUE);
    }

    /** The longest time, in ms, that terms of two different instances overlapped. */
    private long longestOverlap() {
        List<Term> terms = terms();
        long longest = 0;
        for (Term x : terms) {
            for (Term y : terms) {
                if (!x.instance().equals(y.instance())) {
                    longest = Math.max(longest, Math.min(x.to(), y.to()) - Math.max(x.from(), y.from()));
                }
            }
        }
        return Duration.ofNanos(longest).toMillis();
    }

    private List<Term> terms() {
        List<Term> terms = new ArrayList<>();
        Map<String, List<Tick>> byInstance = ticks.stream().sorted(Comparator.comparingLong(Tick::at))
                .collect(Collectors.groupingBy(Tick::instance));
        byInstance.forEach((instance, own) -> {
            long from = own.get(0).at();
            for (int i = 1; i < own.size(); i++) {
                if (own.get(i).at() - own.get(i - 1).at() > TERM_GAP) {
                    terms.add(new Term(instance, from, own.get(i - 1).at()));
                    from = own.get(i).at();
                }
            }
            terms.add(new Term(instance, from, own.get(own.size() - 1).at()));
        });
        return terms;
    }
}
