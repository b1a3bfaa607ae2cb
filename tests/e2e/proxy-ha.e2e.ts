// The proxy, highly available on the two nodes with the prod stack's settings (three replicas,
// spread over nodes as a requirement, the disruption budget). A client pod, a pipeline pod as
// the proxy's ingress policy names them, calls the proxy through its Service without pause
// while the proxy is rolled by a
// configuration change through `pulumi up`, and while a node is drained. The proxy's upstream is
// a test host of the sealed network standing for Google (token endpoint and generateContent)
// that answers each model call after UPSTREAM_DELAY_SECONDS, so requests are always in flight.
// LiteLLM 1.84.10 sends a vertex_ai model's calls to VERTEXAI_API_BASE when it is set
// (main.py, vertex_ai branch) and fetches tokens from the key's token_uri (google-auth).
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { loadConfig, objectConfigSource, stackFileConfig } from "../../components/config";
import { LITELLM, TRIAL_BASELINE_CONFIGMAP } from "../../components/names";
import { TrialPodBaseline } from "../../components/trialBaseline";
import { ensureVertexSecret } from "../../scripts/local-deploy/vertex-secret";
import { NETWORK, rolledOut } from "./nodes";
import { kubectlJson, ok, PulumiWorkspace, requireCluster, run } from "./support";

