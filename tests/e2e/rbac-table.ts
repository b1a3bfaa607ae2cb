// What each ServiceAccount may and may not do, as the API server's authorizer must answer
// it. Every row is one `kubectl auth can-i` check; a wrong answer either way fails.
import { CLEANUP_SCRIPT_CONFIGMAP } from "../../components/cleanup";
import { CLEANUP, PREVIEW_IDENTITY } from "../../components/names";
import { run } from "./support";
export interface Check {
    sa: string;
    verb: string;
    resource: string;
    name?: string;
    namespace?: "own" | "other";
    allowed: boolean;
}

const pipelineAllowed: [string, string, string?][] = [
    ["create", "pods"],
    ["get", "pods"],
    ["list", "pods"],
    ["watch", "pods"],
    ["delete", "pods"],
    ["create", "pods/exec"],
    ["get", "pods/exec"],
    ["get", "pods/log"],
    ["get", "events"],
    ["list", "events"],
    ["get", "configmaps"],
    ["list", "configmaps"],
    ["get", "persistentvolumeclaims"],
    ["list", "persistentvolumeclaims"],
    ["create", "persistentvolumeclaims"],
    ["get", "secrets", "ab-eval-db-credentials"],
];
const pipelineDenied: [string, string, string?][] = [
    ["list", "secrets"],
    ["watch", "secrets"],
    ["get", "secrets", "litellm-master-key"],
    ["get", "secrets", "litellm-vertex-credentials"],
    ["create", "secrets"],
    ["delete", "persistentvolumeclaims"],
    ["update", "configmaps"],
    ["create", "deployments"],
    ["create", "roles"],
    ["create", "rolebindings"],
    ["delete", "networkpolicies"],
    ["patch", "namespaces"],
];
const litellmDenied: [string, string, string?][] = [
    ["get", "secrets", "litellm-master-key"],
    ["list", "secrets"],
    ["get", "configmaps"],
    ["list", "pods"],
    ["create", "pods"],
    ["get", "services"],
    ["list", "endpoints"],
    ["create", "tokenreviews"],
];

const cleanupAllowed: [string, string, string?][] = [
    ["list", "pods"],
    ["delete", "pods"],
    ["list", "pipelineruns.tekton.dev"],
    ["delete", "pipelineruns.tekton.dev"],
    // A failed run is read once more just before its delete, for its dead-letter record.
    ["get", "pipelineruns.tekton.dev"],
    ["list", "taskruns.tekton.dev"],
    ["list", "imagestreams.image.openshift.io"],
    ["delete", "imagestreams.image.openshift.io"],
    // Each run's record: its CronJob's uid for the Event, and its own ConfigMap, by name.
    ["get", "cronjobs.batch", CLEANUP.name],
    ["create", "events"],
    ["get", "configmaps", CLEANUP.lastRunConfigMap],
    ["patch", "configmaps", CLEANUP.lastRunConfigMap],
];
const cleanupDenied: [string, string, string?][] = [
    ["get", "pods"],
    ["create", "pods"],
    ["create", "pods/exec"],
    ["get", "secrets", "ab-eval-db-credentials"],
    ["create", "pipelineruns.tekton.dev"],
    ["watch", "pipelineruns.tekton.dev"],
    ["delete", "taskruns.tekton.dev"],
    ["create", "imagestreams.image.openshift.io"],
    ["delete", "persistentvolumeclaims"],
    ["get", "configmaps"],
    ["list", "configmaps"],
    ["patch", "configmaps"],
    ["update", "configmaps", CLEANUP.lastRunConfigMap],
    ["delete", "configmaps", CLEANUP.lastRunConfigMap],
    ["get", "configmaps", CLEANUP_SCRIPT_CONFIGMAP],
    ["patch", "configmaps", CLEANUP_SCRIPT_CONFIGMAP],
    ["get", "cronjobs.batch"],
    ["list", "cronjobs.batch"],
    ["patch", "cronjobs.batch", CLEANUP.name],
    ["get", "events"],
    ["delete", "events"],
];

