// What the first deploy does to a namespace that already holds objects applied by hand (with
// `oc apply` / `kubectl apply`), decided object by object before anything changes. Pure: the
// live objects, storage classes and the program's rendered objects come in, a plan comes out;
// cli.ts reads the cluster and carries the plan out.
//
// Why a plan at all: the kubernetes provider (4.25.0) creates every object with a server-side
// apply, which upserts (await.go: "we currently always upsert the object"). Over objects that
// `oc apply` made, that first `pulumi up` (a) keeps every field the old manifests set and the
// program does not (the old applier still owns them: a second selector label, an old quota
// key, an old env var), (b) stops half-way at an immutable field (the old Deployment's
// selector), and (c) leaves the old objects with other names in place, such as a permissive
// allow NetworkPolicy that silently undoes the new default-deny. The provider hands fields of
// old appliers to itself only on updates (await.go fixCSAFieldManagers), never on that first
// create, and not those of today's kubectl ("kubectl-client-side-apply").
import { isDeepStrictEqual } from "util";
import { FIELD_MANAGER, LITELLM, SKIP_AWAIT, VOLUMES } from "../../components/names";
import { quantityValue, serviceAccountKeyProblem } from "../../components/validation";

export interface ManagedFieldsEntry {
    manager?: string;
    operation?: string;
    apiVersion?: string;
    time?: string;
    fieldsType?: string;
    fieldsV1?: Record<string, unknown>;
    subresource?: string;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        resourceVersion?: string;
        annotations?: Record<string, string>;
        managedFields?: ManagedFieldsEntry[];
        [key: string]: unknown;
    };
    [key: string]: unknown;
}

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const SKIP_AWAIT_KEY = Object.keys(SKIP_AWAIT)[0];
const VERTEX_CREDENTIALS_KEY = LITELLM.credentialsKey;

/**
 * Field managers whose fields are the old manifests' declared state, handed to the program's
 * manager before its first apply: client-side `kubectl apply`/`oc apply` (today's name and
 * the binary names older clients used), `kubectl create -f`, and the marker the API server
 * gives fields that existed before an object's first apply. Managers of changes made by hand
 * afterwards (kubectl-annotate, kubectl-edit, kubectl-patch...) are left alone, so what they
 * set (an annotation on a volume, say) survives the first `pulumi up`.
 */
export const OLD_APPLIERS: readonly { manager: string; operation: string }[] = [
    { manager: "kubectl-client-side-apply", operation: "Update" },
    { manager: "kubectl-create", operation: "Update" },
    { manager: "kubectl", operation: "Update" },
    { manager: "kubectl", operation: "Apply" },
    { manager: "oc", operation: "Update" },
    { manager: "before-first-apply", operation: "Update" },
];

export function isOldApplier(entry: ManagedFieldsEntry): boolean {
    return (
        entry.subresource === undefined &&
        OLD_APPLIERS.some((a) => a.manager === entry.manager && a.operation === entry.operation)
    );
}

/**
 * Who keeps, on a data volume, what people changed by hand (kubectl annotate, label, edit,
 * patch). The provider, on every update of an object, takes over the fields of each manager
 * whose name starts with "kubectl" (4.25.0 await.go fixCSAFieldManagers through fluxcd/pkg/ssa
 * 0.46.0 PatchReplaceFieldsManagers, a prefix match) and then drops those it does not set: a
 * backup tool's annotation on a claim would go with the claim's next update. Under this name
 * they stay with nobody the provider takes over.
 */
export const KEPT_MANAGER = "kept-by-migration";

const isHandEdit = (e: ManagedFieldsEntry): boolean =>
    e.subresource === undefined &&
    e.operation === "Update" &&
    (e.manager ?? "").startsWith("kubectl") &&
    !isOldApplier(e);

/** Whether the object's field managers are to be rewritten before the program's first apply. */
export function needsHandOver(o: KubeObject): boolean {
    const entries = o.metadata.managedFields ?? [];
    return entries.some(isOldApplier) || (o.kind === "PersistentVolumeClaim" && entries.some(isHandEdit));
}

/** Objects whose fields someone applied or created by hand, rather than a controller. */
export function appliedByHand(o: KubeObject): boolean {
    return o.metadata.annotations?.[LAST_APPLIED] !== undefined || (o.metadata.managedFields ?? []).some(isOldApplier);
}

/** An object of the old layout that the program replaces with one of another name. */
export interface LegacyObject {
    kind: string;
    name: string;
    /** delete: superseded, removed by the migration; keep: holds data, only reported. */
    action: "delete" | "keep";
    /** The program's object that takes over its job, or what to do with it. */
    note: string;
}

