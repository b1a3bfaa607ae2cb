// Least-privilege RBAC: the pipeline's own ServiceAccount, the image builder binding and a
// Role with exactly the verbs the pipeline uses (Secrets reachable only by name); and the
// read-only identity that pull-request previews run as, which reads no Secret and changes nothing.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { trialAdmissionName } from "./admission";
import { API_SERVER_ENDPOINT_SLICE } from "./cleanup";
import { managedMeta } from "./metadata";
import { KIND_RESOURCES, PART_OF, PIPELINE_ROLE, PREVIEW_IDENTITY } from "./names";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** What the pipeline's Role grants beyond running trial pods. */
export interface PipelineAccess {
    /** The ServiceAccount the Tekton pipeline runs as (created here). */
    readonly serviceAccountName: string;
    /** The only Secrets the pipeline may `get`, by name; empty grants nothing on Secrets. */
    readonly secretNames: readonly string[];
    /** Whether the pipeline may delete PersistentVolumeClaims (per-run volumes). */
    readonly managesPvcs: boolean;
    /** ClusterRole granting use of the pipelines SCC, bound in this namespace; none when undefined. */
    readonly sccClusterRole?: string;
}

export interface PipelineRbacArgs {
    /** Namespace of the ServiceAccount, Role and bindings. */
    readonly namespace: pulumi.Input<string>;
    readonly pipeline: PipelineAccess;
    /**
     * What checks the pods the pipeline creates (the admission policy and its binding): the
     * binding that grants pods create waits for it, so there is no moment when the pipeline
     * may create pods that nothing checks.
     */
    readonly podChecks?: pulumi.Resource[];
}

/** The Role's rules as data: the component applies them and the RBAC proofs test them. */
export function pipelineRoleRules(pipeline: PipelineAccess): PolicyRule[] {
    const rules: PolicyRule[] = [
        { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete"] },
        // WebSocket exec (kubectl 1.30+, several client libraries) is an HTTP GET, authorized as get.
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
        {
            apiGroups: [""],
            resources: ["persistentvolumeclaims"],
            verbs: pipeline.managesPvcs ? ["get", "list", "create", "delete"] : ["get", "list", "create"],
        },
    ];
    if (pipeline.secretNames.length > 0) {
        // get by name only: list or watch would return every Secret in the namespace.
        rules.push({
            apiGroups: [""],
            resources: ["secrets"],
            verbs: ["get"],
            resourceNames: [...pipeline.secretNames],
        });
    }
    return rules;
}

export class PipelineRbac extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: PipelineRbacArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:security:PipelineRbac", name, {}, opts);
        const labels = { ...PART_OF, "app.kubernetes.io/component": "pipeline" };
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            "pipeline",
            {
                metadata: managedMeta(args.pipeline.serviceAccountName, args.namespace, labels),
            },
            { parent: this },
        );
        const subjects = [
            {
                kind: "ServiceAccount",
                name: serviceAccount.metadata.name,
                namespace: serviceAccount.metadata.namespace,
            },
        ];

        new k8s.rbac.v1.RoleBinding(
            "pipeline-image-builder",
            {
                metadata: managedMeta("pipeline-image-builder", args.namespace, labels),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:image-builder" },
                subjects,
            },
            { parent: this },
        );
        if (args.pipeline.sccClusterRole) {
            // Task pods run under pipelines-scc; without the operator's binding they need this one.
            new k8s.rbac.v1.RoleBinding(
                "pipeline-pipelines-scc",
                {
                    metadata: managedMeta("pipeline-pipelines-scc", args.namespace, labels),
                    roleRef: {
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "ClusterRole",
                        name: args.pipeline.sccClusterRole,
                    },
                    subjects,
                },
                { parent: this },
            );
        }
        const role = new k8s.rbac.v1.Role(
            "pipeline-trial-manager",
            {
                metadata: managedMeta(PIPELINE_ROLE, args.namespace, labels),
                rules: pipelineRoleRules(args.pipeline),
            },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            "pipeline-trial-manager",
            {
                metadata: managedMeta(PIPELINE_ROLE, args.namespace, labels),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects,
            },
            { parent: this, dependsOn: args.podChecks },
        );

        this.serviceAccountName = serviceAccount.metadata.name;
        this.roleName = role.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName, roleName: this.roleName });
    }
}

// ---------------------------------------------------------------------------------------
// The pull-request preview identity.
//
// What `pulumi preview` with provider 4.25.0 in server-side apply mode sends to the API
// server (pulumi-kubernetes provider/v4 at f47bc2d6f199):
// - Diff compares the state's pruned live object with the new inputs on the client and
//   sends nothing (pkg/provider/provider.go:1304-1531).
// - A planned update first GETs the live object (pkg/await/await.go:419), then sends a
//   dry-run server-side apply PATCH (await.go:580-585); a planned create sends only the
//   dry-run PATCH (await.go:187-203). The API server authorizes a dry-run request exactly as
//   the real one, as `patch`, so this identity is refused, and the provider then returns the
//   inputs as the planned state instead of failing (Forbidden: provider.go:1649-1652 for
//   create, provider.go:2152-2155 for update). The preview still shows every change, computed
//   on the client; it loses only the server's dry-run validation (schema, admission), which
//   `pulumi up` under the deploy identity still applies. No narrower verb exists: RBAC cannot
//   grant a dry-run patch without the real one.
// - Reads (`Namespace.get` of kube-system in cluster.ts, `EndpointSlice.get` in cleanup.ts)
//   GET the object and fail the preview when refused, so those two are granted by name.
// - Nothing reads a Secret unless the Secret itself changes, and then the GET is refused and
//   handled like the PATCH above; so no Secret verb is granted: a pull request controls the
//   code the preview runs, and whatever this identity can read the pull request can print.

