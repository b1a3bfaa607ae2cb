// The Kubernetes shapes the rules read, written loosely on purpose: the same functions see
// Pulumi inputs, Pulumi outputs and hand-written YAML, so every field may be missing or of the
// wrong type, and a rule must report what it finds rather than crash on it.

export type Labels = Record<string, string>;

export interface ObjectMeta {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Labels;
    annotations?: Record<string, string>;
}

export interface K8sObject {
    apiVersion?: string;
    kind?: string;
    metadata?: ObjectMeta;
    [field: string]: unknown;
}

export interface SecurityContext {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
}

export interface HttpGetAction {
    path?: string;
    port?: number | string;
}

export interface Probe {
    httpGet?: HttpGetAction;
    [handler: string]: unknown;
}

export interface Container {
    name?: string;
    image?: string;
    command?: string[];
    args?: string[];
    env?: { name?: string; value?: string }[];
    resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
    securityContext?: SecurityContext;
    livenessProbe?: Probe;
    readinessProbe?: Probe;
    startupProbe?: Probe;
}

export interface PodSpec {
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    serviceAccountName?: string;
    /** Deprecated alias of serviceAccountName, still honoured by the API server. */
    serviceAccount?: string;
    automountServiceAccountToken?: boolean;
    securityContext?: SecurityContext;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    volumes?: { name?: string; hostPath?: unknown }[];
}

export interface LabelSelectorRequirement {
    key?: string;
    operator?: string;
    values?: string[];
}

export interface LabelSelector {
    matchLabels?: Labels;
    matchExpressions?: LabelSelectorRequirement[];
}

/** `Deployment.apps`, `Role.rbac.authorization.k8s.io`, `Pod`: kind plus API group, version-free. */
export type KindKey = string;

export function kindKey(apiVersion: unknown, kind: unknown): KindKey {
    const version = typeof apiVersion === "string" ? apiVersion : "";
    const slash = version.indexOf("/");
    const group = slash < 0 ? "" : version.slice(0, slash);
    return group === "" ? String(kind) : `${String(kind)}.${group}`;
}

export function kindKeyOf(obj: K8sObject): KindKey {
    return kindKey(obj.apiVersion, obj.kind);
}

/**
 * `kubernetes:apps/v1:Deployment` → `{apiVersion: "apps/v1", kind: "Deployment"}`. Returns
 * undefined for anything that is not a Kubernetes resource token (other providers, components).
 */
