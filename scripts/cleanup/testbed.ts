// What the cleanup e2e test and benchmark share: an admin client for the local control plane
// (from its kubeconfig), the cleanup ServiceAccount with the component's own Role rules,
// object factories whose status goes through the status subresource, and a runner that
// starts cleanup.js as a separate process, as the CronJob would. Here rather than in cleanup/
// (what the CronJob runs) or tests/ (bench/cleanup.ts is no test).
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { runPool } from "../../cleanup/cleanup";
import { CLEANUP_NAME, cleanupRoleRules } from "../../components/cleanup";

export const SCRIPT = path.resolve(__dirname, "..", "..", "cleanup", "cleanup.js");
const HOUR = 3_600_000;

export interface ApiResult {
    status: number;
    body: Record<string, unknown>;
}

export class AdminApi {
    readonly agent: https.Agent;

    constructor(
        readonly url: string,
        readonly ca: string,
        private readonly token: string,
        concurrency = 32,
    ) {
        this.agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });
    }

    private caPath?: string;

    /** The CA as a file, for the program's KUBE_CA_FILE; removed when this process exits. */
    caFile(): string {
        if (!this.caPath) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-ca-"));
            this.caPath = path.join(dir, "ca.crt");
            fs.writeFileSync(this.caPath, this.ca);
            process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        }
        return this.caPath;
    }

    static fromKubeconfig(file: string): AdminApi {
        type Kubeconfig = {
            clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
            users: { user: { token: string } }[];
        };
        const kc = YAML.parse(fs.readFileSync(file, "utf8")) as Kubeconfig;
        const cluster = kc.clusters[0].cluster;
        return new AdminApi(
            cluster.server,
            Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8"),
            kc.users[0].user.token,
        );
    }

    request(method: string, urlPath: string, body?: unknown, contentType = "application/json"): Promise<ApiResult> {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                new URL(urlPath, this.url),
                {
                    method,
                    agent: this.agent,
                    headers: {
                        Authorization: `Bearer ${this.token}`,
                        Accept: "application/json",
                        ...(payload === undefined
                            ? {}
                            : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
                    },
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: Record<string, unknown>;
                        try {
                            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
                        } catch {
                            parsed = { text };
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                },
            );
            req.on("error", reject);
            req.end(payload);
        });
    }

    /** Like request, but throws on anything but a 2xx (or a status listed as fine). */
    async must(
        method: string,
        urlPath: string,
        body?: unknown,
        contentType?: string,
        fine: number[] = [],
    ): Promise<ApiResult> {
        const r = await this.request(method, urlPath, body, contentType);
        if ((r.status < 200 || r.status >= 300) && !fine.includes(r.status)) {
            throw new Error(`${method} ${urlPath}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
        }
        return r;
    }

    /** Names present in a collection (one unpaginated list: test data is bounded). */
    async names(collection: string): Promise<string[]> {
        const r = await this.must("GET", collection);
        return ((r.body.items ?? []) as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
    }

    /** Sum of apiserver_request_total, the server's own count of the requests it answered. */
    async requestTotal(): Promise<number> {
        const text = await new Promise<string>((resolve, reject) => {
            https
                .get(
                    new URL("/metrics", this.url),
                    { agent: this.agent, headers: { Authorization: `Bearer ${this.token}` } },
                    (res) => {
                        let data = "";
                        res.setEncoding("utf8");
                        res.on("data", (c: string) => (data += c));
                        res.on("end", () => resolve(data));
                    },
                )
                .on("error", reject);
        });
        return text
            .split("\n")
            .filter((l) => l.startsWith("apiserver_request_total{"))
            .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    }
}

export const paths = (ns: string) => ({
    pods: `/api/v1/namespaces/${ns}/pods`,
    pipelineRuns: `/apis/tekton.dev/v1/namespaces/${ns}/pipelineruns`,
    taskRuns: `/apis/tekton.dev/v1/namespaces/${ns}/taskruns`,
    imageStreams: `/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`,
});

/** Local control planes without Tekton's TaskRun API get a minimal stand-in, as for PipelineRuns. */
export async function ensureTaskRunApi(api: AdminApi): Promise<void> {
    const crd = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "taskruns.tekton.dev" },
        spec: {
            group: "tekton.dev",
            scope: "Namespaced",
            names: { kind: "TaskRun", listKind: "TaskRunList", plural: "taskruns", singular: "taskrun" },
            versions: [
                {
                    name: "v1",
                    served: true,
                    storage: true,
                    subresources: { status: {} },
                    schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
                },
            ],
        },
    };
    await api.must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, undefined, [409]);
    for (let i = 0; i < 100; i++) {
        const r = await api.request("GET", "/apis/tekton.dev/v1/taskruns?limit=1");
        if (r.status === 200) {
            return;
        }
        await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error("the TaskRun API did not become available");
}

/**
 * A namespace with the cleanup ServiceAccount, the component's Role rules and binding;
 * returns a token of that ServiceAccount, so runs prove the Role is sufficient.
 */
export async function namespaceWithCleanupAccount(api: AdminApi, ns: string, deadLetter: boolean): Promise<string> {
    await api.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    // Pod admission needs `default`; the ServiceAccount controller creates it too, so whichever
    // comes first wins (409 from the second is fine).
    const created = await api.request("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default" },
    });
    if (created.status >= 300 && created.status !== 409) {
        throw new Error(
            `creating ServiceAccount default in ${ns}: HTTP ${created.status} ${JSON.stringify(created.body)}`,
        );
    }
    await api.must("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: CLEANUP_NAME },
    });
    await api.must("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: CLEANUP_NAME },
        rules: cleanupRoleRules(deadLetter),
    });
    await api.must("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: CLEANUP_NAME },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CLEANUP_NAME },
        subjects: [{ kind: "ServiceAccount", name: CLEANUP_NAME, namespace: ns }],
    });
    return serviceAccountToken(api, ns, CLEANUP_NAME);
}

export async function serviceAccountToken(api: AdminApi, ns: string, account: string): Promise<string> {
    const r = await api.must("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${account}/token`, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
    });
    return (r.body.status as { token: string }).token;
}

