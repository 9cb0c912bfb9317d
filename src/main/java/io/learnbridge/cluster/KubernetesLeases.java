package io.learnbridge.cluster;

import io.learnbridge.support.SettingValues;
import io.learnbridge.support.SettingsException;
import io.learnbridge.store.Store;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;

/**
 * {@code learnbridge.cluster.service = kubernetes}: camel-kubernetes' {@link KubernetesClusterService}, which elects the
 * leader of each namespace with a {@code coordination.k8s.io} Lease named {@code leaders-<namespace>} in the pods'
 * Kubernetes namespace. The member id is the instance id, which must be the pod's name.
 *
 * <p>What camel-kubernetes 4.18 does (read from its sources, {@code KubernetesLeadershipController} and
 * {@code LeaderInfo}): every retry period (times a random 1 to 1.2) each view reads the Lease and lists the pods of the
 * namespace (verb {@code list} on {@code pods}); the members are the pods that are Running and Ready. The Lease's
 * holder is a valid leader while its pod is a member: the Lease's renew time and duration are written but not read.
 * A follower takes an empty Lease at once; it takes a Lease whose holder is no longer a member (its pod is gone or not
 * Ready) with an optimistic update, then waits one lease duration before it leads, so that the old leader has
 * stopped. A leader that cannot read the Lease for the renew deadline stops leading. Stopping a view does not give
 * the Lease back.
 *
 * <p>The client is fabric8's, configured as it configures itself: in a pod, from the service account (token, CA and
 * {@code KUBERNETES_SERVICE_HOST}); elsewhere from {@code ~/.kube/config} or the {@code kubernetes.*} system
 * properties.
 */
public final class KubernetesLeases {

    public static final String NAMESPACE = "learnbridge.cluster.kubernetes.namespace";
    public static final String LEASE_DURATION = "learnbridge.cluster.kubernetes.leaseDuration";
    public static final String RENEW_DEADLINE = "learnbridge.cluster.kubernetes.renewDeadline";
    public static final String RETRY_PERIOD = "learnbridge.cluster.kubernetes.retryPeriod";
    /** The downward API variable that names the pod's namespace, read when {@link #NAMESPACE} is empty. */
    public static final String POD_NAMESPACE = "POD_NAMESPACE";
    /** The downward API variable that names the pod; when set, the instance id must equal it. */
    public static final String POD_NAME = "POD_NAME";
    /** camel-kubernetes' jitter factor (its default, kept): a retry waits between 1 and 1.2 retry periods. */
    public static final double JITTER = 1.2;

    private KubernetesLeases() {
    }

    /** The election's times, checked against each other as camel-kubernetes needs them. */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {

        public Timing {
            Objects.requireNonNull(leaseDuration, "leaseDuration");
            Objects.requireNonNull(renewDeadline, "renewDeadline");
            Objects.requireNonNull(retryPeriod, "retryPeriod");
            if (leaseDuration.toSeconds() < 1) {
                throw new SettingsException(LEASE_DURATION, "must be at least 1s (the Lease records it in whole seconds), found "
                        + leaseDuration);
            }
            if (leaseDuration.compareTo(renewDeadline) <= 0) {
                throw new SettingsException(RENEW_DEADLINE, "must be shorter than " + LEASE_DURATION + " (" + leaseDuration
                        + "), found " + renewDeadline + ": a leader that cannot renew stops leading after the renew deadline, before "
                        + "another may take its Lease");
            }
            if (renewDeadline.toMillis() <= JITTER * retryPeriod.toMillis()) {
                throw new SettingsException(RENEW_DEADLINE, "must be longer than " + JITTER + " times " + RETRY_PERIOD + " ("
                        + retryPeriod + "), found " + renewDeadline + ": a leader renews at most every " + JITTER
                        + " retry periods");
            }
        }

        /** The settings' values (declared defaults PT15S, PT10S, PT2S). */
        public static Timing of(SettingValues values) {
            return new Timing(values.duration(LEASE_DURATION), values.duration(RENEW_DEADLINE), values.duration(RETRY_PERIOD));
        }
    }

    /**
     * The cluster service the settings ask for, after the startup refusals: the store must be shared (PostgreSQL), the
     * times must fit together, and the instance id must be the pod's name when {@code POD_NAME} says it.
     *
     * @param env the process environment ({@code System::getenv})
     */
    public static KubernetesClusterService fromSettings(String instanceId, String storeUrl, SettingValues values,
                                                        Function<String, String> env) {
        if (!storeUrl.startsWith("jdbc:postgresql:")) {
            throw new SettingsException("learnbridge.cluster.service", "kubernetes elects one poller among instances that share a "
                    + "PostgreSQL store, but learnbridge.store.url is " + Store.redact(storeUrl) + ", a file of one process. Run one "
                    + "instance with learnbridge.cluster.service = none, or point learnbridge.store.url at PostgreSQL.");
        }
        Timing timing = Timing.of(values);
        String podName = env.apply(POD_NAME);
        if (podName != null && !podName.isBlank() && !podName.strip().equals(instanceId)) {
            throw new SettingsException("learnbridge.instanceId", "is '" + instanceId + "' but the pod is " + podName.strip()
                    + " (" + POD_NAME + "): the Kubernetes cluster service counts only Ready pods, by name, as members, so an instance "
                    + "whose id is not its pod's name never leads. Leave learnbridge.instanceId unset or set it to the pod's name.");
        }
        Optional<String> namespace = values.optionalText(NAMESPACE)
                .or(() -> Optional.ofNullable(env.apply(POD_NAMESPACE)).map(String::strip).filter(s -> !s.isEmpty()));
        return service(instanceId, namespace, timing);
    }

    /**
     * A cluster service whose member is {@code instanceId}, with its Leases in Kubernetes namespace {@code namespace}
     * (empty: the client's own, e.g. the service account's namespace file in a pod).
     */
    public static KubernetesClusterService service(String instanceId, Optional<String> namespace, Timing timing) {
        KubernetesClusterService service = new KubernetesClusterService();
        service.setId(instanceId);
        service.setPodName(instanceId);
        service.setLeaseResourceType(LeaseResourceType.Lease);
        namespace.ifPresent(service::setKubernetesResourcesNamespace);
        service.setJitterFactor(JITTER);
        service.setLeaseDurationMillis(timing.leaseDuration().toMillis());
        service.setRenewDeadlineMillis(timing.renewDeadline().toMillis());
        service.setRetryPeriodMillis(timing.retryPeriod().toMillis());
        return service;
    }

    /** The name of the Lease that elects the leader of cluster namespace {@code namespace}, as camel-kubernetes makes it. */
    public static String leaseName(String namespace) {
        String id = ("leaders-" + namespace).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-.]", "-");
        return id.replaceAll("^[^a-z0-9]+", "").replaceAll("[^a-z0-9]+$", "");
    }
}
