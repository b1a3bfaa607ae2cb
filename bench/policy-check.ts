// Benchmark: the offline checker over 10,000 generated resources (goal: under 2 s).
// Prints figures and never fails on time: a slow machine is a fact to report, not a bug.
//
//   npx ts-node --transpile-only bench/policy-check.ts [resourceCount] [runs]
//
// Measures (1) the whole command as a team runs it, `npm run --silent policy:check -- --json <dir>`,
// start-up included, and (2) in process, loading/parsing and checking separately.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { resolvePolicies } from "../policy/checker/config";
import { checkSubjects } from "../policy/checker/engine";
import { loadPaths } from "../policy/checker/load";
import { RULES } from "../policy/policies";

const ROOT = path.resolve(__dirname, "..");
const DIGEST = `sha256:${"ab".repeat(32)}`;
const PER_NAMESPACE = 100;
const PER_FILE = 100;

/** One namespace's worth of a realistic mix: workloads, RBAC, network policies, storage; one defect in ten. */
function namespaceObjects(ns: string): object[] {
    const objects: object[] = [];
    for (let i = 0; objects.length < PER_NAMESPACE; i++) {
        const app = `app-${i}`;
        const labels = { "app.kubernetes.io/name": app };
        const image = i % 10 === 0 ? "quay.io/example/app:latest" : `quay.io/example/app:v1.${i}@${DIGEST}`;
        const container = {
            name: "main",
            image,
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                runAsNonRoot: true,
                seccompProfile: { type: "RuntimeDefault" },
            },
            livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
            readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
        };
        const pod = { serviceAccountName: app, automountServiceAccountToken: false, containers: [container] };
        objects.push(
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: app, namespace: ns } },
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: app, namespace: ns },
                spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: pod } },
            },
            {
                apiVersion: "policy/v1",
                kind: "PodDisruptionBudget",
                metadata: { name: app, namespace: ns },
                spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
            },
            {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: `${app}-cleanup`, namespace: ns },
                spec: {
                    schedule: "0 3 * * *",
                    jobTemplate: { spec: { template: { spec: { ...pod, restartPolicy: "Never" } } } },
                },
            },
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata: { name: app, namespace: ns },
                rules: [
                    {
                        apiGroups: [""],
                        resources: ["secrets"],
                        verbs: ["get"],
                        resourceNames: i % 10 === 1 ? undefined : [`${app}-db`],
                    },
                ],
            },
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: `${app}-deny`, namespace: ns },
                spec: { podSelector: { matchLabels: labels }, policyTypes: ["Egress"] },
            },
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: `${app}-allow`, namespace: ns },
                spec: {
                    podSelector: { matchLabels: labels },
                    policyTypes: ["Egress"],
                    egress: [
                        {
                            to: [
                                {
                                    namespaceSelector: {
                                        matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" },
                                    },
                                    podSelector: {
                                        matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" },
                                    },
                                },
                            ],
                            ports: [
                                { protocol: "UDP", port: 5353 },
                                { protocol: "TCP", port: 5353 },
                            ],
                        },
                        {
                            to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": `app-${i + 1}` } } }],
                            ports: [{ protocol: "TCP", port: 8080 }],
                        },
                    ],
                },
            },
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: `${app}-data`, namespace: ns, annotations: { "helm.sh/resource-policy": "keep" } },
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: `${app}-script`, namespace: ns },
                data: { "run.sh": "#!/bin/sh\ntkn pipelinerun delete --keep-since=10080 -f\n" },
            },
        );
    }
    return objects.slice(0, PER_NAMESPACE);
}

function generate(dir: string, total: number): number {
    let written = 0;
    let file = 0;
    for (let n = 0; written < total; n++) {
        const objects = namespaceObjects(`team-${n}`).slice(0, total - written);
        for (let start = 0; start < objects.length; start += PER_FILE) {
            const docs = objects.slice(start, start + PER_FILE).map((o) => yaml.dump(o, { noRefs: true }));
            fs.writeFileSync(path.join(dir, `manifests-${String(file++).padStart(4, "0")}.yaml`), docs.join("---\n"));
        }
        written += objects.length;
    }
    return file;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function ms(start: bigint): number {
    return Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
    const total = Number(process.argv[2] ?? 10_000);
    const runs = Number(process.argv[3] ?? 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-bench-"));
    const files = generate(dir, total);
    const bytes = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
    console.log(`generated ${total} resources in ${files} files (${(bytes / 1e6).toFixed(1)} MB) under ${dir}`);
    console.log(
        `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), node ${process.version}, ` +
            `load average ${os
                .loadavg()
                .map((l) => l.toFixed(1))
                .join(" ")} (figures are only comparable on an idle machine)`,
    );

    const policies = resolvePolicies(RULES, {}, "(defaults)");
    const load: number[] = [];
    const check: number[] = [];
    let violations = 0;
    for (let i = 0; i < runs; i++) {
        let start = process.hrtime.bigint();
        const loaded = loadPaths([dir]);
        load.push(ms(start));
        start = process.hrtime.bigint();
        violations = checkSubjects(
            loaded.manifests.map((m) => ({ object: m.object })),
            policies,
        ).length;
        check.push(ms(start));
    }
    console.log(
        `in process, median of ${runs}: load+parse ${median(load).toFixed(0)} ms, check ${median(check).toFixed(0)} ms, ` +
            `total ${(median(load) + median(check)).toFixed(0)} ms (${violations} violations)`,
    );

    const command = (args: string[]): { wall: number[]; status: number | null } => {
        const wall: number[] = [];
        let status: number | null = null;
        for (let i = 0; i < runs; i++) {
            const start = process.hrtime.bigint();
            status = spawnSync("npm", ["run", "--silent", "policy:check", "--", ...args], {
                cwd: ROOT,
                encoding: "utf8",
                maxBuffer: 1 << 28,
            }).status;
            wall.push(ms(start));
        }
        return { wall, status };
    };
    // Start-up alone (npm, node, ts-node compiling the checker) is what --help costs.
    const startup = command(["--help"]).wall;
    const { wall, status } = command(["--json", dir]);
    console.log(`start-up only (policy:check -- --help), median of ${runs}: ${median(startup).toFixed(0)} ms`);
    console.log(
        `whole command (npm run --silent policy:check -- --json <dir>), median of ${runs}: ${median(wall).toFixed(0)} ms ` +
            `(best ${Math.min(...wall).toFixed(0)} ms, exit ${String(status)})`,
    );
    console.log(
        `goal: under 2000 ms for ${total} resources: ${median(wall) < 2000 ? "met" : "NOT met"} (whole command, median)`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
}

main();