const iso = (hoursAgo: number, now: number): string =>
    new Date(now - hoursAgo * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface Seed {
    collection: string;
    object: Record<string, unknown>;
    status?: Record<string, unknown>;
}

export function trialPod(
    ns: string,
    name: string,
    o: { phase: string; finishedHoursAgo?: number; startedHoursAgo?: number; labels?: Record<string, string> },
    now: number,
): Seed {
    const terminated =
        o.finishedHoursAgo === undefined
            ? undefined
            : {
                  exitCode: o.phase === "Failed" ? 1 : 0,
                  reason: o.phase === "Failed" ? "Error" : "Completed",
                  startedAt: iso(o.finishedHoursAgo + 1, now),
                  finishedAt: iso(o.finishedHoursAgo, now),
              };
    return {
        collection: paths(ns).pods,
        object: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, labels: o.labels ?? { "abevalflow/role": "trial" } },
            // Never scheduled: on a cluster with nodes a kubelet would run the pod and rewrite the
            // status the test sets.
            spec: {
                automountServiceAccountToken: false,
                nodeSelector: { "abevalflow.test/seeded": "never-scheduled" },
                containers: [{ name: "trial", image: "registry.invalid/trial:1" }],
            },
        },
        status: {
            phase: o.phase,
            ...(o.startedHoursAgo === undefined ? {} : { startTime: iso(o.startedHoursAgo, now) }),
            ...(terminated
                ? {
                      containerStatuses: [
                          {
                              name: "trial",
                              image: "registry.invalid/trial:1",
                              imageID: "",
                              ready: false,
                              restartCount: 0,
                              state: { terminated },
                          },
                      ],
                  }
                : {}),
        },
    };
}

/** completedHoursAgo undefined: still running. */
export function pipelineRun(
    ns: string,
    name: string,
    completedHoursAgo: number | undefined,
    failed: boolean,
    now: number,
): Seed {
    const running = completedHoursAgo === undefined;
    return {
        collection: paths(ns).pipelineRuns,
        object: {
            apiVersion: "tekton.dev/v1",
            kind: "PipelineRun",
            metadata: { name, labels: { "tekton.dev/pipeline": "ab-eval" } },
            spec: { pipelineRef: { name: "ab-eval" }, params: [{ name: "trial", value: name }] },
        },
        status: {
            startTime: iso((completedHoursAgo ?? 0) + 1, now),
            ...(running ? {} : { completionTime: iso(completedHoursAgo, now) }),
            conditions: [
                {
                    type: "Succeeded",
                    status: running ? "Unknown" : failed ? "False" : "True",
                    reason: running ? "Running" : failed ? "Failed" : "Succeeded",
                    message: failed ? "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 0" : "",
                    lastTransitionTime: iso(completedHoursAgo ?? 0, now),
                },
            ],
        },
    };
}

