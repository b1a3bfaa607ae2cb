// The input of the reachability analysis for one run of the program: the Namespaces and
// NetworkPolicies the program produced, the workloads it deploys, and representative pods
// for everything else a trial pod could try to reach. Written as plain manifests, so an
// analyzer that knows nothing of this project reads them as it would read a cluster.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { declarations, Labels } from "../../components/config";
import { CLEANUP, LITELLM, PART_OF } from "../../components/names";
import { ProgramRun, RecordedResource } from "../engine/program-run";

export type Manifest = Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Labels };
};

/** The label the API server puts on every Namespace; policies select namespaces by it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface ContainerPort {
    containerPort: number;
    protocol: "TCP" | "UDP";
    name?: string;
}

/** A pod-backed endpoint of the matrix, found in the analyzer's output as namespace/name. */
export interface Workload {
    id: WorkloadId;
    namespace: string;
    name: string;
    description: string;
    /** true when the program itself deploys it (its manifest is the recorded one). */
    fromProgram: boolean;
}

export const WORKLOAD_DESCRIPTIONS = {
    trial: "trial pod",
    litellm: "LiteLLM proxy pod",
    pipeline: "pipeline (TaskRun) pod",
    "model-server": "self-hosted model server pod",
    dns: "cluster DNS pod",
    "same-namespace": "other pod in the pipeline namespace",
    "other-namespace": "pod in another namespace",
    cleanup: "cleanup job pod",
} as const;
export type WorkloadId = keyof typeof WORKLOAD_DESCRIPTIONS;
export const WORKLOAD_IDS = Object.keys(WORKLOAD_DESCRIPTIONS) as WorkloadId[];

/** Namespace of the representative pod that belongs to nobody in particular. */
export const OTHER_NAMESPACE = "other-tenant";

export interface ManifestSet {
    manifests: Manifest[];
    workloads: Record<WorkloadId, Workload>;
    /** Ports the matrix refers to by name, resolved for this run. */
    ports: { litellmPort: number; selfHostedPort: number };
    /** For each manifest the program produced, the object as the program recorded it. */
    recorded: Map<Manifest, Manifest>;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]);

function recordedManifest(r: RecordedResource): Manifest | undefined {
    const m = r.inputs as Partial<Manifest>;
    return typeof m.apiVersion === "string" && typeof m.kind === "string" && m.metadata?.name
        ? (m as Manifest)
        : undefined;
}

function pod(namespace: string, name: string, labels: Labels, ports: ContainerPort[]): Manifest {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace, labels },
        spec: { containers: [{ name: "main", image: "registry.invalid/representative:1", ports }] },
    };
}

function namespace(name: string, labels: Labels = {}): Manifest {
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name } },
    };
}

function declaredDefault(key: string): unknown {
    const decl = declarations()[key];
    if (!decl || decl.default === undefined) {
        throw new Error(`Pulumi.yaml declares no default for ${key}`);
    }
    return decl.default;
}

/**
 * Builds the analyzer input for one run. Only objects that shape connectivity are kept:
 * Namespaces (with the name label the API server adds), NetworkPolicies and workloads.
 */