export type Action = "create-first" | "adopt" | "replace" | "delete" | "keep";

export interface Step {
    kind: string;
    name: string;
    action: Action;
    /** Why, in words for the operator. */
    reason: string;
    /** For adopt: whether old appliers' fields are to be handed to the program's manager. */
    transfer?: boolean;
    /** For create-first: the object to apply. */
    manifest?: KubeObject;
}

export interface Plan {
    namespace: string;
    /** False when the namespace does not exist: nothing to migrate. */
    namespaceExists: boolean;
    steps: Step[];
    /** Why the plan cannot be carried out; non-empty means nothing may change. */
    problems: string[];
    /** What must exist before --apply, and does not: the plan is shown, but not carried out. */
    prerequisites: string[];
    /** Remarks that change nothing. */
    notes: string[];
}

export interface StorageClassInfo {
    name: string;
    allowVolumeExpansion?: boolean;
    volumeBindingMode?: string;
}

export interface PlanInput {
    namespace: string;
    /** What the program applies (npm run render of the stack). */
    desired: KubeObject[];
    /** The live Namespace, undefined when it does not exist. */
    liveNamespace?: KubeObject;
    /** Live objects in the namespace, of the kinds the program or the old layout has. */
    live: KubeObject[];
    legacy: readonly LegacyObject[];
    /** The cluster's storage classes, or why they could not be read. */
    storageClasses: readonly StorageClassInfo[] | string;
    /** "Kind/name" of hand-applied objects the operator says to leave alone. */
    keep: ReadonlySet<string>;
    /** Secrets the program reads but never writes (the Vertex credentials): they must exist before pulumi up. */
    requiredSecrets?: readonly string[];
    /**
     * For each of those that exists, what its credentials.json holds (decoded), or undefined
     * when it has no such key. Read apart from `live`, which never carries a Secret's values;
     * the plan keeps only what is wrong with it, never the value.
     */
    requiredSecretKeys?: Readonly<Record<string, string | undefined>>;
}

export const keyOf = (o: { kind: string; metadata: { name: string } } | { kind: string; name: string }): string =>
    `${o.kind}/${"metadata" in o ? o.metadata.name : o.name}`;

function at(obj: unknown, path: readonly string[]): unknown {
    let cur = obj;
    for (const p of path) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
}

/**
 * Fields the API server never lets change, by kind, where the program sets them. A difference
 * means the object must be deleted and created again.
 */
const IMMUTABLE: Record<string, readonly (readonly string[])[]> = {
    Deployment: [["spec", "selector"]],
    RoleBinding: [["roleRef"]],
    Secret: [["type"]],
    Service: [["spec", "clusterIP"]],
};

const managersOf = (o: KubeObject): string[] => [
    ...new Set((o.metadata.managedFields ?? []).map((e) => `${e.manager}`)),
];

const isDenyPolicy = (o: KubeObject): boolean =>
    o.kind === "NetworkPolicy" &&
    ((at(o, ["spec", "egress"]) as unknown[] | undefined) ?? []).length === 0 &&
    ((at(o, ["spec", "ingress"]) as unknown[] | undefined) ?? []).length === 0;

const show = (v: unknown): string => JSON.stringify(v) ?? "unset";

/** The stack's config key for a volume's setting ("abevalflow:workspaceSize"), for messages. */
function volumeKey(claim: string, setting: "Size" | "StorageClass" | "AccessMode"): string {
    const prefix = claim === VOLUMES.workspace ? "workspace" : claim === VOLUMES.deadLetter ? "deadLetter" : undefined;
    return prefix ? `abevalflow:${prefix}${setting}` : `the stack's ${setting}`;
}

/** Whether the program (this field manager, or the provider's own from before it) has applied the object. */
function appliedByProgram(o: KubeObject): boolean {
    return (o.metadata.managedFields ?? []).some(
        (e) => e.manager === FIELD_MANAGER || (e.manager ?? "").startsWith("pulumi-kubernetes"),
    );
}