export function taskRun(ns: string, name: string, owner: { name: string; uid: string }, now: number): Seed {
    return {
        collection: paths(ns).taskRuns,
        object: {
            apiVersion: "tekton.dev/v1",
            kind: "TaskRun",
            metadata: {
                name,
                labels: { "tekton.dev/pipelineRun": owner.name },
                ownerReferences: [
                    {
                        apiVersion: "tekton.dev/v1",
                        kind: "PipelineRun",
                        name: owner.name,
                        uid: owner.uid,
                        controller: true,
                    },
                ],
            },
            spec: { taskRef: { name: "run-trial" } },
        },
        status: {
            podName: `${name}-pod`,
            conditions: [
                { type: "Succeeded", status: "False", reason: "Failed", message: `step-run exited 1 (${iso(0, now)})` },
            ],
        },
    };
}

/** tagItemHoursAgo: per tag, the ages of its history items, newest first. */
export function imageStream(
    ns: string,
    name: string,
    tagItemHoursAgo: number[][],
    now: number,
    labels: Record<string, string> = {},
): Seed {
    return {
        collection: paths(ns).imageStreams,
        object: { apiVersion: "image.openshift.io/v1", kind: "ImageStream", metadata: { name, labels }, spec: {} },
        status: {
            dockerImageRepository: `image-registry.invalid/${ns}/${name}`,
            tags: tagItemHoursAgo.map((items, i) => ({
                tag: `v${i}`,
                items: items.map((h, j) => ({
                    created: iso(h, now),
                    dockerImageReference: `x@sha256:${String(j).padStart(64, "0")}`,
                    image: `sha256:${j}`,
                    generation: 1,
                })),
            })),
        },
    };
}

/** Creates the object, then sets its status as the admin through the status subresource; returns its uid. */
export async function create(api: AdminApi, seed: Seed): Promise<string> {
    const created = await api.must("POST", seed.collection, seed.object);
    const meta = created.body.metadata as { name: string; uid: string };
    if (seed.status) {
        await api.must(
            "PATCH",
            `${seed.collection}/${meta.name}/status`,
            { status: seed.status },
            "application/merge-patch+json",
        );
    }
    return meta.uid;
}

export async function createAll(api: AdminApi, seeds: Seed[], concurrency = 32): Promise<Map<string, string>> {
    const uids = new Map<string, string>();
    await runPool(seeds, concurrency, async (seed) => {
        uids.set((seed.object.metadata as { name: string }).name, await create(api, seed));
    });
    return uids;
}

export interface CleanupRun {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
    /** Parsed `summary <kind>: k=v ...` lines. */
    summaries: Record<string, Record<string, number>>;
    /** API requests the program reports having made. */
    requests: number;
}

/** Runs cleanup.js as its own process with exactly the given environment (plus PATH). */
export function runCleanup(env: Record<string, string>): Promise<CleanupRun> {
    return spawnCleanup(process.execPath, [SCRIPT], env);
}

export interface Confinement {
    /** The dead-letter directory becomes a tmpfs of this many bytes, private to the run. */
    tmpfsBytes?: number;
    /** The run's memory cgroup limit (cgroup v1), as a container's limits.memory. */
    memoryLimitBytes?: number;
}

export interface ConfinedRun extends CleanupRun {
    /** Every path under the dead-letter directory when the program had exited (its tmpfs is private). */
    files: string[];
    /** The program's peak resident memory (getrusage maxrss), which the cgroup also charged. */
    maxRssBytes?: number;
}

const MEMORY_CGROUPS = "/sys/fs/cgroup/memory";

/**
 * Whether this machine can confine a run: root (or user namespaces) for a private tmpfs,
 * and a cgroup v1 memory controller for a memory limit. Says what is missing, or undefined.
 */
export function confinementMissing(c: Confinement): string | undefined {
    if (c.tmpfsBytes !== undefined && spawnSync("unshare", ["-rm", "true"]).status !== 0) {
        return "unshare -rm (a private mount namespace) is refused here";
    }
    if (c.memoryLimitBytes !== undefined && !fs.existsSync(path.join(MEMORY_CGROUPS, "memory.limit_in_bytes"))) {
        return `no cgroup v1 memory controller at ${MEMORY_CGROUPS}`;
    }
    return undefined;
}

