package io.learnbridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code learnbridge.cluster.service = kubernetes}: two instances, each a Camel context with its own
 * {@link KubernetesClusterService} made by {@link KubernetesLeases} and the {@link DropPollerElection} route policy, poll
 * one drop folder through real sockets to a Kubernetes API server. The API server is a stand-in: fabric8's mock server
 * in CRUD mode ({@link KubernetesMockApi}), since no real one can be installed here. It keeps Leases and Pods with
 * resourceVersions and refuses stale updates, as the API server does; it does not enforce RBAC and runs no kubelet, so
 * the tests set the pods' Ready condition as a kubelet would.
 *
 * <p>Short times: lease 3 s, renew deadline 2 s, retry period 0.5 s.
 */
class KubernetesClusterServiceTest {

    private static final KubernetesLeases.Timing TIMING = new KubernetesLeases.Timing(Duration.ofSeconds(3), Duration.ofSeconds(2),
            Duration.ofMillis(500));
    private static final String ROUTE = "drops";
    private static final String LEASE = KubernetesLeases.leaseName(DropPollerElection.namespace(ROUTE));
    private static final AtomicInteger NAMESPACES = new AtomicInteger();
    private static KubernetesMockApi api;

    @TempDir
    Path folder;
    private final String namespace = "lb-test-" + NAMESPACES.incrementAndGet();
    private final Map<String, CamelContext> contexts = new LinkedHashMap<>();
    private final Map<String, KubernetesClusterService> services = new LinkedHashMap<>();
    private final Queue<String> reads = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void startApi() throws Exception {
        api = new KubernetesMockApi().pointClientsHere();
    }

    @AfterAll
    static void stopApi() {
        if (api != null) {
            api.close();
        }
    }

    @AfterEach
    void stopInstances() {
        contexts.values().forEach(CamelContext::stop);
    }