/** Why a live claim cannot become the program's, or undefined; and what the first apply does to it. */
function claimCheck(
    live: KubeObject,
    desired: KubeObject,
    classes: readonly StorageClassInfo[] | string,
): { problem?: string; note: string } {
    const name = live.metadata.name;
    const wantModes = at(desired, ["spec", "accessModes"]);
    const haveModes = at(live, ["spec", "accessModes"]);
    if (!isDeepStrictEqual(wantModes, haveModes)) {
        return {
            problem: `PersistentVolumeClaim/${name}: accessModes are ${show(haveModes)} on the cluster and ${show(wantModes)} in the stack; a claim's access modes never change and a claim is never replaced: set ${volumeKey(name, "AccessMode")} to ${show(haveModes)}`,
            note: "",
        };
    }
    const liveClass = at(live, ["spec", "storageClassName"]) as string | undefined;
    const wantClass = at(desired, ["spec", "storageClassName"]) as string | undefined;
    if (wantClass !== undefined && wantClass !== liveClass) {
        return {
            problem: `PersistentVolumeClaim/${name}: storage class is ${show(liveClass)} on the cluster and ${show(wantClass)} in the stack; a claim's class never changes and a claim is never replaced: set ${volumeKey(name, "StorageClass")} to ${show(liveClass)}`,
            note: "",
        };
    }
    const phase = at(live, ["status", "phase"]);
    const have = String(at(live, ["spec", "resources", "requests", "storage"]));
    const want = String(at(desired, ["spec", "resources", "requests", "storage"]));
    if (typeof classes === "string" && (phase === "Bound" || have !== want)) {
        return {
            problem: `PersistentVolumeClaim/${name}: its storage class ${show(liveClass)} decides whether the claim can be adopted (binding mode) and grow (expansion), but the storage classes could not be read: ${classes}; the migration needs list on storageclasses.storage.k8s.io`,
            note: "",
        };
    }
    const cls = typeof classes === "string" ? undefined : classes.find((c) => c.name === liveClass);
    if (
        phase === "Bound" &&
        cls?.volumeBindingMode === "WaitForFirstConsumer" &&
        desired.metadata.annotations?.[SKIP_AWAIT_KEY] !== "true"
    ) {
        return {
            problem: `PersistentVolumeClaim/${name} is Bound on class ${liveClass} (WaitForFirstConsumer), where the provider's create wait expects Pending and would time out after five minutes: set abevalflow:adoptExistingVolumes to true in the stack`,
            note: "",
        };
    }
    const [haveBytes, wantBytes] = [quantityValue(have), quantityValue(want)];
    if (haveBytes === wantBytes) {
        return { note: `size ${have} kept` };
    }
    if (wantBytes < haveBytes) {
        return {
            problem: `PersistentVolumeClaim/${name}: the claim requests ${have} and the stack ${want}; a claim never shrinks: set ${volumeKey(name, "Size")} to at least ${have}`,
            note: "",
        };
    }
    if (phase !== "Bound" || cls?.allowVolumeExpansion !== true) {
        const why =
            phase !== "Bound"
                ? `it is ${phase === undefined ? "not Bound" : typeof phase === "string" ? phase : show(phase)} (only a Bound claim can grow)`
                : `its storage class ${show(liveClass)} does not allow volume expansion`;
        return {
            problem: `PersistentVolumeClaim/${name}: the stack asks ${want} but the claim has ${have} and cannot grow: ${why}; set ${volumeKey(name, "Size")} to ${have} (grow it later), or make the claim expandable first`,
            note: "",
        };
    }
    return {
        note: `grows from ${have} to ${want} on the first pulumi up (storage class ${liveClass} allows expansion)`,
    };
}

