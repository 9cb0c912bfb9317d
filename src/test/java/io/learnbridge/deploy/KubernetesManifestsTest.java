package io.learnbridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.learnbridge.support.KnownSettings;
import io.learnbridge.support.Setting;
import io.learnbridge.support.SettingsTree;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes manifests (deploy/kubernetes): every YAML file parsed with the fabric8 model that
 * camel-kubernetes uses, and checked for what the deployment relies on: hardening, probes on the
 * management port, the RBAC of the Lease election (learnbridge.cluster.service = kubernetes), the
 * downward API variables and API server egress of the overlay that selects it, selectors that select
 * the pods, and no secret value anywhere. {@link #aBrokenManifestIsReported} shows each check can fail.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = Path.of("deploy/kubernetes");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final String LIVE = "/observe/health/live";
    private static final String READY = "/observe/health/ready";
    private static final List<String> LEASE_VERBS = List.of("get", "list", "watch", "create", "update", "patch");
    /** What camel-kubernetes' KubernetesLeadershipController calls on pods: a list of the namespace's, nothing else. */
    private static final List<String> POD_VERBS = List.of("list");
    /** The API server's ports a NetworkPolicy may see: the Service's 443, or kube-apiserver's default 6443 behind it. */
    private static final Set<Integer> API_SERVER_PORTS = Set.of(443, 6443);
    private static final Set<Class<?>> KINDS = Set.of(Deployment.class, Service.class, ServiceAccount.class, Role.class,
            RoleBinding.class, PodDisruptionBudget.class, NetworkPolicy.class, ConfigMap.class, Secret.class);

    @Test
    void theManifestsPassEveryCheck() {
        Map<String, String> files = readTree();
        assertThat(files).containsKeys("base/kustomization.yaml", "base/deployment.yaml", "overlays/example/kustomization.yaml");
        assertThat(check(files, applicationProperties())).isEmpty();
    }

    @Test
    void theLeaseOverlayElectsWithLeasesAndTheOthersWithTheStore() {
        Map<String, String> files = readTree();
        assertThat(clusterService(files, "base")).as("the base").isEqualTo("store");
        assertThat(clusterService(files, "overlays/example")).as("the example overlay").isEqualTo("store");
        assertThat(clusterService(files, "overlays/lease")).as("the lease overlay").isEqualTo("kubernetes");
        assertThat(chain(files, "overlays/lease")).as("what the lease overlay renders").containsExactly("overlays/lease", "overlays/example", "base");
        assertThat(environment(files, "overlays/lease")).as("the lease overlay's variables")
                .containsKeys("POD_NAME", "POD_NAMESPACE", "LEARNBRIDGE_INSTANCEID", "LEARNBRIDGE_STORE_URL");
    }

    static Stream<Arguments> breakages() {
        return Stream.of(
                Arguments.of("writable root filesystem", "base/deployment.yaml",
                        replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), "readOnlyRootFilesystem"),
                Arguments.of("privilege escalation", "base/deployment.yaml",
                        replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"), "allowPrivilegeEscalation"),
                Arguments.of("capabilities kept", "base/deployment.yaml", replace("drop: [\"ALL\"]", "drop: []"), "capabilities"),
                Arguments.of("root allowed", "base/deployment.yaml", replace("runAsNonRoot: true", "runAsNonRoot: false"), "runAsNonRoot"),
                Arguments.of("one replica", "base/deployment.yaml", replace("replicas: 2", "replicas: 1"), "replicas"),
                Arguments.of("one replica in the overlay", "overlays/example/kustomization.yaml", replace("count: 3", "count: 1"), "replicas"),
                Arguments.of("no memory limit", "base/deployment.yaml", replace("              memory: 1Gi\n", ""), "limits"),
                Arguments.of("liveness on the aggregate", "base/deployment.yaml",
                        replaceFirstAfter("livenessProbe:", "path: " + LIVE, "path: /observe/health"), "livenessProbe"),
                Arguments.of("readiness on the webhook port", "base/deployment.yaml",
                        replaceFirstAfter("readinessProbe:", "port: management", "port: http"), "readinessProbe"),
                Arguments.of("management port moved", "base/deployment.yaml", replace("containerPort: 9876", "containerPort: 9877"), "9876"),
                Arguments.of("short grace period", "base/deployment.yaml",
                        replace("terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 30"), "terminationGracePeriodSeconds"),
                Arguments.of("service links on", "base/deployment.yaml", replace("enableServiceLinks: false", "enableServiceLinks: true"),
                        "LEARNBRIDGE_SERVICE_HOST"),
                Arguments.of("Role without update", "base/role.yaml", replace("\"update\", ", ""), "update"),
                Arguments.of("Role reads Secrets", "base/role.yaml",
                        (UnaryOperator<String>) s -> s + "  - apiGroups: [\"\"]\n    resources: [\"secrets\"]\n    verbs: [\"get\"]\n", "secrets"),
                Arguments.of("RoleBinding to another account", "base/rolebinding.yaml", replace("    name: learnbridge\n", "    name: default\n"),
                        "ServiceAccount"),
                Arguments.of("PDB selects nothing", "base/poddisruptionbudget.yaml", replace("component: bridge", "component: web"),
                        "PodDisruptionBudget"),
                Arguments.of("NetworkPolicy selects nothing", "base/networkpolicy.yaml", replace("component: bridge", "component: web"),
                        "NetworkPolicy"),
                Arguments.of("NetworkPolicy lets anyone in", "base/networkpolicy.yaml",
                        replace("    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ingress\n",
                                "    - from: []\n"), "ingress"),
                Arguments.of("Role cannot list pods", "base/role.yaml",
                        replace("  - apiGroups: [\"\"]\n    resources: [\"pods\"]\n    verbs: [\"list\"]\n", ""), "list] on pods"),
                Arguments.of("Role gets and watches pods", "base/role.yaml",
                        replace("verbs: [\"list\"]", "verbs: [\"get\", \"list\", \"watch\"]"), "watch] on pods"),
                Arguments.of("lease overlay without POD_NAMESPACE", "overlays/lease/deployment-patch.yaml",
                        replace("name: POD_NAMESPACE", "name: MY_NAMESPACE"), "POD_NAMESPACE"),
                Arguments.of("lease overlay's POD_NAME is the node", "overlays/lease/deployment-patch.yaml",
                        replace("fieldPath: metadata.name", "fieldPath: spec.nodeName"), "POD_NAME"),
                Arguments.of("lease overlay without egress to the API server", "overlays/lease/networkpolicy-patch.yaml",
                        replace("port: 6443", "port: 8443"), "API server"),
                Arguments.of("lease overlay reaches the API server only through 0.0.0.0/0", "overlays/lease/networkpolicy-patch.yaml",
                        replace("cidr: 192.0.2.10/32", "cidr: 0.0.0.0/0"), "API server"),
                Arguments.of("kubernetes selected in the example overlay without its variables", "overlays/example/deployment-patch.yaml",
                        replace("          env:\n", "          env:\n            - name: LEARNBRIDGE_CLUSTER_SERVICE\n              value: kubernetes\n"),
                        "overlays/example/kustomization.yaml: selects learnbridge.cluster.service = kubernetes but POD_NAME"),
                Arguments.of("literal secret", "base/deployment.yaml",
                        replace("          env:\n", "          env:\n            - name: LEARNBRIDGE_API_TOKEN\n              value: hunter2\n"),
                        "LEARNBRIDGE_API_TOKEN"),
                Arguments.of("literal per-target secret", "overlays/example/deployment-patch.yaml",
                        replace("          env:\n", "          env:\n            - name: LEARNBRIDGE_TARGETS_MOODLE_TOKEN\n              value: abc\n"),
                        "LEARNBRIDGE_TARGETS_MOODLE_TOKEN"),
                Arguments.of("unknown setting variable", "base/deployment.yaml",
                        replace("          env:\n", "          env:\n            - name: LEARNBRIDGE_STORE_PASWORD\n              value: x\n"),
                        "LEARNBRIDGE_STORE_PASWORD"),
                Arguments.of("literal secret in the settings file", "base/learnbridge.properties",
                        replace("{{env:LEARNBRIDGE_API_TOKEN}}", "s3cret"), "learnbridge.api.token"),
                Arguments.of("not a known kind", "base/service.yaml", replace("kind: Service", "kind: Servic"), "known kind"),
                Arguments.of("file not in resources", "base/role.yaml", UnaryOperator.<String>identity(), "resources"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aBrokenManifestIsReported(String what, String file, UnaryOperator<String> change, String reported) {
        Map<String, String> files = new TreeMap<>(readTree());
        if (what.equals("file not in resources")) {
            files.put("base/extra-role.yaml", files.get(file));
        } else {
            String before = files.get(file);
            String after = change.apply(before);
            assertThat(after).as("the breakage changes " + file).isNotEqualTo(before);
            files.put(file, after);
        }
        List<String> problems = check(files, applicationProperties());
        assertThat(problems).as(what + ": " + problems).anySatisfy(p -> assertThat(p).contains(reported));
    }

    @Test
    void aSecretObjectWithDataIsReported() {
        Map<String, String> files = new TreeMap<>(readTree());
        files.put("base/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: learnbridge\nstringData:\n  api-token: hunter2\n");
        files.put("base/kustomization.yaml", files.get("base/kustomization.yaml").replace("  - networkpolicy.yaml\n",
                "  - networkpolicy.yaml\n  - secret.yaml\n"));
        assertThat(check(files, applicationProperties())).containsExactly("base/secret.yaml: Secret learnbridge carries data");
    }

    // ---------------------------------------------------------------------------------------------

    private static UnaryOperator<String> replace(String from, String to) {
        return s -> s.replace(from, to);
    }

    private static UnaryOperator<String> replaceFirstAfter(String anchor, String from, String to) {
        return s -> {
            int at = s.indexOf(anchor);
            int hit = s.indexOf(from, at);
            return at < 0 || hit < 0 ? s : s.substring(0, hit) + to + s.substring(hit + from.length());
        };
    }

    private static Map<String, String> readTree() {
        try (Stream<Path> walk = Files.walk(ROOT)) {
            Map<String, String> files = new TreeMap<>();
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(ROOT.relativize(p).toString().replace('\\', '/'), Files.readString(p));
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties applicationProperties() {
        return properties(read(Path.of("src/main/resources/application.properties")));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties properties(String text) {
        Properties props = new Properties();
        try {
            props.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return props;
    }

    private static boolean yaml(String name) {
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static String dir(String file) {
        int slash = file.lastIndexOf('/');
        return slash < 0 ? "" : file.substring(0, slash);
    }

    private static String resolve(String dir, String relative) {
        Path p = Path.of(dir.isEmpty() ? "." : dir).resolve(relative).normalize();
        return p.toString().replace('\\', '/');
    }

    /** One parsed object and whether it is a whole object (a kustomization resource) or a patch. */
    private record Manifest(String file, HasMetadata object, boolean patch) {
    }

    /**
     * Every problem of the manifests, one line each naming the file; empty when they pass.
     *
     * @param files path under deploy/kubernetes to text
     */
    static List<String> check(Map<String, String> files, Properties app) {
        List<String> problems = new ArrayList<>();
        int serverPort = Integer.parseInt(app.getProperty("camel.server.port"));
        int managementPort = Integer.parseInt(app.getProperty("camel.management.port"));

        // kustomizations: resources and patches are exactly the YAML files of their folder
        Set<String> patches = new TreeSet<>();
        List<Integer> replicaCounts = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            if (!e.getKey().endsWith("kustomization.yaml")) {
                continue;
            }
            String file = e.getKey();
            String dir = dir(file);
            Map<String, Object> k = mapOf(SERIALIZATION.unmarshal(e.getValue(), Map.class));
            if (!"Kustomization".equals(k.get("kind"))) {
                problems.add(file + ": not a Kustomization");
            }
            Set<String> listed = new TreeSet<>();
            for (Object r : listOf(k.get("resources"))) {
                String path = resolve(dir, String.valueOf(r));
                if (yaml(path)) {
                    listed.add(path);
                } else if (files.keySet().stream().noneMatch(f -> f.startsWith(path + "/") && f.endsWith("kustomization.yaml"))) {
                    problems.add(file + ": resource " + r + " is neither a file nor a kustomization folder");
                }
            }
            for (Object p : listOf(k.get("patches"))) {
                Object path = mapOf(p).get("path");
                if (path != null) {
                    String resolved = resolve(dir, String.valueOf(path));
                    listed.add(resolved);
                    patches.add(resolved);
                }
            }
            for (Object g : listOf(k.get("configMapGenerator"))) {
                for (Object f : listOf(mapOf(g).get("files"))) {
                    String source = String.valueOf(f);
                    source = source.contains("=") ? source.substring(source.indexOf('=') + 1) : source;
                    if (!files.containsKey(resolve(dir, source))) {
                        problems.add(file + ": configMapGenerator file " + f + " is missing");
                    }
                }
            }
            for (Object r : listOf(k.get("replicas"))) {
                Object count = mapOf(r).get("count");
                replicaCounts.add(count instanceof Number n ? n.intValue() : -1);
            }
            Set<String> present = new TreeSet<>();
            files.keySet().stream().filter(f -> dir(f).equals(dir) && yaml(f) && !f.equals(file)).forEach(present::add);
            if (!listed.equals(present)) {
                problems.add(file + ": resources and patches " + listed + " are not the YAML files of its folder " + present);
            }
        }
        for (int count : replicaCounts) {
            if (count < 2) {
                problems.add("kustomization replicas: count " + count + " is less than 2");
            }
        }

        // every other YAML file: one object of a known kind
        List<Manifest> manifests = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            String file = e.getKey();
            if (!yaml(file) || file.endsWith("kustomization.yaml")) {
                continue;
            }
            Object parsed;
            try {
                parsed = SERIALIZATION.unmarshal(e.getValue());
            } catch (RuntimeException ex) {
                problems.add(file + ": does not parse as a known kind: " + ex.getMessage());
                continue;
            }
            if (!(parsed instanceof HasMetadata object) || parsed instanceof GenericKubernetesResource
                    || KINDS.stream().noneMatch(c -> c.isInstance(parsed))) {
                problems.add(file + ": not a known kind (" + (parsed == null ? "nothing" : parsed.getClass().getSimpleName()) + ")");
                continue;
            }
            manifests.add(new Manifest(file, object, patches.contains(file)));
        }

        // no secret values: no Secret with data, no literal secret variable, no literal secret setting
        for (Manifest m : manifests) {
            if (m.object() instanceof Secret s && (notEmpty(s.getData()) || notEmpty(s.getStringData()))) {
                problems.add(m.file() + ": Secret " + s.getMetadata().getName() + " carries data");
            }
        }
        KnownSettings known = KnownSettings.of(KnownSettings.routeTexts("file:routes/*.camel.yaml"));
        for (Manifest m : manifests) {
            if (!(m.object() instanceof Deployment d) || d.getSpec() == null || d.getSpec().getTemplate() == null) {
                continue;
            }
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                Map<String, String> env = new LinkedHashMap<>();
                for (EnvVar v : c.getEnv()) {
                    env.put(v.getName(), v.getValue() == null ? "" : v.getValue());
                    if (v.getValue() != null && !v.getValue().isEmpty() && secretVariable(v.getName())) {
                        problems.add(m.file() + ": " + v.getName() + " is a secret setting with a literal value (use secretKeyRef)");
                    }
                }
                for (String name : known.unknownEnvironment(env)) {
                    problems.add(m.file() + ": " + name + " is not a LearnBridge setting");
                }
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            if (e.getKey().endsWith(".properties")) {
                Properties props = properties(e.getValue());
                for (String key : props.stringPropertyNames()) {
                    String value = props.getProperty(key).strip();
                    boolean secret = SettingsTree.definition(key).map(s -> s.type() == Setting.Type.SECRET).orElse(false);
                    if (secret && !value.isEmpty() && !value.matches("\\{\\{env:[A-Z0-9_]+}}")) {
                        problems.add(e.getKey() + ": " + key + " is a secret with a literal value (use {{env:...}})");
                    }
                }
                Map<String, String> raw = new TreeMap<>();
                props.stringPropertyNames().forEach(k -> raw.put(k, props.getProperty(k)));
                known.problems(raw, n -> "set").forEach(p -> problems.add(e.getKey() + ": " + p));
                for (String key : List.of("camel.server.port", "camel.management.port")) {
                    if (props.containsKey(key) && !props.getProperty(key).strip().equals(app.getProperty(key).strip())) {
                        problems.add(e.getKey() + ": " + key + " " + props.getProperty(key) + " differs from application.properties");
                    }
                }
            }
        }

        // the Deployment
        List<Manifest> deployments = manifests.stream().filter(m -> m.object() instanceof Deployment).toList();
        Map<String, String> podLabels = Map.of();
        String serviceAccount = null;
        if (deployments.stream().filter(m -> !m.patch()).count() != 1) {
            problems.add("expected one Deployment, found " + deployments.stream().filter(m -> !m.patch()).count());
        }
        for (Manifest m : deployments) {
            Deployment d = (Deployment) m.object();
            Integer replicas = d.getSpec().getReplicas();
            if (replicas != null && replicas < 2 || replicas == null && !m.patch()) {
                problems.add(m.file() + ": replicas " + replicas + " is less than 2");
            }
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            for (Container c : pod.getContainers()) {
                if (!m.patch() || c.getSecurityContext() != null) {
                    hardening(m.file(), pod, c, problems);
                }
                if (!m.patch() || c.getResources() != null) {
                    resources(m.file(), c, problems);
                }
            }
            if (m.patch()) {
                continue;
            }
            podLabels = Objects.requireNonNullElse(d.getSpec().getTemplate().getMetadata().getLabels(), Map.of());
            serviceAccount = pod.getServiceAccountName();
            if (!selects(d.getSpec().getSelector() == null ? null : d.getSpec().getSelector().getMatchLabels(), podLabels)) {
                problems.add(m.file() + ": the Deployment's selector does not select its pods");
            }
            if (pod.getTerminationGracePeriodSeconds() == null || pod.getTerminationGracePeriodSeconds() < 45) {
                problems.add(m.file() + ": terminationGracePeriodSeconds " + pod.getTerminationGracePeriodSeconds() + " is under 45");
            }
            if (!Boolean.FALSE.equals(pod.getEnableServiceLinks())) {
                // Kubernetes would add Docker-link variables for every Service, named after it
                Map<String, String> links = new TreeMap<>();
                for (Manifest s : manifests) {
                    if (s.object() instanceof Service svc) {
                        String prefix = svc.getMetadata().getName().toUpperCase(Locale.ROOT).replace('-', '_');
                        links.put(prefix + "_SERVICE_HOST", "");
                        links.put(prefix + "_PORT", "");
                    }
                }
                known.unknownEnvironment(links).forEach(n -> problems.add(m.file() + ": enableServiceLinks is on: " + n
                        + " would look like a setting"));
            }
            for (Container c : pod.getContainers()) {
                containerChecks(m.file(), pod, c, serverPort, managementPort, problems);
            }
        }

        // RBAC: the Lease verbs, nothing on Secrets, bound to the Deployment's ServiceAccount
        List<Role> roles = manifests.stream().map(Manifest::object).filter(Role.class::isInstance).map(Role.class::cast).toList();
        for (Manifest m : manifests) {
            if (m.object() instanceof Role role) {
                boolean leases = false;
                boolean pods = false;
                for (PolicyRule rule : role.getRules()) {
                    if (rule.getApiGroups().contains("") && rule.getResources().contains("pods")) {
                        // KubernetesLeadershipController lists the namespace's pods: the Ready ones are the members
                        if (rule.getVerbs().equals(POD_VERBS)) {
                            pods = true;
                        } else {
                            problems.add(m.file() + ": Role " + role.getMetadata().getName() + " grants " + rule.getVerbs()
                                    + " on pods; the Lease election only lists them " + POD_VERBS);
                        }
                    }
                    if (rule.getResources().contains("secrets") || rule.getResources().contains("*") || rule.getApiGroups().contains("*")) {
                        problems.add(m.file() + ": Role " + role.getMetadata().getName() + " grants " + rule.getVerbs() + " on "
                                + rule.getResources() + " (secrets or everything)");
                    }
                    if (rule.getApiGroups().contains("coordination.k8s.io") && rule.getResources().contains("leases")) {
                        List<String> missing = LEASE_VERBS.stream().filter(v -> !rule.getVerbs().contains(v)).toList();
                        if (missing.isEmpty()) {
                            leases = true;
                        } else {
                            problems.add(m.file() + ": Role " + role.getMetadata().getName() + " lacks " + missing + " on leases");
                        }
                    }
                }
                if (!leases) {
                    problems.add(m.file() + ": Role " + role.getMetadata().getName() + " does not grant " + LEASE_VERBS
                            + " on coordination.k8s.io leases");
                }
                if (!pods) {
                    problems.add(m.file() + ": Role " + role.getMetadata().getName() + " does not grant " + POD_VERBS
                            + " on pods (the Lease election's members are the Ready pods)");
                }
            }
        }
        if (roles.isEmpty()) {
            problems.add("no Role for the Leases");
        }
        boolean accountExists = false;
        for (Manifest m : manifests) {
            if (m.object() instanceof ServiceAccount sa && sa.getMetadata().getName().equals(serviceAccount)) {
                accountExists = true;
            }
        }
        if (!accountExists) {
            problems.add("the Deployment's ServiceAccount " + serviceAccount + " is not among the manifests");
        }
        boolean bound = false;
        for (Manifest m : manifests) {
            if (m.object() instanceof RoleBinding rb) {
                boolean toRole = "Role".equals(rb.getRoleRef().getKind())
                        && roles.stream().anyMatch(r -> r.getMetadata().getName().equals(rb.getRoleRef().getName()));
                String account = serviceAccount;
                boolean toAccount = rb.getSubjects().stream().anyMatch((Subject s) -> "ServiceAccount".equals(s.getKind())
                        && s.getName().equals(account));
                if (!toRole || !toAccount) {
                    problems.add(m.file() + ": RoleBinding " + rb.getMetadata().getName() + " does not bind the Lease Role to ServiceAccount "
                            + account);
                }
                bound |= toRole && toAccount;
            }
        }
        if (!bound) {
            problems.add("no RoleBinding gives ServiceAccount " + serviceAccount + " the Lease Role");
        }

        // a kustomization whose pods elect with Leases (learnbridge.cluster.service = kubernetes): the downward API
        // variables and egress to the API server
        for (String file : files.keySet()) {
            if (!file.endsWith("kustomization.yaml")) {
                continue;
            }
            String dir = dir(file);
            if (!clusterService(files, dir).equals("kubernetes")) {
                continue;
            }
            Map<String, EnvVar> env = environment(files, dir);
            for (Map.Entry<String, String> v : Map.of("POD_NAME", "metadata.name", "POD_NAMESPACE", "metadata.namespace").entrySet()) {
                EnvVar var = env.get(v.getKey());
                boolean fromPod = var != null && var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null
                        && v.getValue().equals(var.getValueFrom().getFieldRef().getFieldPath());
                if (!fromPod) {
                    problems.add(file + ": selects learnbridge.cluster.service = kubernetes but " + v.getKey()
                            + " is not fieldRef " + v.getValue() + " (downward API)");
                }
            }
            Optional<NetworkPolicy> policy = networkPolicy(files, dir);
            boolean apiServer = policy.isPresent() && policy.get().getSpec().getEgress().stream().anyMatch(rule ->
                    rule.getTo().stream().anyMatch(peer -> peer.getIpBlock() != null && !"0.0.0.0/0".equals(peer.getIpBlock().getCidr()))
                            && rule.getPorts().stream().anyMatch(p -> p.getPort() != null && API_SERVER_PORTS.contains(p.getPort().getIntVal())));
            if (!apiServer) {
                problems.add(file + ": selects learnbridge.cluster.service = kubernetes but its NetworkPolicy has no egress to the "
                        + "API server (an ipBlock narrower than 0.0.0.0/0 on port 443 or 6443)");
            }
        }

        // selectors: the PDB, the NetworkPolicy and the Service select the Deployment's pods
        boolean pdb = false;
        boolean policy = false;
        for (Manifest m : manifests) {
            if (m.object() instanceof PodDisruptionBudget b) {
                pdb = true;
                if (b.getSpec().getSelector() == null || !selects(b.getSpec().getSelector().getMatchLabels(), podLabels)) {
                    problems.add(m.file() + ": PodDisruptionBudget " + b.getMetadata().getName() + " does not select the bridge pods");
                }
            } else if (m.object() instanceof NetworkPolicy np) {
                policy = true;
                networkPolicy(m, np, podLabels, serverPort, managementPort, problems);
            } else if (m.object() instanceof Service svc && !selects(svc.getSpec().getSelector(), podLabels)) {
                problems.add(m.file() + ": Service " + svc.getMetadata().getName() + " does not select the bridge pods");
            }
        }
        if (!pdb) {
            problems.add("no PodDisruptionBudget");
        }
        if (!policy) {
            problems.add("no NetworkPolicy");
        }
        return problems;
    }

    /** The kustomization folders whose objects make up {@code dir}'s output, nearest first: itself, then its resource folders'. */
    static List<String> chain(Map<String, String> files, String dir) {
        List<String> chain = new ArrayList<>(List.of(dir));
        String k = files.get(dir.isEmpty() ? "kustomization.yaml" : dir + "/kustomization.yaml");
        if (k == null) {
            return chain;
        }
        for (Object r : listOf(mapOf(SERIALIZATION.unmarshal(k, Map.class)).get("resources"))) {
            String path = resolve(dir, String.valueOf(r));
            if (!yaml(path) && files.containsKey(path + "/kustomization.yaml")) {
                chain(files, path).stream().filter(d -> !chain.contains(d)).forEach(chain::add);
            }
        }
        return chain;
    }

    /** The objects of kind {@code type} in folder {@code dir}'s own YAML files (kustomizations and broken files left out). */
    private static <T> List<T> objects(Map<String, String> files, String dir, Class<T> type) {
        List<T> objects = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            if (dir(e.getKey()).equals(dir) && yaml(e.getKey()) && !e.getKey().endsWith("kustomization.yaml")) {
                try {
                    Object parsed = SERIALIZATION.unmarshal(e.getValue());
                    if (type.isInstance(parsed)) {
                        objects.add(type.cast(parsed));
                    }
                } catch (RuntimeException ignored) {
                    // reported as a file that does not parse
                }
            }
        }
        return objects;
    }

    /** The Deployment's environment as kustomization {@code dir} renders it: a patch's variable wins over its base's. */
    static Map<String, EnvVar> environment(Map<String, String> files, String dir) {
        Map<String, EnvVar> env = new LinkedHashMap<>();
        for (String d : chain(files, dir)) {
            for (Deployment deployment : objects(files, d, Deployment.class)) {
                deployment.getSpec().getTemplate().getSpec().getContainers().forEach(c -> c.getEnv().forEach(v -> env.putIfAbsent(v.getName(), v)));
            }
        }
        return env;
    }

    /**
     * {@code learnbridge.cluster.service} as kustomization {@code dir} sets it: its variable {@code LEARNBRIDGE_CLUSTER_SERVICE}
     * (which overrides the settings file), else the settings file's key, else {@code none}.
     */
    static String clusterService(Map<String, String> files, String dir) {
        EnvVar var = environment(files, dir).get("LEARNBRIDGE_CLUSTER_SERVICE");
        if (var != null && var.getValue() != null) {
            return var.getValue().strip();
        }
        for (String d : chain(files, dir)) {
            for (Map.Entry<String, String> e : files.entrySet()) {
                if (dir(e.getKey()).equals(d) && e.getKey().endsWith(".properties")) {
                    String value = properties(e.getValue()).getProperty("learnbridge.cluster.service");
                    if (value != null) {
                        return value.strip();
                    }
                }
            }
        }
        return "none";
    }

    /** The NetworkPolicy whose egress kustomization {@code dir} renders: the nearest one that lists egress (a patch replaces the list). */
    private static Optional<NetworkPolicy> networkPolicy(Map<String, String> files, String dir) {
        for (String d : chain(files, dir)) {
            for (NetworkPolicy np : objects(files, d, NetworkPolicy.class)) {
                if (np.getSpec() != null && !np.getSpec().getEgress().isEmpty()) {
                    return Optional.of(np);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a selector's labels are all on the pods (an empty or missing selector selects nothing here). */
    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    private static void hardening(String file, PodSpec pod, Container c, List<String> problems) {
        SecurityContext sc = c.getSecurityContext();
        boolean nonRoot = Boolean.TRUE.equals(sc == null ? null : sc.getRunAsNonRoot())
                || sc != null && sc.getRunAsNonRoot() == null && pod.getSecurityContext() != null
                && Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot());
        if (!nonRoot || sc != null && Boolean.FALSE.equals(sc.getRunAsNonRoot())
                || pod.getSecurityContext() != null && Boolean.FALSE.equals(pod.getSecurityContext().getRunAsNonRoot())) {
            problems.add(file + ": container " + c.getName() + " is not runAsNonRoot");
        }
        if (sc == null || !Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
            problems.add(file + ": container " + c.getName() + " lacks readOnlyRootFilesystem: true");
        }
        if (sc == null || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
            problems.add(file + ": container " + c.getName() + " lacks allowPrivilegeEscalation: false");
        }
        if (sc != null && Boolean.TRUE.equals(sc.getPrivileged())) {
            problems.add(file + ": container " + c.getName() + " is privileged");
        }
        if (sc == null || sc.getCapabilities() == null || !sc.getCapabilities().getDrop().contains("ALL")
                || !sc.getCapabilities().getAdd().isEmpty()) {
            problems.add(file + ": container " + c.getName() + " must drop ALL capabilities and add none");
        }
    }

    private static void resources(String file, Container c, List<String> problems) {
        ResourceRequirements r = c.getResources();
        for (String kind : List.of("requests", "limits")) {
            Map<String, Quantity> q = r == null ? null : kind.equals("requests") ? r.getRequests() : r.getLimits();
            for (String resource : List.of("cpu", "memory")) {
                if (q == null || q.get(resource) == null) {
                    problems.add(file + ": container " + c.getName() + " has no " + kind + "." + resource + " (resources requests and limits)");
                }
            }
        }
    }

    private static void containerChecks(String file, PodSpec pod, Container c, int serverPort, int managementPort, List<String> problems) {
        Set<Integer> ports = new TreeSet<>();
        c.getPorts().forEach(p -> ports.add(p.getContainerPort()));
        if (!ports.equals(Set.of(serverPort, managementPort))) {
            problems.add(file + ": container ports " + ports + " are not camel.server.port " + serverPort + " and camel.management.port "
                    + managementPort + " of application.properties");
        }
        probe(file, c, "livenessProbe", c.getLivenessProbe(), LIVE, managementPort, problems);
        probe(file, c, "readinessProbe", c.getReadinessProbe(), READY, managementPort, problems);
        if (c.getStartupProbe() != null) {
            probe(file, c, "startupProbe", c.getStartupProbe(), LIVE, managementPort, problems);
        }
        boolean instanceId = c.getEnv().stream().anyMatch(v -> v.getName().equals("LEARNBRIDGE_INSTANCEID") && v.getValueFrom() != null
                && v.getValueFrom().getFieldRef() != null && "metadata.name".equals(v.getValueFrom().getFieldRef().getFieldPath()));
        if (!instanceId) {
            problems.add(file + ": LEARNBRIDGE_INSTANCEID is not the pod name (fieldRef metadata.name)");
        }
        for (String path : List.of("/var/lib/learnbridge", "/tmp")) {
            Optional<VolumeMount> mount = c.getVolumeMounts().stream().filter(v -> v.getMountPath().equals(path)).findFirst();
            boolean emptyDir = mount.isPresent() && pod.getVolumes().stream()
                    .anyMatch((Volume v) -> v.getName().equals(mount.get().getName()) && v.getEmptyDir() != null);
            if (!emptyDir) {
                problems.add(file + ": " + path + " is not a writable emptyDir");
            }
        }
    }

    private static void probe(String file, Container c, String kind, Probe probe, String path, int managementPort, List<String> problems) {
        HTTPGetAction get = probe == null ? null : probe.getHttpGet();
        if (get == null) {
            problems.add(file + ": " + kind + " is not an HTTP GET");
            return;
        }
        if (!path.equals(get.getPath())) {
            problems.add(file + ": " + kind + " asks " + get.getPath() + ", not " + path);
        }
        Integer port = portNumber(c, get.getPort());
        if (port == null || port != managementPort) {
            problems.add(file + ": " + kind + " port " + portText(get.getPort()) + " is not the management port " + managementPort);
        }
    }

    private static Integer portNumber(Container c, IntOrString port) {
        if (port == null) {
            return null;
        }
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElse(null);
    }

    private static String portText(IntOrString port) {
        return port == null ? "none" : port.getIntVal() != null ? String.valueOf(port.getIntVal()) : port.getStrVal();
    }

    private static void networkPolicy(Manifest m, NetworkPolicy np, Map<String, String> podLabels, int serverPort, int managementPort,
                                      List<String> problems) {
        String name = "NetworkPolicy " + np.getMetadata().getName();
        if (np.getSpec().getPodSelector() == null || !selects(np.getSpec().getPodSelector().getMatchLabels(), podLabels)) {
            problems.add(m.file() + ": " + name + " does not select the bridge pods");
        }
        if (!m.patch() && !np.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress"))) {
            problems.add(m.file() + ": " + name + " does not restrict both Ingress and Egress");
        }
        for (NetworkPolicyIngressRule rule : np.getSpec().getIngress()) {
            if (rule.getFrom().isEmpty()) {
                problems.add(m.file() + ": " + name + " has an ingress rule open to every source");
            }
            if (rule.getPorts().isEmpty()) {
                problems.add(m.file() + ": " + name + " has an ingress rule open on every port");
            }
            for (NetworkPolicyPort p : rule.getPorts()) {
                Integer port = p.getPort() == null ? null : p.getPort().getIntVal();
                if (port == null || port != serverPort && port != managementPort) {
                    problems.add(m.file() + ": " + name + " lets ingress to port " + portText(p.getPort()));
                }
            }
        }
        boolean dns = np.getSpec().getEgress().stream().flatMap(e -> e.getPorts().stream())
                .anyMatch(p -> p.getPort() != null && Integer.valueOf(53).equals(p.getPort().getIntVal()));
        if (!np.getSpec().getEgress().isEmpty() && !dns || !m.patch() && np.getSpec().getEgress().isEmpty()) {
            problems.add(m.file() + ": " + name + " has no egress to DNS");
        }
    }

    /** Whether a {@code LEARNBRIDGE_*} variable sets a secret setting, as the bridge decides it when it masks logs. */
    static boolean secretVariable(String name) {
        return name.startsWith("LEARNBRIDGE_") && io.learnbridge.support.KnownSettings.isSecretVariable(name);
    }

    private static boolean notEmpty(Map<?, ?> map) {
        return map != null && !map.isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapOf(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<?> listOf(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }
}