export function buildManifests(run: ProgramRun): ManifestSet {
    const cfg = run.config;
    const recorded = run.resources.map(recordedManifest).filter((m): m is Manifest => m !== undefined);
    const manifests: Manifest[] = [];
    const origins = new Map<Manifest, Manifest>();
    const namespaces = new Map<string, Manifest>();
    const addNamespace = (ns: Manifest) => {
        if (!namespaces.has(ns.metadata.name)) {
            namespaces.set(ns.metadata.name, ns);
        }
    };

    for (const m of recorded) {
        if (m.kind === "Namespace") {
            // The label the API server would add; the API-server path checks that it does.
            const withNameLabel = namespace(m.metadata.name, m.metadata.labels ?? {});
            origins.set(withNameLabel, m);
            addNamespace(withNameLabel);
        } else if (m.kind === "NetworkPolicy" || WORKLOAD_KINDS.has(m.kind)) {
            origins.set(m, m);
            manifests.push(m);
        }
    }
    // With manageNamespace=false the program only patches labels on an existing Namespace.
    addNamespace(namespace(cfg.namespace));

    const programDeployment = recorded.find(
        (m) => m.kind === "Deployment" && m.metadata.name === LITELLM.name && m.metadata.namespace === cfg.namespace,
    );
    const programCleanup = recorded.find(
        (m) => m.kind === "CronJob" && m.metadata.name === CLEANUP.name && m.metadata.namespace === cfg.namespace,
    );
    const litellmPort = cfg.litellm?.port ?? (declaredDefault("litellmPort") as number);
    const ports = { litellmPort, selfHostedPort: cfg.selfHosted.port };
    const tcp = (port: number): ContainerPort[] => [{ containerPort: port, protocol: "TCP" }];

    const representative: { id: WorkloadId; ns: string; name: string; labels: Labels; ports: ContainerPort[] }[] = [
        { id: "trial", ns: cfg.namespace, name: "trial", labels: cfg.trial.podLabels, ports: tcp(8080) },
        {
            id: "pipeline",
            ns: cfg.namespace,
            name: "pipeline-task",
            // Tekton puts this label on every TaskRun pod; the proxy admits pods that have it.
            labels: { "tekton.dev/pipelineRun": "run-1" },
            ports: tcp(8080),
        },
        {
            id: "model-server",
            ns: cfg.selfHosted.namespace,
            name: "model-server",
            labels: cfg.selfHosted.podLabels,
            ports: tcp(cfg.selfHosted.port),
        },
        {
            id: "dns",
            ns: cfg.dns.namespace,
            name: "dns-default",
            labels: cfg.dns.podLabels,
            ports: cfg.dns.ports.flatMap((p): ContainerPort[] => [
                { containerPort: p, protocol: "UDP" },
                { containerPort: p, protocol: "TCP" },
            ]),
        },
        { id: "same-namespace", ns: cfg.namespace, name: "unrelated", labels: { app: "unrelated" }, ports: tcp(8080) },
        { id: "other-namespace", ns: OTHER_NAMESPACE, name: "tenant", labels: { app: "tenant" }, ports: tcp(8080) },
    ];
    if (!programDeployment) {
        // No proxy in this mode: a pod that carries the proxy's labels stands in for one
        // started by hand, which the trial pods must not reach either.
        representative.push({
            id: "litellm",
            ns: cfg.namespace,
            name: LITELLM.name,
            labels: LITELLM.podLabels,
            ports: tcp(litellmPort),
        });
    }

    if (!programCleanup) {
        representative.push({
            id: "cleanup",
            ns: cfg.namespace,
            name: CLEANUP.name,
            labels: { ...PART_OF, ...CLEANUP.podLabels },
            ports: tcp(8080),
        });
    }

    const workloads = {} as Record<WorkloadId, Workload>;
    for (const r of representative) {
        addNamespace(namespace(r.ns));
        manifests.push(pod(r.ns, r.name, r.labels, r.ports));
        workloads[r.id] = {
            id: r.id,
            namespace: r.ns,
            name: r.name,
            description: WORKLOAD_DESCRIPTIONS[r.id],
            fromProgram: false,
        };
    }
    if (programDeployment) {
        workloads.litellm = {
            id: "litellm",
            namespace: cfg.namespace,
            name: LITELLM.name,
            description: WORKLOAD_DESCRIPTIONS.litellm,
            fromProgram: true,
        };
    }
    if (programCleanup) {
        workloads.cleanup = {
            id: "cleanup",
            namespace: cfg.namespace,
            name: CLEANUP.name,
            description: WORKLOAD_DESCRIPTIONS.cleanup,
            fromProgram: true,
        };
    }
    return { manifests: [...namespaces.values(), ...manifests], workloads, ports, recorded: origins };
}

/** One file per object, so the analyzer's warnings name the object they are about. */
export function writeManifests(set: ManifestSet, dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    set.manifests.forEach((m, i) => {
        const file = `${String(i).padStart(2, "0")}-${m.kind.toLowerCase()}-${m.metadata.namespace ?? "cluster"}-${m.metadata.name}.yaml`;
        fs.writeFileSync(path.join(dir, file), YAML.stringify(m));
    });
}
