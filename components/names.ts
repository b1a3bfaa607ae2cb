// Names, labels and ports that more than one slice, test or policy refers to. Each value
// lives here once; everything else imports it.

export const PART_OF = { "app.kubernetes.io/part-of": "abevalflow" } as const;

export const LITELLM = {
    name: "litellm",
    podLabels: { "app.kubernetes.io/name": "litellm", "app.kubernetes.io/component": "llm-proxy" },
    masterKeySecret: "litellm-master-key",
    masterKeyEnv: "LITELLM_MASTER_KEY",
    credentialsSecret: "litellm-vertex-credentials",
    credentialsKey: "credentials.json",
    configMap: "litellm-config",
    configFile: "config.yaml",
    /** The proxy hook (litellm/url_guard.py) that refuses requests naming remote media; mounted beside the config, which loads it. */
    urlGuardFile: "url_guard.py",
    configMountPath: "/etc/litellm",
    credentialsMountPath: "/var/run/secrets/vertex",
    probes: { liveness: "/health/liveliness", readiness: "/health/readiness" },
} as const;

/** Pods the pipeline itself runs (Tekton labels every TaskRun pod with this key). */
export const PIPELINE_POD_SELECTOR = {
    matchExpressions: [{ key: "tekton.dev/pipelineRun", operator: "Exists" }],
};

export const HTTPS_PORT = 443;

/**
 * Never reachable through a public-HTTPS allow rule: the ranges (IPv4 and IPv6) the policy pack
 * requires every such rule to except. Kept with the CIDR parser in common/cidr.ts, which the
 * pack imports too; re-exported here for the program's slices and tests.
 */
export { NON_PUBLIC_CIDRS } from "../common/cidr";

/**
 * The cleanup job's ServiceAccount, Role, CronJob and pod labels, and the ConfigMap the job
 * records its last runs in.
 */
export const CLEANUP = {
    name: "abevalflow-cleanup",
    lastRunConfigMap: "abevalflow-cleanup-last-run",
    podLabels: { "app.kubernetes.io/name": "abevalflow-cleanup", "app.kubernetes.io/component": "cleanup" },
} as const;

/**
 * The start of the names of the program's own pods: a Deployment's and a CronJob's pods are
 * named after them. The pipeline may exec into none of them (admission.ts, trialPodNamePrefix).
 */
export const OWN_POD_NAME_PREFIXES: readonly string[] = [`${LITELLM.name}-`, `${CLEANUP.name}-`];

export const PIPELINE_ROLE = "pipeline-trial-manager";

/**
 * The read-only identity pull-request previews run as: its ServiceAccount, Role and RoleBinding
 * in the stack's namespace, and the prefix of its cluster-scoped ClusterRole and binding.
 */
export const PREVIEW_IDENTITY = { name: "pulumi-preview", clusterPrefix: "abevalflow-preview-" } as const;

/** OpenShift Pipelines' pruner skips a namespace with this annotation (operator docs, "Automatic pruning"). */
export const OPERATOR_PRUNER_SKIP = { "operator.tekton.dev/prune.skip": "true" } as const;
export const TRIAL_BASELINE_CONFIGMAP = "trial-pod-security-baseline";
/** The key of that ConfigMap that holds trialPodNamePrefix. */
export const TRIAL_POD_NAME_PREFIX_KEY = "podNamePrefix";

export const VOLUMES = { workspace: "abevalflow-workspace", deadLetter: "abevalflow-dead-letter" } as const;

/**
 * The API group and resource of every kind the program manages: what RBAC rules name (the
 * preview identity's Role) and what kubectl is given (npm run migrate). A test holds it to
 * the kinds the program creates.
 */
export const KIND_RESOURCES = {
    Namespace: { group: "", resource: "namespaces", namespaced: false },
    ConfigMap: { group: "", resource: "configmaps", namespaced: true },
    LimitRange: { group: "", resource: "limitranges", namespaced: true },
    PersistentVolumeClaim: { group: "", resource: "persistentvolumeclaims", namespaced: true },
    ResourceQuota: { group: "", resource: "resourcequotas", namespaced: true },
    Secret: { group: "", resource: "secrets", namespaced: true },
    ServiceAccount: { group: "", resource: "serviceaccounts", namespaced: true },
    Service: { group: "", resource: "services", namespaced: true },
    Deployment: { group: "apps", resource: "deployments", namespaced: true },
    CronJob: { group: "batch", resource: "cronjobs", namespaced: true },
    NetworkPolicy: { group: "networking.k8s.io", resource: "networkpolicies", namespaced: true },
    PodDisruptionBudget: { group: "policy", resource: "poddisruptionbudgets", namespaced: true },
    Role: { group: "rbac.authorization.k8s.io", resource: "roles", namespaced: true },
    RoleBinding: { group: "rbac.authorization.k8s.io", resource: "rolebindings", namespaced: true },
    ClusterRole: { group: "rbac.authorization.k8s.io", resource: "clusterroles", namespaced: false },
    ClusterRoleBinding: { group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", namespaced: false },
    ValidatingAdmissionPolicy: {
        group: "admissionregistration.k8s.io",
        resource: "validatingadmissionpolicies",
        namespaced: false,
    },
    ValidatingAdmissionPolicyBinding: {
        group: "admissionregistration.k8s.io",
        resource: "validatingadmissionpolicybindings",
        namespaced: false,
    },
} as const;

/** Kinds the program only reads at deploy time (`.get`), never manages. */
export const READ_KINDS = {
    EndpointSlice: { group: "discovery.k8s.io", resource: "endpointslices", namespaced: true },
} as const;

/**
 * The identity that runs `pulumi up` (scripts/deployer): its ServiceAccount, Role and RoleBinding
 * in the stack's namespace, and the prefix of its ClusterRole and binding.
 */
export const DEPLOYER = { name: "abevalflow-deployer", clusterPrefix: "abevalflow-deployer-" } as const;

export const NETWORK_POLICIES = {
    trialDefaultDeny: "trial-egress-default-deny",
    trialIngressDefaultDeny: "trial-ingress-default-deny",
    trialIngressAllow: "trial-ingress-allow",
    litellmDefaultDeny: "litellm-default-deny",
    litellmProxy: "litellm-proxy",
    cleanupDefaultDeny: "cleanup-egress-default-deny",
    cleanupAllow: "cleanup-egress-allow",
} as const;

/**
 * Objects whose readiness needs a scheduler and a kubelet (the LiteLLM Deployment and Service)
 * carry this on the local control plane only, which has neither.
 */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;

/**
 * The program's values win server-side apply conflicts. When another applier (a GitOps tool,
 * `kubectl apply --server-side`, a second stack) has taken a field, the provider (4.25.0,
 * await.go patchForce) refuses the next `pulumi up` with a field conflict, leaving the drifted
 * value in place; edits by `oc edit` or `kubectl patch` are taken back either way. The e2e
 * drift test shows both. Volumes do not carry it (storage.ts).
 */
export const PATCH_FORCE = { "pulumi.com/patchForce": "true" } as const;

/**
 * The server-side apply field manager of every object the program applies, volumes included
 * (the provider's pulumi.com/patchFieldManager annotation; without it 4.25.0 names a random
 * pulumi-kubernetes-xxxxxxxx per resource, provider.go fieldManagerName). A known name lets
 * `npm run migrate` hand the fields that `oc apply` set over to the program before its first
 * `pulumi up`, so that apply removes what the old manifests had and the program does not.
 */
export const FIELD_MANAGER = "abevalflow";
export const PATCH_FIELD_MANAGER = { "pulumi.com/patchFieldManager": FIELD_MANAGER } as const;