const STACK = "e2e-ha";
const NAMESPACE = "abevalflow-e2e-ha";
const PROD = loadConfig(objectConfigSource({ ...stackFileConfig("prod"), "abevalflow:namespace": NAMESPACE }));
const HOSTS_NETNS = `/var/run/netns/${NETWORK.NETNS_PREFIX}hosts`;
/** A host standing for the internet: the proxy's egress policy lets it reach port 443 there. */
const UPSTREAM = `http://${NETWORK.INTERNET_HOSTS.split(" ")[0]}:443`;
const UPSTREAM_DELAY_SECONDS = 8;
const CLIENT_WORKERS = 4;
const SELECTOR = Object.entries(LITELLM.podLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

interface Pod {
    metadata: { name: string; creationTimestamp: string; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: { conditions?: { type: string; status: string }[] };
}
interface ClientRun {
    warmup: string[];
    sent: number;
    failed: string[];
    longestMs: number;
    requests: [number, number, string][];
}

function proxyPods(): { name: string; node: string; ready: boolean; created: number }[] {
    return kubectlJson<{ items: Pod[] }>(["get", "pods", "-n", NAMESPACE, "-l", SELECTOR])
        .items.filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => ({
            name: p.metadata.name,
            node: p.spec.nodeName ?? "",
            created: Date.parse(p.metadata.creationTimestamp),
            ready: (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
        }));
}

describe("the proxy, highly available on the nodes (prod settings)", function () {
    this.timeout(30 * 60_000);
    const ws = new PulumiWorkspace();
    let upstream: ChildProcess | undefined;
    let upstreamLog = "";
    /** Model calls the upstream answered so far. */
    const served = (): number =>
        fs
            .readFileSync(upstreamLog, "utf8")
            .split("\n")
            .filter((l) => l.endsWith(":generateContent 200")).length;
    let serviceUrl = "";
    let masterKey = "";
    const model = PROD.litellm?.models[0].name ?? "";

    const up = (): void => {
        ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("prod")]);
    };

    /**
     * A pipeline pod (Tekton's tekton.dev/pipelineRun label), one of the two callers the proxy's
     * ingress policy names, built from the published trial baseline, that runs client.py for
     * `seconds`. The nodes' policy controller (kube-router) lets a new pod's connections through
     * that policy only once it has synced the pod, and REJECTs them until then (measured: the
     * first two calls of a new client refused, then none), so client.py measures from its first
     * successful call on; its warm-up outcomes are printed.
     */
    const startClient = (name: string, seconds: number): void => {
        const baseline = JSON.parse(
            kubectlJson<{ data: Record<string, string> }>([
                "get",
                "configmap",
                TRIAL_BASELINE_CONFIGMAP,
                "-n",
                NAMESPACE,
            ]).data["baseline.json"],
        ) as TrialPodBaseline;
        const image = kubectlJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>([
            "get",
            "deployment",
            LITELLM.name,
            "-n",
            NAMESPACE,
        ]).spec.template.spec.containers[0].image;
        const client = fs.readFileSync(path.join(__dirname, "proxy", "client.py"), "utf8");
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: NAMESPACE, labels: { "tekton.dev/pipelineRun": "e2e-ha-client" } },
            spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: baseline.automountServiceAccountToken,
                securityContext: baseline.podSecurityContext,
                containers: [
                    {
                        name: "client",
                        image,
                        command: [
                            "/opt/litellm/bin/python",
                            "-c",
                            client,
                            `${serviceUrl}/v1/chat/completions`,
                            model,
                            String(CLIENT_WORKERS),
                            String(seconds),
                        ],
                        env: [{ name: "PROXY_KEY", value: masterKey }],
                        securityContext: baseline.containerSecurityContext,
                        resources: baseline.resources,
                        volumeMounts: baseline.volumeMounts,
                    },
                ],
                volumes: baseline.volumes,
            },
        };
        ok("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(pod) });
        ok("kubectl", ["wait", "-n", NAMESPACE, `pod/${name}`, "--for=condition=Ready", "--timeout=120s"]);
        // Measured calls start once one call went through (client.py's warm-up).
        const deadline = Date.now() + 180_000;
        while (!run("kubectl", ["logs", "-n", NAMESPACE, name]).stdout.includes("started")) {
            if (Date.now() > deadline) {
                throw new Error(
                    `the client never reached the proxy: ${run("kubectl", ["logs", "-n", NAMESPACE, name]).output}`,
                );
            }
            run("sleep", ["1"]);
        }
        // Some requests in flight before anything else happens.
        run("sleep", [String(UPSTREAM_DELAY_SECONDS / 2)]);
    };

    const clientResult = (name: string): ClientRun => {
        const done = run("kubectl", [
            "wait",
            "-n",
            NAMESPACE,
            `pod/${name}`,
            "--for=jsonpath={.status.phase}=Succeeded",
            "--timeout=600s",
        ]);
        const log = run("kubectl", ["logs", "-n", NAMESPACE, name]).output;
        expect(done.status, `${done.output}\n${log.slice(-2000)}`).to.equal(0);
        const { warmup, requests } = JSON.parse(log.trim().split("\n").pop() ?? "{}") as {
            warmup: string[];
            requests: [number, number, string][];
        };
        run("kubectl", ["delete", "pod", name, "-n", NAMESPACE, "--wait=false"]);
        return {
            warmup,
            sent: requests.length,
            // Each with when it started, from the first measured request: when in the run it failed.
            failed: requests
                .filter((r) => r[2] !== "200")
                .map((r) => `${r[2]} (started at +${((r[0] - requests[0][0]) / 1000).toFixed(1)} s)`),
            longestMs: Math.max(...requests.filter((r) => r[2] === "200").map((r) => r[1] - r[0])),
            requests,
        };
    };

    before(() => {
        requireCluster();
        // Its log goes to a file: the test blocks its own event loop while it waits, and a full pipe would stall the upstream.
        upstreamLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-upstream-")), "served.log");
        upstream = spawn(
            "nsenter",
            [
                `--net=${HOSTS_NETNS}`,
                "python3",
                path.join(__dirname, "proxy", "slow_upstream.py"),
                "443",
                String(UPSTREAM_DELAY_SECONDS),
            ],
            { stdio: ["ignore", fs.openSync(upstreamLog, "w"), "inherit"] },
        );
        // The operator's Vertex key Secret, its token endpoint on the test host, before the first up.
        if (
            !ensureVertexSecret(
                NAMESPACE,
                PROD.litellm?.vertexCredentialsSecretName ?? "",
                undefined,
                "",
                `${UPSTREAM}/token`,
            )
        ) {
            throw new Error(`the Vertex key Secret for ${NAMESPACE} exists already or the cluster did not answer`);
        }
        // Replicas, spread and budget as prod has them; the CPU request scaled to what one of the
        // two 2-core nodes can hold when a drain puts every replica on it.
        ws.initStack(STACK, "prod", { "abevalflow:namespace": NAMESPACE, "abevalflow:litellmCpuRequest": "200m" });
        up();
        // The one thing the program does not set: where Vertex AI is. An env entry applied
        // server-side by a field manager of its own, which the program's own server-side apply
        // leaves alone. (An entry written by an update, such as `kubectl set env`'s, the
        // provider takes over and drops at the next `up`.)
        const apiBase = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: LITELLM.name, namespace: NAMESPACE },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: LITELLM.name,
                                env: [
                                    {
                                        name: "VERTEXAI_API_BASE",
                                        value: `${UPSTREAM}/v1/projects/p/locations/l/publishers/google/models/m`,
                                    },
                                ],
                            },
                        ],
                    },
                },
            },
        };
        ok("kubectl", ["apply", "--server-side", "--field-manager=abevalflow-e2e-upstream", "-f", "-"], {
            input: JSON.stringify(apiBase),
        });
        rolledOut(NAMESPACE, LITELLM.name);
        masterKey = Buffer.from(
            kubectlJson<{ data: Record<string, string> }>(["get", "secret", LITELLM.masterKeySecret, "-n", NAMESPACE])
                .data[LITELLM.masterKeyEnv],
            "base64",
        ).toString();
        const clusterIp = kubectlJson<{ spec: { clusterIP: string } }>([
            "get",
            "service",
            LITELLM.name,
            "-n",
            NAMESPACE,
        ]).spec.clusterIP;
        // The Service's address, not its name: a drain may move the DNS pods too.
        serviceUrl = `http://${clusterIp}:${PROD.litellm?.port}`;
    });
    after(() => {
        for (const node of ["node-1", "node-2"]) {
            run("kubectl", ["uncordon", node]);
        }
        upstream?.kill();
        fs.rmSync(path.dirname(upstreamLog), { recursive: true, force: true });
        ws.pulumi(["destroy", "--yes", "--skip-preview", "--exclude-protected", "-s", STACK]);
        run("kubectl", ["delete", "namespace", NAMESPACE, "--wait=false"]);
        ws.dispose();
    });

    it("runs its replicas ready on both nodes", () => {
        const pods = proxyPods();
        expect(pods.length).to.equal(PROD.litellm?.replicas);
        expect(pods.every((p) => p.ready)).to.equal(true);
        expect(new Set(pods.map((p) => p.node)).size).to.equal(2);
    });

    it("a configuration change through pulumi up rolls every replica while a client calls the proxy: no request fails", () => {
        startClient("pipeline-ha-rollout", 120);
        const before = proxyPods().map((p) => p.name);
        const servedBefore = served();
        // A model more: a new config.yaml, so a new pod template.
        ws.config(STACK, `abevalflow:litellmModels[${PROD.litellm?.models.length}]`, "gemini-2.0-flash", {
            path: true,
        });
        const upStarted = Date.now();
        up();
        const after = proxyPods();
        expect(
            after.map((p) => p.name).filter((n) => before.includes(n)),
            "every old replica replaced",
        ).to.deep.equal([]);
        expect(
            kubectlJson<{ metadata: { generation: number } }>(["get", "deployment", LITELLM.name, "-n", NAMESPACE])
                .metadata.generation,
            "rolled, not replaced: the Deployment's own history goes on",
        ).to.be.greaterThan(2);
        const rolloutStart = Math.min(...after.map((p) => p.created));
        const result = clientResult("pipeline-ha-rollout");
        // Requests already in flight when the first new replica was created, i.e. before any old one stopped.
        const inFlight = result.requests.filter(([start, end]) => start < rolloutStart && end > rolloutStart);
        console.log(
            `      rollout: ${result.sent} requests, ${result.failed.length} failed, longest ${result.longestMs} ms; ` +
                `warm-up ${JSON.stringify(result.warmup)}; ` +
                `${inFlight.length} in flight at the rollout's start; up took ${Math.round((Date.now() - upStarted) / 1000)} s; upstream served ${served() - servedBefore}`,
        );
        expect(result.failed, result.failed.join("\n")).to.deep.equal([]);
        expect(inFlight.length).to.be.at.least(1);
        expect(inFlight.every(([, , outcome]) => outcome === "200")).to.equal(true);
        expect(result.longestMs).to.be.at.least(UPSTREAM_DELAY_SECONDS * 1000);
    });

    it("a drain of a node keeps the proxy answering; the disruption budget holds a second drain to one replica down", () => {
        startClient("pipeline-ha-drain", 150);
        const byNode = (node: string) => proxyPods().filter((p) => p.node === node);
        const [drained, other] =
            byNode("node-1").length >= byNode("node-2").length ? ["node-1", "node-2"] : ["node-2", "node-1"];
        // Only the proxy's pods: the drain is about them, and the test's own pods have no controller.
        const drain = run("kubectl", [
            "drain",
            drained,
            `--pod-selector=${SELECTOR}`,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=300s",
        ]);
        expect(drain.status, drain.output).to.equal(0);
        rolledOut(NAMESPACE, LITELLM.name);
        const moved = proxyPods();
        expect(
            moved.every((p) => p.node === other && p.ready),
            JSON.stringify(moved),
        ).to.equal(true);

        // Every replica on one node, no other node to go to: the budget (maxUnavailable 1) lets one
        // eviction through and refuses the next, so two replicas keep serving.
        const second = run("kubectl", [
            "drain",
            other,
            `--pod-selector=${SELECTOR}`,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=45s",
        ]);
        expect(second.status, second.output).to.not.equal(0);
        expect(second.output).to.match(/violate the pod's disruption budget/);
        expect(proxyPods().filter((p) => p.ready).length).to.equal((PROD.litellm?.replicas ?? 0) - 1);
        for (const node of [drained, other]) {
            ok("kubectl", ["uncordon", node]);
        }
        rolledOut(NAMESPACE, LITELLM.name);
        const result = clientResult("pipeline-ha-drain");
        console.log(
            `      drain: ${result.sent} requests, ${result.failed.length} failed, longest ${result.longestMs} ms; warm-up ${JSON.stringify(result.warmup)}`,
        );
        expect(result.failed, result.failed.join("\n")).to.deep.equal([]);
    });
});