    @Test
    void twoInstancesOnOneNamespaceHaveOneLeaderNamedInTheLease() throws Exception {
        api.pod(namespace, "bridge-a", true);
        api.pod(namespace, "bridge-b", true);
        start("bridge-a");
        start("bridge-b");

        String leader = settledLeader();
        String follower = other(leader);

        Lease lease = api.lease(namespace, LEASE).orElseThrow();
        assertThat(lease.getSpec().getHolderIdentity()).as("the Lease's holder").isEqualTo(leader);
        assertThat(lease.getSpec().getLeaseDurationSeconds()).as("the Lease's duration, s").isEqualTo(3);
        assertThat(services.get(follower).getView(DropPollerElection.namespace(ROUTE)).getLeader().map(m -> m.getId()))
                .as("the leader as the follower sees it").contains(leader);
        Files.writeString(folder.resolve("workers.csv"), "id\n1\n");
        await("the drop read").atMost(Duration.ofSeconds(10)).until(() -> !reads.isEmpty());
        await("nobody else reads it").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> reads.size() == 1);
        assertThat(reads).as("who read the drop").containsExactly(leader);
        assertThat(routeStatus(follower)).as("the follower's drop route").isEqualTo(ServiceStatus.Stopped);
    }

    @Test
    void aDeadLeaderIsReplacedOnceItsPodIsNotReadyWithinRetryAndLeaseDuration() throws Exception {
        api.pod(namespace, "bridge-a", true);
        api.pod(namespace, "bridge-b", true);
        start("bridge-a");
        start("bridge-b");
        String leader = settledLeader();
        String follower = other(leader);

        // death without a goodbye: stopping the context stops the leader's election thread, which gives nothing back
        contexts.get(leader).stop();
        assertThat(api.holder(namespace, LEASE)).as("the Lease's holder after the leader died").contains(leader);

        // while the dead leader's pod is still Ready, camel-kubernetes counts it as a valid leader, however old its Lease
        await("the follower stays stopped while the dead leader's pod is Ready").during(TIMING.leaseDuration().multipliedBy(2))
                .atMost(TIMING.leaseDuration().multipliedBy(3)).until(() -> routeStatus(follower) == ServiceStatus.Stopped);
        assertThat(api.holder(namespace, LEASE)).as("the Lease's holder two lease durations after the leader died").contains(leader);

        // the kubelet reports the pod not Ready once its container has exited (or failed its readiness probe)
        api.ready(namespace, leader, false);
        long notReady = System.nanoTime();
        await("the follower polls").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                .until(() -> routeStatus(follower) == ServiceStatus.Started);
        Duration takeover = Duration.ofNanos(System.nanoTime() - notReady);
        Duration bound = Duration.ofMillis((long) (KubernetesLeases.JITTER * TIMING.retryPeriod().toMillis()))
                .plus(TIMING.leaseDuration()).plusMillis(500);
        System.out.printf("Kubernetes takeover: %d ms from the dead leader's pod turning not Ready to the follower's drop route "
                + "started (retry period %d ms x 1 to %.1f, then the lease duration %d ms)%n", takeover.toMillis(),
                TIMING.retryPeriod().toMillis(), KubernetesLeases.JITTER, TIMING.leaseDuration().toMillis());

        assertThat(takeover).as("time to takeover").isGreaterThanOrEqualTo(TIMING.leaseDuration()).isLessThanOrEqualTo(bound);
        Lease lease = api.lease(namespace, LEASE).orElseThrow();
        assertThat(lease.getSpec().getHolderIdentity()).as("the Lease's new holder").isEqualTo(follower);
        assertThat(lease.getSpec().getLeaseTransitions()).as("the Lease's transitions").isEqualTo(1);
        Files.writeString(folder.resolve("workers.csv"), "id\n1\n");
        await("the drop read").atMost(Duration.ofSeconds(10)).until(() -> !reads.isEmpty());
        assertThat(reads).as("who read the drop").containsExactly(follower);
    }

    @Test
    void anInstanceWhosePodIsNotReadyDoesNotLead() throws Exception {
        api.pod(namespace, "bridge-a", false);
        start("bridge-a");

        await("the drop route of an instance whose pod is not Ready stays stopped").during(TIMING.retryPeriod().multipliedBy(4))
                .atMost(TIMING.retryPeriod().multipliedBy(6)).until(() -> routeStatus("bridge-a") == ServiceStatus.Stopped);
        assertThat(api.lease(namespace, LEASE)).as("the Lease").isEmpty();

        api.ready(namespace, "bridge-a", true);
        await("leads once Ready").atMost(Duration.ofSeconds(5)).until(() -> routeStatus("bridge-a") == ServiceStatus.Started);
        assertThat(api.holder(namespace, LEASE)).as("the Lease's holder").contains("bridge-a");
    }

    // ---------------------------------------------------------------------------------------------

    private void start(String id) throws Exception {
        KubernetesClusterService service = KubernetesLeases.service(id, Optional.of(namespace), TIMING);
        DefaultCamelContext context = new DefaultCamelContext();
        context.getCamelContextExtension().setName(id);
        context.addService(service);
        context.addRoutePolicyFactory(new DropPollerElection(service));
        String uri = "file:" + folder + "?delay=100&readLock=none&delete=true";
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId(ROUTE).process(e -> reads.add(id));
            }
        });
        context.start();
        contexts.put(id, context);
        services.put(id, service);
    }

    private ServiceStatus routeStatus(String id) {
        return contexts.get(id).getRouteController().getRouteStatus(ROUTE);
    }

    /** The one instance whose drop route runs, once one does, and still alone a second later. */
    private String settledLeader() throws Exception {
        await("a leader polls").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> running().size() == 1);
        await("still one a second later").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> running().size() == 1);
        List<String> running = running();
        assertThat(running).as("the instances whose drop route runs").hasSize(1);
        String leader = running.get(0);
        assertThat(services.get(leader).isLeader(DropPollerElection.namespace(ROUTE))).as(leader + " says it leads").isTrue();
        return leader;
    }

    private List<String> running() {
        return contexts.keySet().stream().filter(id -> contexts.get(id).isStarted() && routeStatus(id) == ServiceStatus.Started).toList();
    }

    private String other(String id) {
        return contexts.keySet().stream().filter(k -> !k.equals(id)).findFirst().orElseThrow();
    }
}