/** Namespaced kinds the program manages (every mode), by API group; Secrets are left out on purpose. */
export const PREVIEW_READABLE_KINDS: Readonly<Record<string, readonly string[]>> = Object.values(KIND_RESOURCES)
    .filter((k) => k.namespaced && k.resource !== "secrets")
    .reduce<Record<string, string[]>>(
        (byGroup, k) => ({ ...byGroup, [k.group]: [...(byGroup[k.group] ?? []), k.resource].sort() }),
        {},
    );

/** What the preview identity must reach outside the namespace. */
export interface PreviewAccess {
    /** The stack's namespace (created or only labelled by the program). */
    readonly namespace: string;
    /** Whether the ValidatingAdmissionPolicy and its binding exist (admissionPolicy). */
    readonly admissionPolicy: boolean;
    /** Whether the program reads EndpointSlice default/kubernetes (apiServerCidrs empty). */
    readonly readsApiServerEndpoints: boolean;
}

/** Name of the preview identity's ClusterRole and ClusterRoleBinding; the namespace keeps stacks apart. */
export function previewClusterName(namespace: string): string {
    return `${PREVIEW_IDENTITY.clusterPrefix}${namespace}`;
}

/** Read-only rules in the namespace: get, list, watch on the managed kinds, never Secrets. */
export function previewRoleRules(): PolicyRule[] {
    return Object.entries(PREVIEW_READABLE_KINDS).map(([group, resources]) => ({
        apiGroups: [group],
        resources: [...resources],
        verbs: ["get", "list", "watch"],
    }));
}

/** Cluster-wide rules: get by name only, on exactly the objects a preview reads or plans. */
export function previewClusterRoleRules(access: PreviewAccess): PolicyRule[] {
    const rules: PolicyRule[] = [
        // The managed (or label-patched) Namespace, and kube-system, which the cluster guard reads.
        {
            apiGroups: [""],
            resources: ["namespaces"],
            verbs: ["get"],
            resourceNames: [access.namespace, "kube-system"],
        },
        // Its own cluster-scoped objects, which the program manages too.
        {
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["clusterrolebindings", "clusterroles"],
            verbs: ["get"],
            resourceNames: [previewClusterName(access.namespace)],
        },
    ];
    if (access.admissionPolicy) {
        rules.push({
            apiGroups: ["admissionregistration.k8s.io"],
            resources: ["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
            verbs: ["get"],
            resourceNames: [trialAdmissionName(access.namespace)],
        });
    }
    if (access.readsApiServerEndpoints) {
        // A namespaced object, granted cluster-wide by name: only EndpointSlices named like
        // Service default/kubernetes, which hold API server addresses and nothing else.
        rules.push({
            apiGroups: ["discovery.k8s.io"],
            resources: ["endpointslices"],
            verbs: ["get"],
            resourceNames: [API_SERVER_ENDPOINT_SLICE.name],
        });
    }
    return rules;
}

export interface PreviewIdentityArgs {
    /** The namespace, resolved once the Namespace (or its label patch) exists. */
    readonly namespace: pulumi.Input<string>;
    readonly access: PreviewAccess;
    /** What the cluster-scoped objects wait for: the check that the cluster is the stack's own. */
    readonly clusterVerified: pulumi.Input<pulumi.Resource[]>;
}

export class PreviewIdentity extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: PreviewIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:security:PreviewIdentity", name, {}, opts);
        const labels = { ...PART_OF, "app.kubernetes.io/component": "preview" };
        // Tokens are minted from outside (kubectl create token) for CI; no pod runs as it.
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            "preview",
            {
                metadata: managedMeta(PREVIEW_IDENTITY.name, args.namespace, labels),
                automountServiceAccountToken: false,
            },
            { parent: this },
        );
        const subjects = [
            {
                kind: "ServiceAccount",
                name: serviceAccount.metadata.name,
                namespace: serviceAccount.metadata.namespace,
            },
        ];

        const role = new k8s.rbac.v1.Role(
            "preview",
            {
                metadata: managedMeta(PREVIEW_IDENTITY.name, args.namespace, labels),
                rules: previewRoleRules(),
            },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            "preview",
            {
                metadata: managedMeta(PREVIEW_IDENTITY.name, args.namespace, labels),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects,
            },
            { parent: this },
        );

        // Cluster-scoped: the owning namespace is in the name and a label; the annotations are
        // managedMeta's, so these carry the same ownership rule as every namespaced object.
        const { namespace: _clusterScoped, ...clusterMeta } = managedMeta(
            previewClusterName(args.access.namespace),
            "",
            { ...labels, "abevalflow/namespace": args.access.namespace },
        );
        const clusterOpts = { parent: this, dependsOn: args.clusterVerified };
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            "preview",
            { metadata: clusterMeta, rules: previewClusterRoleRules(args.access) },
            clusterOpts,
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            "preview",
            {
                metadata: clusterMeta,
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: clusterRole.metadata.name,
                },
                subjects,
            },
            clusterOpts,
        );

        this.serviceAccountName = serviceAccount.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName });
    }
}