export function typeMetaOfToken(token: string): { apiVersion: string; kind: string } | undefined {
    const match = /^kubernetes:([^:/]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(token);
    if (!match) {
        return undefined;
    }
    const [, group, version, kind] = match;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** Arrays from untrusted input: anything that is not an array counts as absent. */
export function list<T>(value: T[] | undefined | null): T[] {
    return Array.isArray(value) ? value : [];
}

/** The strings of an untrusted list, dropping anything else. */
export function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * A `[]string` field read strictly, for fields where dropping what is not a string would turn a
 * grant into a pass (RBAC `verbs`, `resources`, ...): absent (undefined or null) is [], a list of
 * strings is itself, and anything else (a lone string, a list holding a number) is undefined,
 * for the caller to report. `strings()` stays right where dropping junk only makes a rule stricter.
 */
export function strictStrings(value: unknown): string[] | undefined {
    if (value === undefined || value === null) {
        return [];
    }
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

/** What a malformed field holds, for messages: `the string "secrets"`, `a list holding a number`. */
export function describeValue(value: unknown): string {
    if (Array.isArray(value)) {
        const odd: unknown = value.find((v) => typeof v !== "string");
        return `a list holding ${odd === null ? "null" : isRecord(odd) ? "an object" : Array.isArray(odd) ? "a list" : `a ${typeof odd}`} (${JSON.stringify(value)})`;
    }
    if (typeof value === "string") {
        return `the string ${JSON.stringify(value)}`;
    }
    return value === null
        ? "null"
        : isRecord(value)
          ? `an object (${JSON.stringify(value)})`
          : `a ${typeof value} (${JSON.stringify(value)})`;
}

/** The objects of an untrusted list, dropping anything else. */
export function records(value: unknown): Record<string, unknown>[] {
    return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** An object's `spec`, or an empty one when it has none or it is not an object. */
export function specOf(obj: K8sObject): Record<string, unknown> {
    return isRecord(obj.spec) ? obj.spec : {};
}

/** Items grouped by a key, each group in input order. */
export function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const key = keyOf(item);
        const group = groups.get(key);
        if (group === undefined) {
            groups.set(key, [item]);
        } else {
            group.push(item);
        }
    }
    return groups;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function labelsOf(value: unknown): Labels {
    if (!isRecord(value)) {
        return {};
    }
    const labels: Labels = {};
    for (const [key, v] of Object.entries(value)) {
        if (typeof v === "string") {
            labels[key] = v;
        }
    }
    return labels;
}

export function nameOf(obj: K8sObject): string {
    const meta = obj.metadata;
    if (typeof meta?.name === "string" && meta.name !== "") {
        return meta.name;
    }
    return typeof meta?.generateName === "string" ? `${meta.generateName}*` : "(unnamed)";
}

/** The namespace as written; null when the object does not say (cluster-scoped or left to the client). */
export function namespaceOf(obj: K8sObject): string | null {
    const ns = obj.metadata?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : null;
}

export function describe(obj: K8sObject): string {
    return `${String(obj.kind)}/${namespaceOf(obj) ?? "-"}/${nameOf(obj)}`;
}

/** A Deployment, and OpenShift's DeploymentConfig, which keeps its pod template where a Deployment does. */
export const DEPLOYMENT_KINDS: readonly KindKey[] = ["Deployment.apps", "DeploymentConfig.apps.openshift.io"];

export const WORKLOAD_KINDS: readonly KindKey[] = [
    "Pod",
    ...DEPLOYMENT_KINDS,
    "StatefulSet.apps",
    "DaemonSet.apps",
    "ReplicaSet.apps",
    "Job.batch",
    "CronJob.batch",
];

export interface PodTemplate {
    labels: Labels;
    /** The pod's annotations (a Pod's own, a workload's template's): Pod Security reads AppArmor's there. */
    annotations: Record<string, string>;
    spec: PodSpec;
}

/** The pod a workload runs, wherever the kind keeps it; undefined for non-workloads. */
export function podTemplateOf(obj: K8sObject): PodTemplate | undefined {
    const key = kindKeyOf(obj);
    if (!WORKLOAD_KINDS.includes(key)) {
        return undefined;
    }
    let holder: unknown = obj;
    if (key !== "Pod") {
        const spec = specOf(obj);
        const jobSpec = key === "CronJob.batch" && isRecord(spec.jobTemplate) ? spec.jobTemplate.spec : spec;
        holder = isRecord(jobSpec) ? jobSpec.template : undefined;
    }
    if (!isRecord(holder)) {
        return { labels: {}, annotations: {}, spec: {} };
    }
    const metadata = isRecord(holder.metadata) ? holder.metadata : {};
    return {
        labels: labelsOf(metadata.labels),
        annotations: labelsOf(metadata.annotations),
        spec: isRecord(holder.spec) ? holder.spec : {},
    };
}

export type ContainerField = "containers" | "initContainers" | "ephemeralContainers";

export interface PlacedContainer {
    container: Container;
    field: ContainerField;
    /** `"litellm"` for regular containers, `"initContainers/setup"` otherwise: what a reader greps for. */
    label: string;
}

export function containersOf(
    spec: PodSpec,
    fields: readonly ContainerField[] = ["containers", "initContainers", "ephemeralContainers"],
): PlacedContainer[] {
    const placed: PlacedContainer[] = [];
    for (const field of fields) {
        list(spec[field]).forEach((container, index) => {
            const safe = isRecord(container) ? container : {};
            const name = typeof safe.name === "string" ? safe.name : `#${index}`;
            placed.push({ container: safe, field, label: field === "containers" ? `"${name}"` : `${field}/"${name}"` });
        });
    }
    return placed;
}