export function planMigration(input: PlanInput): Plan {
    const { namespace } = input;
    const plan: Plan = {
        namespace,
        namespaceExists: input.liveNamespace !== undefined,
        steps: [],
        problems: [],
        prerequisites: [],
        notes: [],
    };
    if (!input.liveNamespace) {
        return plan;
    }
    const desired = new Map(input.desired.map((o) => [keyOf(o), o]));
    const legacy = new Map(input.legacy.map((l) => [keyOf(l), l]));

    const adoptOrReplace = (live: KubeObject, want: KubeObject): void => {
        const key = keyOf(live);
        const transfer = needsHandOver(live);
        if (live.kind === "PersistentVolumeClaim") {
            const check = claimCheck(live, want, input.storageClasses);
            if (check.problem) {
                plan.problems.push(check.problem);
                return;
            }
            const edits = [...new Set((live.metadata.managedFields ?? []).filter(isHandEdit).map((e) => e.manager))];
            const kept =
                edits.length > 0
                    ? `; changes made by hand (${edits.join(", ")}) pass to ${KEPT_MANAGER}, which pulumi up never takes over`
                    : "";
            plan.steps.push({
                kind: live.kind,
                name: live.metadata.name,
                action: "adopt",
                transfer,
                reason: `data volume, never replaced; ${check.note}${kept}`,
            });
            return;
        }
        for (const path of IMMUTABLE[live.kind] ?? []) {
            const wanted = at(want, path);
            const had = at(live, path);
            if (wanted !== undefined && !isDeepStrictEqual(wanted, had)) {
                if (live.kind === "Secret") {
                    plan.problems.push(
                        `${key}: its type is ${show(had)} and the program's is ${show(wanted)}; a Secret is never deleted: move its data and delete it by hand`,
                    );
                    return;
                }
                plan.steps.push({
                    kind: live.kind,
                    name: live.metadata.name,
                    action: "replace",
                    reason: `${path.join(".")} cannot change: ${show(had)} on the cluster, ${show(wanted)} in the program; deleted now, created by pulumi up`,
                });
                return;
            }
        }
        // Whoever made it (kubectl, the console, another tool), the program's apply would replace its data.
        if (
            live.kind === "Secret" &&
            !appliedByProgram(live) &&
            (at(want, ["data"]) !== undefined || at(want, ["stringData"]) !== undefined)
        ) {
            plan.problems.push(
                `${key} exists and was not written by this program (field managers: ${managersOf(live).join(", ") || "none"}); the program writes its own data into it, which would overwrite what it holds: copy the data elsewhere and delete it by hand`,
            );
            return;
        }
        plan.steps.push({
            kind: live.kind,
            name: live.metadata.name,
            action: "adopt",
            transfer,
            reason: transfer
                ? `same name; the fields set by ${managersOf(live)
                      .filter((m) => OLD_APPLIERS.some((a) => a.manager === m))
                      .join(", ")} pass to ${FIELD_MANAGER}, so pulumi up removes what the program does not set`
                : `same name, no fields of an old applier; pulumi up applies the program's values over it`,
        });
    };

    const ns = input.liveNamespace;
    const nsWanted = desired.get(keyOf(ns));
    if (nsWanted && needsHandOver(ns)) {
        adoptOrReplace(ns, nsWanted);
    }

    const required = new Set(input.requiredSecrets ?? []);
    for (const live of input.live) {
        const key = keyOf(live);
        const want = desired.get(key);
        const old = legacy.get(key);
        if (input.keep.has(key) && want) {
            plan.problems.push(
                `--keep ${key}: the program manages this object, so it cannot be left as it is; --keep is for objects the program does not have`,
            );
            continue;
        }
        if (input.keep.has(key) && live.kind === "NetworkPolicy" && !isDenyPolicy(live)) {
            plan.problems.push(
                `--keep ${key}: NetworkPolicies add up, so an allow policy left beside the program's default-deny undoes it for the pods it selects; it cannot be kept`,
            );
            continue;
        }
        if (want) {
            if (appliedByHand(live) || !(live.metadata.managedFields ?? []).some((e) => e.manager === FIELD_MANAGER)) {
                adoptOrReplace(live, want);
            }
            continue;
        }
        if (input.keep.has(key)) {
            plan.steps.push({
                kind: live.kind,
                name: live.metadata.name,
                action: "keep",
                reason: "left as it is (--keep)",
            });
        } else if (live.kind === "Secret" && required.has(live.metadata.name)) {
            plan.steps.push({
                kind: live.kind,
                name: live.metadata.name,
                action: "keep",
                reason: "read by the program (the Vertex credentials the proxy mounts); never touched",
            });
        } else if (old) {
            plan.steps.push({ kind: live.kind, name: live.metadata.name, action: old.action, reason: old.note });
        } else if (live.kind === "Secret" || live.kind === "PersistentVolumeClaim") {
            if (appliedByHand(live)) {
                plan.steps.push({
                    kind: live.kind,
                    name: live.metadata.name,
                    action: "keep",
                    reason: "holds data the program does not use; never deleted: remove it by hand when it is no longer needed",
                });
            }
        } else if (appliedByHand(live)) {
            plan.problems.push(
                `${key} was applied by hand (${managersOf(live).join(", ") || LAST_APPLIED}) and is neither the program's nor a known object of the oc-applied layout; ` +
                    `move it out of namespace ${namespace}, delete it, or pass --keep ${key} to leave it as it is`,
            );
        }
    }

    const liveKeys = new Set(input.live.map(keyOf));
    for (const key of input.keep) {
        if (!liveKeys.has(key)) {
            plan.notes.push(
                `--keep ${key} matches no object in namespace ${namespace} (of the kinds the migration reads)`,
            );
        }
    }
    for (const name of input.requiredSecrets ?? []) {
        if (!input.live.some((o) => o.kind === "Secret" && o.metadata.name === name)) {
            // The migration deletes the old proxy; the new one would not start without it.
            plan.prerequisites.push(
                `Secret/${name} does not exist yet; the program reads it and the LiteLLM pods mount it: create it before --apply (docs/operations.md, section 4)`,
            );
            continue;
        }
        // A copy gone wrong (decoded once too often or too few times) leaves a key the proxy
        // only fails on later, at its first Vertex call.
        const text = input.requiredSecretKeys?.[name];
        const problem = text === undefined ? `it has no key ${VERTEX_CREDENTIALS_KEY}` : serviceAccountKeyProblem(text);
        if (problem !== undefined) {
            plan.prerequisites.push(
                `Secret/${name} must hold a Google service-account key in JSON form under ${VERTEX_CREDENTIALS_KEY}, which the proxy reads, but ${problem}: ` +
                    "copy it again before --apply (docs/operations.md, section 4)",
            );
        }
    }

    // Trial pods are never without a default-deny: the program's deny policies exist before
    // any old NetworkPolicy goes, and the old deny is the last policy removed.
    if (plan.steps.some((s) => s.action === "delete" && s.kind === "NetworkPolicy")) {
        const firsts = input.desired
            .filter((o) => isDenyPolicy(o) && !liveKeys.has(keyOf(o)))
            .map((o): Step => ({
                kind: o.kind,
                name: o.metadata.name,
                action: "create-first",
                manifest: o,
                reason: "the program's default-deny, applied before any old NetworkPolicy is removed",
            }));
        plan.steps.unshift(...firsts);
    }
    return plan;
}

