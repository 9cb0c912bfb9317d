package io.learnbridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.learnbridge.support.SettingValues;
import io.learnbridge.support.SettingsException;
import io.learnbridge.testing.Bridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code learnbridge.cluster.service = kubernetes} in the bridge: {@code LearnBridgeConfiguration} adds camel-kubernetes'
 * cluster service, named after the instance, and the drop folder's route {@code source-hris} runs only while this
 * instance holds its Lease. The bridge runs in the test JVM on an embedded PostgreSQL store; the Kubernetes API server
 * is fabric8's CRUD mock server ({@link KubernetesMockApi}), a stand-in reached through a real socket, which the bridge's
 * fabric8 client finds as it would find a real one (its {@code kubernetes.*} configuration). And the settings that
 * cannot work are refused at startup, naming the setting.
 */
class KubernetesDropPollerTest {

    private static final String NAMESPACE = "learnbridge-it";
    private static final String ROUTE = "source-hris";

    @TempDir
    Path home;

    @Test
    void theBridgeElectsItsDropPollerWithALease() throws Exception {
        try (SharedStore store = new SharedStore(); KubernetesMockApi api = new KubernetesMockApi().pointClientsHere()) {
            api.pod(NAMESPACE, "bridge-k8s", false);
            Bridge.Builder builder = Bridge.builder(home);
            store.settings("bridge-k8s").forEach(builder::property);
            builder.property("learnbridge.cluster.service", "kubernetes")
                    .property("learnbridge.cluster.kubernetes.namespace", NAMESPACE)
                    .property("learnbridge.cluster.kubernetes.leaseDuration", "2s")
                    .property("learnbridge.cluster.kubernetes.renewDeadline", "1500ms")
                    .property("learnbridge.cluster.kubernetes.retryPeriod", "300ms");
            try (Bridge bridge = builder.start()) {
                KubernetesClusterService service = bridge.context().hasService(KubernetesClusterService.class);
                assertThat(service).as("the cluster service in the context").isNotNull();
                assertThat(service.getPodName()).as("its member id").isEqualTo("bridge-k8s");
                assertThat(service.getKubernetesResourcesNamespace()).as("its Kubernetes namespace").isEqualTo(NAMESPACE);
                assertThat(service.getLeaseDurationMillis()).as("its lease duration, ms").isEqualTo(2_000);
                assertThat(service.getRenewDeadlineMillis()).as("its renew deadline, ms").isEqualTo(1_500);
                assertThat(service.getRetryPeriodMillis()).as("its retry period, ms").isEqualTo(300);
                assertThat(bridge.context().getRoute(ROUTE).getRoutePolicyList())
                        .as("the drop route's policies").anyMatch(ClusteredRoutePolicy.class::isInstance);
                assertThat(bridge.context().getRoute("hris-drops").getRoutePolicyList())
                        .as("the policies of a route that does not read the folder").noneMatch(ClusteredRoutePolicy.class::isInstance);

                // the pod is not Ready yet: not a member, so it does not lead and the folder is not polled
                await("the drop route stays stopped before the pod is Ready").during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3))
                        .until(() -> status(bridge) == ServiceStatus.Stopped);
                String lease = KubernetesLeases.leaseName(DropPollerElection.namespace(ROUTE));
                assertThat(api.lease(NAMESPACE, lease)).as("the Lease before the pod is Ready").isEmpty();

                api.ready(NAMESPACE, "bridge-k8s", true);
                await("the drop route runs").atMost(Duration.ofSeconds(10)).until(() -> status(bridge) == ServiceStatus.Started);
                assertThat(api.holder(NAMESPACE, lease)).as("the holder of Lease " + lease).contains("bridge-k8s");
                assertThat(service.isLeader(DropPollerElection.namespace(ROUTE))).as("the service says it leads").isTrue();

                bridge.drop("workers.csv", io.learnbridge.testing.HrCsv.create().workers(1, 3).build());
                await("the drop is read into the store").atMost(Duration.ofSeconds(20))
                        .until(() -> store.count("select count(*) from drop_file where claimed_by = 'bridge-k8s'") == 1);
            }
        }
    }

    @Test
    void anEmbeddedStoreIsRefusedNamingTheSettings() {
        assertThatThrownBy(() -> Bridge.builder(home).property("learnbridge.cluster.service", "kubernetes").start())
                .satisfies(e -> assertThat(messages(e)).contains("learnbridge.cluster.service").contains("learnbridge.store.url")
                        .contains("PostgreSQL"));
        assertThat(home.resolve("store/learnbridge.mv.db")).as("the H2 store, refused before it opens").doesNotExist();
    }

    @Test
    void timesThatDoNotFitAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> fromSettings(Map.of(KubernetesLeases.RENEW_DEADLINE, "15s"), Map.of()))
                .isInstanceOf(SettingsException.class).hasMessageContaining(KubernetesLeases.RENEW_DEADLINE)
                .hasMessageContaining("shorter than " + KubernetesLeases.LEASE_DURATION);
        assertThatThrownBy(() -> fromSettings(Map.of(KubernetesLeases.RETRY_PERIOD, "9s"), Map.of()))
                .isInstanceOf(SettingsException.class).hasMessageContaining(KubernetesLeases.RENEW_DEADLINE)
                .hasMessageContaining(KubernetesLeases.RETRY_PERIOD);
        assertThatThrownBy(() -> fromSettings(Map.of(KubernetesLeases.LEASE_DURATION, "900ms", KubernetesLeases.RENEW_DEADLINE, "800ms",
                KubernetesLeases.RETRY_PERIOD, "100ms"), Map.of()))
                .isInstanceOf(SettingsException.class).hasMessageContaining(KubernetesLeases.LEASE_DURATION).hasMessageContaining("1s");
    }

    @Test
    void anInstanceIdThatIsNotThePodNameIsRefused() {
        assertThatThrownBy(() -> fromSettings(Map.of(), Map.of(KubernetesLeases.POD_NAME, "learnbridge-7c9f-x2")))
                .isInstanceOf(SettingsException.class).hasMessageContaining("learnbridge.instanceId").hasMessageContaining("learnbridge-7c9f-x2");
        assertThat(fromSettings(Map.of(), Map.of(KubernetesLeases.POD_NAME, "bridge-1")).getPodName()).as("member id").isEqualTo("bridge-1");
    }

    @Test
    void theNamespaceIsTheSettingElsePodNamespaceElseTheClients() {
        assertThat(fromSettings(Map.of(), Map.of(KubernetesLeases.POD_NAMESPACE, "hr-int")).getKubernetesResourcesNamespace())
                .as("from POD_NAMESPACE").isEqualTo("hr-int");
        assertThat(fromSettings(Map.of(KubernetesLeases.NAMESPACE, "other"), Map.of(KubernetesLeases.POD_NAMESPACE, "hr-int"))
                .getKubernetesResourcesNamespace()).as("the setting wins").isEqualTo("other");
        KubernetesClusterService defaults = fromSettings(Map.of(), Map.of());
        assertThat(defaults.getKubernetesResourcesNamespace()).as("neither: the client's own").isNull();
        assertThat(defaults.getLeaseDurationMillis()).as("default lease duration, ms").isEqualTo(15_000);
        assertThat(defaults.getRenewDeadlineMillis()).as("default renew deadline, ms").isEqualTo(10_000);
        assertThat(defaults.getRetryPeriodMillis()).as("default retry period, ms").isEqualTo(2_000);
    }

    // ---------------------------------------------------------------------------------------------

    private static ServiceStatus status(Bridge bridge) {
        return bridge.context().getRouteController().getRouteStatus(ROUTE);
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    /** The service as the bridge makes it (instance bridge-1, a PostgreSQL store), with the declared defaults under these settings. */
    private static KubernetesClusterService fromSettings(Map<String, String> settings, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(settings);
        SettingValues values = SettingValues.of(key -> Optional.ofNullable(all.get(key)));
        return KubernetesLeases.fromSettings("bridge-1", "jdbc:postgresql://db:5432/learnbridge", values, env::get);
    }
}
