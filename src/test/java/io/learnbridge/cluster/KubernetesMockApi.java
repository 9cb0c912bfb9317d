package io.learnbridge.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.learnbridge.testing.Bridge;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes API server's stand-in for the election tests: fabric8's mock server in CRUD mode (it stores what it is
 * sent, answers reads and lists with label selectors, and refuses a create of an existing name and an update with a
 * stale resourceVersion with 409) on a loopback port. No real API server can be installed here. It does not check
 * credentials or RBAC, runs no kubelet or controllers (a pod is Ready only when a test says so) and has no watch
 * bookmarks or server-side apply; the election uses none of these.
 *
 * <p>The bridge's fabric8 client configures itself, as in a pod; {@link #pointClientsHere()} sets the
 * {@code kubernetes.*} system properties it reads (and {@link #close()} restores them).
 */
final class KubernetesMockApi implements AutoCloseable {

    private static final String[] PROPERTIES = {"kubernetes.master", "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount",
        "kubernetes.namespace", "kubernetes.disable.autoConfig"};

    /** The mock server logs every request at INFO through java.util.logging; its warnings are enough here. */
    private static final java.util.logging.Logger REQUEST_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

    static {
        REQUEST_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;
    private final Map<String, Optional<String>> saved = new LinkedHashMap<>();

    KubernetesMockApi() throws Exception {
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), Bridge.freePort());
        client = server.createClient();
    }

    /** The API server's URL, plain HTTP on loopback. */
    String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Makes every fabric8 client this JVM configures from then on talk to this server, with no kubeconfig or service account. */
    KubernetesMockApi pointClientsHere() {
        for (String p : PROPERTIES) {
            saved.put(p, Optional.ofNullable(System.getProperty(p)));
        }
        System.setProperty("kubernetes.master", url());
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
        System.clearProperty("kubernetes.namespace");
        System.clearProperty("kubernetes.disable.autoConfig");
        return this;
    }

    NamespacedKubernetesClient client() {
        return client;
    }

    /** A running pod named {@code name}, Ready or not, as the kubelet would report it. */
    void pod(String namespace, String name, boolean ready) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/name", "learnbridge").endMetadata()
                .withNewStatus().withPhase("Running")
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
        client.pods().inNamespace(namespace).resource(pod).create();
    }

    /** What the kubelet reports when the pod's container stops answering or has exited: Ready turns False (or True again). */
    void ready(String namespace, String name, boolean ready) {
        client.pods().inNamespace(namespace).withName(name).editStatus(p -> new PodBuilder(p).editStatus().withConditions()
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus().build());
    }

    Optional<Lease> lease(String namespace, String name) {
        return Optional.ofNullable(client.leases().inNamespace(namespace).withName(name).get());
    }

    Optional<String> holder(String namespace, String name) {
        return lease(namespace, name).map(l -> l.getSpec().getHolderIdentity());
    }

    @Override
    public void close() {
        saved.forEach((p, v) -> v.ifPresentOrElse(value -> System.setProperty(p, value), () -> System.clearProperty(p)));
        client.close();
        server.destroy();
    }
}
