// The rights of the identity that runs `pulumi up` for a stack, derived from what the program
// registers and reads for that stack's configuration (the same mocked run `npm run render`
// prints), so a key that adds a kind, a cluster-scoped object or a binding adds its right here
// with no list to keep. A cluster administrator applies them once (`npm run deployer`); the
// deployer cannot grant them to itself.
//
// RBAC facts this rests on (Kubernetes 1.34, plugin/pkg/auth/authorizer/rbac and
// pkg/registry/rbac): a server-side apply that creates an object is authorized as `patch` and
// `create`; `create` is never matched by resourceNames (the name is not part of the request's
// attributes), so create rights on a cluster-scoped kind are kind-wide; a Role or ClusterRole can
// be written only by someone who holds every rule it grants (escalation check), and a binding
// only by someone who holds the referenced role's rules or `bind` on it by name.
import { DEPLOYER, KIND_RESOURCES, READ_KINDS } from "../../components/names";
import { field, ProgramRun } from "../engine/program-run";

export type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** Everything the deployer may do to the program's own namespaced kinds. */
const MANAGE = ["get", "list", "watch", "create", "update", "patch", "delete"];
/** Cluster-scoped objects by name: everything but create, which RBAC cannot narrow to a name. */
const MANAGE_BY_NAME = ["get", "update", "patch", "delete"];

/**
 * What the kubernetes provider 4.25.0 reads while it waits for objects to become ready, beyond
 * the objects themselves (pulumi-kubernetes provider/pkg/await): a Deployment's ReplicaSets and
 * Pods, a Service's Endpoints and EndpointSlices, and the Events of each object it waits for.
 * A claim's StorageClass is cluster-scoped (clusterRules).
 */