/**
 * Runs cleanup.js as a container would confine it: its dead-letter directory (DEAD_LETTER_DIR)
 * a small private tmpfs, and its memory under a cgroup limit the kernel enforces.
 */
export async function runCleanupConfined(env: Record<string, string>, c: Confinement): Promise<ConfinedRun> {
    const deadLetter = env.DEAD_LETTER_DIR;
    if (!deadLetter) {
        throw new Error("runCleanupConfined needs DEAD_LETTER_DIR in the environment");
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-confined-"));
    const listing = path.join(work, "files");
    const rssReport = path.join(work, "maxrss");
    // Loaded before cleanup.js, so the program itself stays as the CronJob runs it.
    const preload = path.join(work, "report-maxrss.js");
    fs.writeFileSync(
        preload,
        `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(rssReport)}, String(process.resourceUsage().maxRSS * 1024)));\n`,
    );
    let cgroup: string | undefined;
    try {
        if (c.memoryLimitBytes !== undefined) {
            cgroup = path.join(MEMORY_CGROUPS, path.basename(work));
            fs.mkdirSync(cgroup);
            fs.writeFileSync(path.join(cgroup, "memory.limit_in_bytes"), String(c.memoryLimitBytes));
        }
        // The outer shell joins the cgroup first, so every byte of the run is charged to it;
        // the inner one mounts the tmpfs in its own mount namespace, which ends with it.
        const inner = [
            c.tmpfsBytes === undefined
                ? ""
                : 'mount -t tmpfs -o "size=$TMPFS_BYTES" abevalflow-dead-letter "$DEAD_LETTER_DIR" || exit 97',
            '"$NODE" --require "$PRELOAD" "$SCRIPT"; rc=$?',
            'find "$DEAD_LETTER_DIR" -mindepth 1 | sed "s|^$DEAD_LETTER_DIR/||" | sort > "$LISTING"',
            "exit $rc",
        ]
            .filter(Boolean)
            .join("\n");
        const outer = [
            cgroup === undefined ? "" : 'echo $$ > "$CGROUP/cgroup.procs" || exit 98',
            c.tmpfsBytes === undefined ? 'exec sh -c "$INNER"' : 'exec unshare -rm sh -c "$INNER"',
        ]
            .filter(Boolean)
            .join("\n");
        const run = await spawnCleanup("sh", ["-c", outer], env, {
            NODE: process.execPath,
            SCRIPT,
            LISTING: listing,
            TMPFS_BYTES: String(c.tmpfsBytes ?? 0),
            CGROUP: cgroup ?? "",
            INNER: inner,
            PRELOAD: preload,
        });
        const maxRss = fs.existsSync(rssReport) ? Number(fs.readFileSync(rssReport, "utf8")) : undefined;
        const files = fs.existsSync(listing) ? fs.readFileSync(listing, "utf8").split("\n").filter(Boolean) : [];
        return { ...run, files, maxRssBytes: maxRss };
    } finally {
        if (cgroup !== undefined) {
            fs.rmdirSync(cgroup);
        }
        fs.rmSync(work, { recursive: true, force: true });
    }
}

function spawnCleanup(
    file: string,
    args: string[],
    env: Record<string, string>,
    extra: Record<string, string> = {},
): Promise<CleanupRun> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, {
            env: { PATH: process.env.PATH ?? "", ...env, ...extra },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        child.on("error", reject);
        child.on("close", (code) => {
            const summaries: CleanupRun["summaries"] = {};
            for (const m of stdout.matchAll(/^summary ([\w-]+): (.*)$/gm)) {
                // Counters only: k=N terms; a closing remark such as "(skipped: ...)" is not one.
                summaries[m[1]] = Object.fromEntries(
                    m[2]
                        .split(" ")
                        .filter((kv) => /^\w+=\d+$/.test(kv))
                        .map((kv) => kv.split("="))
                        .map(([k, v]) => [k, Number(v)]),
                );
            }
            const requests = Number(/(\d+) API requests/.exec(stdout)?.[1] ?? NaN);
            resolve({ code, stdout, stderr, ms: Date.now() - start, summaries, requests });
        });
    });
}

/** The connection part of the environment for a run against `url` with `token`. */
export function connectionEnv(api: AdminApi, token: string, url = api.url): Record<string, string> {
    return { KUBE_API_URL: url, KUBE_TOKEN: token, KUBE_CA_FILE: api.caFile() };
}
