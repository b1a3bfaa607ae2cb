// What each ServiceAccount may and may not do, as the API server's authorizer must answer
// it. Every row is one `kubectl auth can-i` check; a wrong answer either way fails.
export interface Check { sa: string; verb: string; resource: string; name?: string; namespace?: "own" | "other"; allowed: boolean }

const pipelineAllowed: [string, string, string?][] = [
    ["create", "pods"], ["get", "pods"], ["list", "pods"], ["watch", "pods"], ["delete", "pods"],
    ["create", "pods/exec"], ["get", "pods/exec"], ["get", "pods/log"], ["get", "events"], ["list", "events"],
    ["get", "configmaps"], ["list", "configmaps"],
    ["get", "persistentvolumeclaims"], ["list", "persistentvolumeclaims"], ["create", "persistentvolumeclaims"],
    ["get", "secrets", "ab-eval-db-credentials"],
];
const pipelineDenied: [string, string, string?][] = [
    ["list", "secrets"], ["watch", "secrets"], ["get", "secrets", "litellm-master-key"], ["get", "secrets", "litellm-vertex-credentials"],
    ["create", "secrets"], ["delete", "persistentvolumeclaims"], ["update", "configmaps"], ["create", "deployments"],
    ["create", "roles"], ["create", "rolebindings"], ["delete", "networkpolicies"], ["patch", "namespaces"],
];
const litellmDenied: [string, string, string?][] = [
    ["get", "secrets", "litellm-master-key"], ["list", "secrets"], ["get", "configmaps"], ["list", "pods"],
    ["create", "pods"], ["get", "services"], ["list", "endpoints"], ["create", "tokenreviews"],
];

const cleanupAllowed: [string, string, string?][] = [
    ["list", "pods"], ["delete", "pods"], ["list", "pipelineruns.tekton.dev"], ["delete", "pipelineruns.tekton.dev"],
    ["list", "taskruns.tekton.dev"], ["list", "imagestreams.image.openshift.io"], ["delete", "imagestreams.image.openshift.io"],
];
const cleanupDenied: [string, string, string?][] = [
    ["get", "pods"], ["create", "pods"], ["create", "pods/exec"], ["get", "secrets", "ab-eval-db-credentials"],
    ["create", "pipelineruns.tekton.dev"], ["get", "pipelineruns.tekton.dev"], ["delete", "taskruns.tekton.dev"],
    ["create", "imagestreams.image.openshift.io"], ["delete", "persistentvolumeclaims"], ["get", "configmaps"],
];

export function rbacTable(): Check[] {
    return [
        ...pipelineAllowed.map(([verb, resource, name]) => ({ sa: "pipeline", verb, resource, name, allowed: true })),
        ...pipelineDenied.map(([verb, resource, name]) => ({ sa: "pipeline", verb, resource, name, allowed: false })),
        // Nothing in another namespace.
        { sa: "pipeline", verb: "create", resource: "pods", namespace: "other", allowed: false },
        { sa: "pipeline", verb: "get", resource: "secrets", name: "ab-eval-db-credentials", namespace: "other", allowed: false },
        ...litellmDenied.map(([verb, resource, name]) => ({ sa: "litellm", verb, resource, name, allowed: false })),
        ...cleanupAllowed.map(([verb, resource, name]) => ({ sa: "abevalflow-cleanup", verb, resource, name, allowed: true })),
        ...cleanupDenied.map(([verb, resource, name]) => ({ sa: "abevalflow-cleanup", verb, resource, name, allowed: false })),
        { sa: "abevalflow-cleanup", verb: "delete", resource: "pods", namespace: "other", allowed: false },
    ];
}