const PROVIDER_AWAIT_READS: readonly PolicyRule[] = [
    { apiGroups: [""], resources: ["pods", "endpoints", "events"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
];

interface Kind {
    group: string;
    resource: string;
    namespaced: boolean;
}

/** "kubernetes:apps/v1:Deployment" -> KIND_RESOURCES.Deployment; NamespacePatch is the Namespace. */
export function kindOf(type: string): Kind & { kind: string } {
    const kind = type.split(":")[2]?.replace(/Patch$/, "") ?? "";
    const known = (KIND_RESOURCES as Record<string, Kind>)[kind] ?? (READ_KINDS as Record<string, Kind>)[kind];
    if (!known) {
        throw new Error(
            `the program uses kind ${kind} (${type}), which has no API resource in components/names.ts (KIND_RESOURCES or READ_KINDS): add it there`,
        );
    }
    return { ...known, kind };
}

function sorted(values: Iterable<string>): string[] {
    return [...new Set(values)].sort();
}

/**
 * The same rights written shortest: each resource's verbs are the union of every rule's; a
 * by-name rule whose verbs the kind-wide rule already has goes; resources with the same verbs
 * (and names) share a rule. The same rights always print the same way.
 */
function merge(rules: PolicyRule[]): PolicyRule[] {
    const verbsOf = new Map<string, Set<string>>();
    for (const r of rules) {
        for (const group of r.apiGroups) {
            for (const resource of r.resources) {
                const key = JSON.stringify([group, resource, r.resourceNames ? sorted(r.resourceNames) : null]);
                verbsOf.set(key, new Set([...(verbsOf.get(key) ?? []), ...r.verbs]));
            }
        }
    }
    const grouped = new Map<string, PolicyRule>();
    for (const [key, verbs] of verbsOf) {
        const [group, resource, names] = JSON.parse(key) as [string, string, string[] | null];
        const kindWide = verbsOf.get(JSON.stringify([group, resource, null]));
        const left = names ? [...verbs].filter((v) => !kindWide?.has(v)) : [...verbs];
        if (left.length === 0) {
            continue;
        }
        const ruleKey = JSON.stringify([group, sorted(left), names]);
        const rule = grouped.get(ruleKey) ?? {
            apiGroups: [group],
            resources: [],
            verbs: sorted(left),
            ...(names ? { resourceNames: names } : {}),
        };
        rule.resources = sorted([...rule.resources, resource]);
        grouped.set(ruleKey, rule);
    }
    return [...grouped.values()].sort((a, b) =>
        JSON.stringify([a.apiGroups, a.resourceNames ?? [], a.resources]).localeCompare(
            JSON.stringify([b.apiGroups, b.resourceNames ?? [], b.resources]),
        ),
    );
}

export interface DeployerRights {
    namespace: string;
    /** Rules of the Role in the stack's namespace. */
    namespaceRules: PolicyRule[];
    /** Rules of the ClusterRole: cluster-scoped objects by name, reads by name, kind-wide creates. */
    clusterRules: PolicyRule[];
    /** Why each cluster rule is there, in the order of clusterRules' sources, for the docs and the CLI. */
    clusterReasons: string[];
}

export function deployerRights(run: ProgramRun): DeployerRights {
    const namespace = run.config.namespace;
    const k8sResources = run.resources.filter(
        (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index"),
    );
    const namespaceRules: PolicyRule[] = [...PROVIDER_AWAIT_READS];
    const clusterRules: PolicyRule[] = [];
    const clusterReasons: string[] = [];
    const clusterNamed = new Map<string, { kind: Kind & { kind: string }; names: Set<string> }>();

    // A kind whose every object the program keeps on delete (retainOnDelete: the Namespace, the
    // claims) is one the deployer never deletes, so it may not. Deleting a Patch resource
    // (NamespacePatch) releases its fields with another patch; the object stays.
    const kept = (kind: string) =>
        k8sResources
            .filter((r) => kindOf(r.type).kind === kind)
            .every((r) => r.opts.retainOnDelete === true || r.type.endsWith("Patch"));
    const verbs = (kind: string, all: string[]) => (kept(kind) ? all.filter((v) => v !== "delete") : all);
    for (const r of k8sResources) {
        const kind = kindOf(r.type);
        if (kind.namespaced) {
            namespaceRules.push({
                apiGroups: [kind.group],
                resources: [kind.resource],
                verbs: verbs(kind.kind, MANAGE),
            });
        } else {
            const name = String(field(r, "metadata", "name"));
            const entry = clusterNamed.get(kind.kind) ?? { kind, names: new Set<string>() };
            entry.names.add(name);
            clusterNamed.set(kind.kind, entry);
        }
        // Writing a Role needs every rule it grants (escalation check): the deployer holds them.
        if (kind.kind === "Role" || kind.kind === "ClusterRole") {
            const granted = (field(r, "rules") as PolicyRule[] | undefined) ?? [];
            (kind.kind === "Role" ? namespaceRules : clusterRules).push(...granted);
            if (kind.kind === "ClusterRole" && granted.length > 0) {
                clusterReasons.push(
                    `holds the rules of ClusterRole ${String(field(r, "metadata", "name"))}, which it writes`,
                );
            }
        }
        // Binding a ClusterRole the program does not write: `bind` on it by name, in the namespace only.
        if (kind.kind === "RoleBinding") {
            const ref = field(r, "roleRef") as { kind: string; name: string };
            if (ref.kind === "ClusterRole") {
                namespaceRules.push({
                    apiGroups: ["rbac.authorization.k8s.io"],
                    resources: ["clusterroles"],
                    verbs: ["bind"],
                    resourceNames: [ref.name],
                });
            }
        }
    }
    for (const { kind, names } of clusterNamed.values()) {
        const byName = [...names].sort();
        clusterRules.push({
            apiGroups: [kind.group],
            resources: [kind.resource],
            verbs: verbs(kind.kind, MANAGE_BY_NAME),
            resourceNames: byName,
        });
        // The Namespace exists before the first deploy (the bootstrap creates it); everything
        // else cluster-scoped is created by the program.
        if (kind.kind !== "Namespace") {
            // The provider waits for a delete with an informer on the whole kind, cluster-wide for
            // a cluster-scoped one (provider 4.25.0 pkg/await/await.go Deletion, condition.NewDeletionSource
            // on the object's namespace, "" here); refused, it waits out its 10-minute timeout.
            clusterRules.push({
                apiGroups: [kind.group],
                resources: [kind.resource],
                verbs: kept(kind.kind) ? ["create"] : ["create", "list", "watch"],
            });
            clusterReasons.push(
                `creates and manages ${kind.kind} ${byName.join(", ")} (create cannot be limited to a name; ` +
                    "deleting it, the provider watches every object of the kind)",
            );
        } else {
            clusterReasons.push(`manages Namespace ${byName.join(", ")} (labels, annotations)`);
        }
    }
    for (const read of run.reads) {
        const kind = kindOf(read.type);
        const name = read.id.split("/").pop() ?? read.id;
        // A namespaced object outside the stack's namespace is read by name, cluster-wide.
        clusterRules.push({
            apiGroups: [kind.group],
            resources: [kind.resource],
            verbs: ["get"],
            resourceNames: [name],
        });
        clusterReasons.push(`reads ${kind.kind} ${read.id} at deploy time`);
    }
    if (k8sResources.some((r) => kindOf(r.type).kind === "PersistentVolumeClaim")) {
        // The provider waits for a claim to bind unless its StorageClass binds on first use.
        clusterRules.push({ apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get"] });
        clusterReasons.push("reads the claims' StorageClass (the provider's wait for a claim)");
    }
    return { namespace, namespaceRules: merge(namespaceRules), clusterRules: merge(clusterRules), clusterReasons };
}

export interface BootstrapObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    [field: string]: unknown;
}

export type Subject =
    | { kind: "ServiceAccount"; name: string; namespace: string }
    | { kind: "User" | "Group"; name: string; apiGroup: "rbac.authorization.k8s.io" };

/** The objects a cluster administrator applies once: the namespace, the ServiceAccount (when the subject is the default one), the Role and ClusterRole and their bindings. */
export function deployerManifests(rights: DeployerRights, subject: Subject): BootstrapObject[] {
    const ns = rights.namespace;
    const labels = { "app.kubernetes.io/part-of": "abevalflow", "app.kubernetes.io/component": "deployer" };
    const clusterName = `${DEPLOYER.clusterPrefix}${ns}`;
    const rbac = "rbac.authorization.k8s.io/v1";
    const objects: BootstrapObject[] = [
        // Bare: the program sets its labels and annotations (manageNamespace) or patches them in.
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    ];
    if (subject.kind === "ServiceAccount" && subject.namespace === ns && subject.name === DEPLOYER.name) {
        objects.push({
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: DEPLOYER.name, namespace: ns, labels },
            automountServiceAccountToken: false,
        });
    }
    objects.push(
        {
            apiVersion: rbac,
            kind: "Role",
            metadata: { name: DEPLOYER.name, namespace: ns, labels },
            rules: rights.namespaceRules,
        },
        {
            apiVersion: rbac,
            kind: "RoleBinding",
            metadata: { name: DEPLOYER.name, namespace: ns, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: DEPLOYER.name },
            subjects: [subject],
        },
        {
            apiVersion: rbac,
            kind: "ClusterRole",
            metadata: { name: clusterName, labels: { ...labels, "abevalflow/namespace": ns } },
            rules: rights.clusterRules,
        },
        {
            apiVersion: rbac,
            kind: "ClusterRoleBinding",
            metadata: { name: clusterName, labels: { ...labels, "abevalflow/namespace": ns } },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
            subjects: [subject],
        },
    );
    return objects;
}

/** The ServiceAccount the CI deploy identity is, in the stack's namespace. */
export function defaultSubject(namespace: string): Subject {
    return { kind: "ServiceAccount", name: DEPLOYER.name, namespace };
}