const ORDER: Record<Action, number> = { "create-first": 0, adopt: 1, replace: 2, delete: 3, keep: 4 };

/**
 * The order applyPlan (cli.ts) carries the steps out in: new deny policies, adoptions (the Namespace
 * first), replacements, then deletions with allow policies before deny policies.
 */
export function executionOrder(plan: Plan, live: readonly KubeObject[]): Step[] {
    const deny = new Set(live.filter(isDenyPolicy).map(keyOf));
    const rank = (s: Step): number =>
        ORDER[s.action] * 10 +
        (s.kind === "Namespace" ? 0 : 1) +
        (s.action === "delete" ? (s.kind !== "NetworkPolicy" ? 3 : deny.has(keyOf(s)) ? 2 : 0) : 0);
    return [...plan.steps].sort((a, b) => rank(a) - rank(b));
}

/** Steps that change the cluster (the rest only report). */
export const changes = (plan: Plan): Step[] =>
    plan.steps.filter(
        (s) =>
            s.action === "create-first" ||
            s.action === "replace" ||
            s.action === "delete" ||
            (s.action === "adopt" && s.transfer === true),
    );

/**
 * The object's managedFields with every old applier's entry folded into one Apply entry of
 * the program's manager (the same fields, owned so that the program's next apply drops what
 * it no longer sets) and, on a claim, the hand edits' entries renamed to KEPT_MANAGER.
 */
export function handOver(o: KubeObject, now: string): ManagedFieldsEntry[] {
    const entries = o.metadata.managedFields ?? [];
    const old = entries.filter(isOldApplier);
    const ours = entries.filter(
        (e) => e.manager === FIELD_MANAGER && e.operation === "Apply" && e.subresource === undefined,
    );
    const keepEdits = o.kind === "PersistentVolumeClaim";
    const edits = keepEdits ? entries.filter(isHandEdit) : [];
    // One entry per manager, operation and apiVersion: several hand edits fold into one.
    const kept = [...new Set(edits.map((e) => e.apiVersion))].map((version): ManagedFieldsEntry => {
        const same = edits.filter((e) => e.apiVersion === version);
        return {
            ...same[0],
            manager: KEPT_MANAGER,
            fieldsV1: same.reduce<Record<string, unknown>>((acc, e) => mergeFields(acc, e.fieldsV1 ?? {}), {}),
        };
    });
    const rest = [...entries.filter((e) => !isOldApplier(e) && !ours.includes(e) && !edits.includes(e)), ...kept];
    if (old.length === 0) {
        return [...ours, ...rest];
    }
    const fields = [...ours, ...old].reduce<Record<string, unknown>>(
        (acc, e) => mergeFields(acc, e.fieldsV1 ?? {}),
        {},
    );
    return [
        ...rest,
        {
            manager: FIELD_MANAGER,
            operation: "Apply",
            apiVersion: ours[0]?.apiVersion ?? old[0].apiVersion ?? o.apiVersion,
            time: now,
            fieldsType: "FieldsV1",
            fieldsV1: fields,
        },
    ];
}

/** Union of two FieldsV1 sets (nested objects whose leaves are empty objects). */
export function mergeFields(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
        const prev = out[k];
        out[k] =
            prev !== null && typeof prev === "object" && v !== null && typeof v === "object"
                ? mergeFields(prev as Record<string, unknown>, v as Record<string, unknown>)
                : v;
    }
    return out;
}