// The pull-request preview identity: reads of the kinds the program manages, a few cluster
// objects by name, and nothing else; above all no Secret (the pull request's code runs with it).
const previewAllowed: [string, string, string?][] = [
    ["get", "configmaps"],
    ["list", "configmaps"],
    ["watch", "configmaps"],
    ["get", "deployments.apps"],
    ["list", "cronjobs.batch"],
    ["get", "networkpolicies.networking.k8s.io"],
    ["get", "roles.rbac.authorization.k8s.io"],
    ["get", "rolebindings.rbac.authorization.k8s.io"],
    ["get", "resourcequotas"],
    ["get", "persistentvolumeclaims"],
    ["get", "serviceaccounts"],
    ["get", "poddisruptionbudgets.policy"],
    ["get", "namespaces", "kube-system"],
];
const previewDenied: [string, string, string?][] = [
    ["get", "secrets"],
    ["list", "secrets"],
    ["watch", "secrets"],
    ["get", "secrets", "litellm-master-key"],
    ["get", "secrets", "ab-eval-db-credentials"],
    ["create", "configmaps"],
    ["update", "configmaps"],
    ["patch", "deployments.apps"],
    ["delete", "networkpolicies.networking.k8s.io"],
    ["patch", "resourcequotas"],
    ["delete", "persistentvolumeclaims"],
    ["create", "roles.rbac.authorization.k8s.io"],
    ["create", "serviceaccounts/token"],
    ["get", "pods"],
    ["create", "pods"],
    ["create", "pods/exec"],
    ["patch", "namespaces", "kube-system"],
    ["delete", "namespaces", "kube-system"],
    ["get", "namespaces", "default"],
    ["list", "namespaces"],
    ["patch", "validatingadmissionpolicies.admissionregistration.k8s.io"],
    ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
];

export function rbacTable(): Check[] {
    return [
        ...pipelineAllowed.map(([verb, resource, name]) => ({ sa: "pipeline", verb, resource, name, allowed: true })),
        ...pipelineDenied.map(([verb, resource, name]) => ({ sa: "pipeline", verb, resource, name, allowed: false })),
        // Nothing in another namespace.
        { sa: "pipeline", verb: "create", resource: "pods", namespace: "other", allowed: false },
        {
            sa: "pipeline",
            verb: "get",
            resource: "secrets",
            name: "ab-eval-db-credentials",
            namespace: "other",
            allowed: false,
        },
        ...litellmDenied.map(([verb, resource, name]) => ({ sa: "litellm", verb, resource, name, allowed: false })),
        ...cleanupAllowed.map(([verb, resource, name]) => ({
            sa: "abevalflow-cleanup",
            verb,
            resource,
            name,
            allowed: true,
        })),
        ...cleanupDenied.map(([verb, resource, name]) => ({
            sa: "abevalflow-cleanup",
            verb,
            resource,
            name,
            allowed: false,
        })),
        { sa: "abevalflow-cleanup", verb: "delete", resource: "pods", namespace: "other", allowed: false },
        ...previewAllowed.map(([verb, resource, name]) => ({
            sa: PREVIEW_IDENTITY.name,
            verb,
            resource,
            name,
            allowed: true,
        })),
        ...previewDenied.map(([verb, resource, name]) => ({
            sa: PREVIEW_IDENTITY.name,
            verb,
            resource,
            name,
            allowed: false,
        })),
        { sa: PREVIEW_IDENTITY.name, verb: "get", resource: "configmaps", namespace: "other", allowed: false },
    ];
}

/** The authorizer's answer to one row for the ServiceAccounts of `namespace` ("other" is openshift-dns). */
export function canI(namespace: string, check: Check): boolean {
    const ns = check.namespace === "other" ? "openshift-dns" : namespace;
    const target = check.name ? `${check.resource}/${check.name}` : check.resource;
    const r = run("kubectl", [
        "auth",
        "can-i",
        check.verb,
        target,
        "-n",
        ns,
        "--as",
        `system:serviceaccount:${namespace}:${check.sa}`,
    ]);
    if (r.status !== 0 && r.status !== 1) {
        throw new Error(`kubectl auth can-i failed: ${r.output}`);
    }
    return r.status === 0;
}
