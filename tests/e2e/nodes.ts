// Helpers for suites that need running pods: the local cluster's state (images, nodes), probe
// pods pinned to a node, and commands run in them through the API server (kubectl exec).
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ok, REPO_ROOT, run, Result } from "./support";

/** KEY=value lines of a file (the cluster's state.env, the nodes' network.env). */
function keyValues(file: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
        if (m) {
            out[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
        }
    }
    return out;
}

export const NETWORK = keyValues(path.join(REPO_ROOT, "scripts", "local-control-plane", "nodes", "network.env"));

export interface ClusterState {
    nodesDir: string;
    nodeCount: number;
    probeImage: string;
    pauseImage: string;
}

/** The API server's audit log: pod writes at Metadata level (scripts/local-control-plane/start.sh). */
export function auditLogFile(): string {
    const file = process.env.ABEVALFLOW_CLUSTER_STATE;
    const log = file && fs.existsSync(file) ? keyValues(file).AUDIT_LOG : undefined;
    if (!log) {
        throw new Error("ABEVALFLOW_CLUSTER_STATE names no AUDIT_LOG: run the e2e suites through `npm run test:e2e`");
    }
    return log;
}

/** The running cluster's nodes and images; throws when it was started without nodes. */
export function clusterState(): ClusterState {
    const file = process.env.ABEVALFLOW_CLUSTER_STATE;
    if (!file || !fs.existsSync(file)) {
        throw new Error("ABEVALFLOW_CLUSTER_STATE is not set: run the e2e suites through `npm run test:e2e`");
    }
    const s = keyValues(file);
    if (!s.NODES_DIR) {
        throw new Error(
            `the local cluster (${file}) has no nodes: start it with scripts/local-control-plane/start.sh --nodes`,
        );
    }
    return {
        nodesDir: s.NODES_DIR,
        nodeCount: Number(s.NODE_COUNT),
        probeImage: s.PROBE_IMAGE,
        pauseImage: s.PAUSE_IMAGE,
    };
}

export interface ProbePod {
    name: string;
    namespace: string;
    /** The node it must run on; any when unset. */
    node?: string;
    labels?: Record<string, string>;
    /** The container's command; default: sleep until deleted. */
    command?: string[];
    ports?: number[];
    serviceAccountName?: string;
    /** A controller owner: keeps a controller whose selector the labels match (a DaemonSet) from adopting the pod, and deleting it. */
    owner?: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean };
    /** Never Ready, so that it never joins the endpoints of a Service that selects its labels. */
    neverReady?: boolean;
}

/** A restricted-profile busybox pod. */
export function probePodManifest(image: string, p: ProbePod): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: p.name,
            namespace: p.namespace,
            labels: { "abevalflow.test/probe": "true", ...(p.labels ?? {}) },
            ...(p.owner ? { ownerReferences: [p.owner] } : {}),
        },
        spec: {
            // Through the scheduler (not nodeName), as any workload is placed.
            ...(p.node ? { nodeSelector: { "kubernetes.io/hostname": p.node } } : {}),
            automountServiceAccountToken: false,
            ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
            terminationGracePeriodSeconds: 0,
            securityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
                seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
                {
                    name: "probe",
                    image,
                    imagePullPolicy: "IfNotPresent",
                    command: p.command ?? ["sleep", "86400"],
                    ports: (p.ports ?? []).map((port) => ({ containerPort: port, protocol: "TCP" })),
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
                    ...(p.neverReady ? { readinessProbe: { exec: { command: ["false"] }, periodSeconds: 3600 } } : {}),
                },
            ],
        },
    };
}

/** Probe pods, created and waited for until Ready (Running, for one that is never Ready). */
export function startProbePods(image: string, pods: ProbePod[], timeoutSeconds = 120): void {
    ok("kubectl", ["apply", "-f", "-"], {
        input: pods.map((p) => JSON.stringify(probePodManifest(image, p))).join("\n"),
    });
    for (const p of pods) {
        ok("kubectl", [
            "-n",
            p.namespace,
            "wait",
            `--for=${p.neverReady ? "jsonpath={.status.phase}=Running" : "condition=Ready"}`,
            `pod/${p.name}`,
            `--timeout=${timeoutSeconds}s`,
        ]);
    }
}

export function podIp(namespace: string, name: string): string {
    return ok("kubectl", ["-n", namespace, "get", "pod", name, "-o", "jsonpath={.status.podIP}"]).stdout.trim();
}

/** A command in a pod's container, through the API server and the node's kubelet. */
export function execIn(namespace: string, pod: string, command: string[], timeoutMs = 30_000): Result {
    return run("kubectl", ["-n", namespace, "exec", pod, "--", ...command], { timeoutMs });
}

/** A TCP connection from a pod: true when it connected and read the listener's answer. */
export function tcpConnects(
    namespace: string,
    pod: string,
    host: string,
    port: number,
    seconds = 3,
): { connected: boolean; output: string } {
    const r = execIn(namespace, pod, ["sh", "-c", `echo | nc -w ${seconds} ${host} ${port}`]);
    return { connected: r.status === 0 && r.stdout.trim() !== "", output: r.output.trim() };
}

/** The first result that `done` accepts, trying up to `tries` times a second apart: for what a
 * controller applies shortly after its object exists (kube-proxy's rules, the policy controller's). */
export function eventually<T>(attempt: () => T, done: (r: T) => boolean, tries = 20): T {
    let r = attempt();
    for (let i = 1; i < tries && !done(r); i++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
        r = attempt();
    }
    return r;
}

/** The pods of a selector that are Ready and not being deleted (a rollout's old pods linger). */
/** Waits until a Deployment's rollout is complete (every replica updated and available). */
export function rolledOut(namespace: string, deployment: string): void {
    ok("kubectl", ["rollout", "status", `deployment/${deployment}`, "-n", namespace, "--timeout=300s"]);
}

export function readyPods(namespace: string, labels: Record<string, string>): string[] {
    const list = JSON.parse(
        ok("kubectl", [
            "-n",
            namespace,
            "get",
            "pods",
            "-l",
            Object.entries(labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(","),
            "-o",
            "json",
        ]).stdout,
    ) as {
        items: {
            metadata: { name: string; deletionTimestamp?: string };
            status?: { conditions?: { type: string; status: string }[] };
        }[];
    };
    return list.items
        .filter(
            (p) =>
                !p.metadata.deletionTimestamp &&
                (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
        )
        .map((p) => p.metadata.name);
}

/**
 * Runs `fn` with a local port forwarded to a pod's port through the API server (the only way
 * from the host shell into the sealed network), and stops the forwarder after.
 */
export async function withPortForward<T>(
    namespace: string,
    pod: string,
    port: number,
    fn: (localPort: number) => Promise<T>,
): Promise<T> {
    const child = spawn("kubectl", ["-n", namespace, "port-forward", `pod/${pod}`, `:${port}`], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    try {
        const localPort = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(
                () =>
                    reject(
                        new Error(`kubectl port-forward to ${namespace}/${pod}:${port} did not start in 20 s: ${out}`),
                    ),
                20_000,
            );
            const read = (chunk: Buffer) => {
                out += chunk.toString();
                const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            };
            child.stdout.on("data", read);
            child.stderr.on("data", read);
            child.on("exit", (code) => reject(new Error(`kubectl port-forward exited (${code}): ${out}`)));
        });
        return await fn(localPort);
    } finally {
        child.kill();
    }
}
