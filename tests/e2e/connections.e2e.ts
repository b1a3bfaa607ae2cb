// Reachability by real connections on the nodes. For each llmMode, the NetworkPolicies the
// program produces (as the API server stores them) are applied in a namespace of this suite,
// and every row of the matrix (scripts/netpol/matrix.ts) is probed by a real TCP or UDP exchange from a pod of
// the row's source kind to a live listener: the real DNS pods (through their Service on 53 and
// directly on 5353), the real API server (through the `kubernetes` Service and its endpoint),
// the test hosts of the sealed network that stand for the internet, the metadata endpoint and
// the private networks, and pods of each workload kind. The observed matrix must equal the
// expected one cell by cell and np-guard's verdict for the same objects; one table per mode
// shows the three side by side.
//
// A pod stands for a workload kind by what NetworkPolicies select on, its namespace and labels
// (the proxy's and the cleanup's are the program's pod-template labels), and runs busybox to
// connect and listen; the DNS pods and the API server are the real ones. A "denied" is told
// from a missing listener by a control round: every probe, from the same pods, connects before
// any policy exists.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { assert, expect } from "chai";
import { cidrContains, NON_PUBLIC_CIDRS, parseCidr } from "../../common/cidr";
import { LLM_MODES, LlmMode } from "../../components/config";
import { runProgram, withMode } from "../../scripts/engine/program-run";
import { analyzeRun, ModeReport } from "../../scripts/netpol/analyze";
import { dropCleanupEgress, widenDns } from "../../scripts/netpol/breaks";
import { ensureNetpolicy } from "../../scripts/netpol/ensure";
import { buildManifests, ManifestSet, OTHER_NAMESPACE, WorkloadId } from "../../scripts/netpol/manifests";
import {
    expectedVerdict,
    loadMatrix,
    Matrix,
    Probe,
    probeName,
    resolvePort,
    Verdict,
} from "../../scripts/netpol/matrix";
import { storedByApiServer } from "../../scripts/netpol/apiserver";
import { clusterState, NETWORK, ProbePod, startProbePods } from "./nodes";
import { kubectlJson, ok, requireCluster, run } from "./support";

const NAMESPACE = "abevalflow-e2e-reach";
/** Marks this suite's stand-in pods. */
const STAND_IN_LABEL = "abevalflow.test/reach";
/** The ConfigMap that owns the DNS stand-in (a controller owner keeps the DNS DaemonSet from adopting and deleting it). */
const DNS_OWNER = "abevalflow-e2e-reach-owner";
/** What every stand-in listens on besides the ports the matrix names for it. */
const STAND_IN_PORT = 8080;
const HOSTS_NETNS = `/var/run/netns/${NETWORK.NETNS_PREFIX}hosts`;
/** Seconds a probe waits for an answer; a policy drop shows as silence. */
const PROBE_SECONDS = 2;
/** A name every cluster DNS answers for. */
const DNS_NAME = "kubernetes.default.svc.cluster.local";

type Observed = "allowed" | "denied";
interface Target {
    host: string;
    port: number;
    kind: "tcp" | "tcp-dns" | "udp-dns";
    via: string;
}
interface Row {
    probe: Probe;
    name: string;
    target: Target;
    expected: Verdict;
    npGuard?: Verdict;
    observed?: Observed;
}

/** A DNS query for DNS_NAME (type A), with the two-byte length TCP puts in front. */
function dnsQuery(tcp: boolean): Buffer {
    const labels = DNS_NAME.split(".").flatMap((l) => [l.length, ...Buffer.from(l)]);
    const message = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
    return tcp ? Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]) : message;
}
/** As octal escapes for busybox printf. */
const printfBytes = (bytes: Buffer): string => [...bytes].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
const HTTP_REQUEST = "GET / HTTP/1.0\\r\\n\\r\\n";

/** One shell line that prints "R<i> <bytes answered>" for a probe (0: nothing came back). */
function probeLine(i: number, t: Target): string {
    if (t.kind === "udp-dns") {
        const server = t.port === 53 ? t.host : `${t.host}:${t.port}`;
        return `(timeout ${PROBE_SECONDS + 2} nslookup ${DNS_NAME} ${server} >/dev/null 2>&1 && echo "R${i} 1" || echo "R${i} 0") &`;
    }
    const payload = t.kind === "tcp-dns" ? printfBytes(dnsQuery(true)) : HTTP_REQUEST;
    return `(n=$(printf '${payload}' | timeout ${PROBE_SECONDS + 2} nc -w ${PROBE_SECONDS} ${t.host} ${t.port} 2>/dev/null | wc -c); echo "R${i} $n") &`;
}

/** Runs the rows of one source pod at once; returns each row's verdict by its index. */
function probeFrom(
    pod: { namespace: string; name: string },
    rows: { i: number; target: Target }[],
): Map<number, Observed> {
    const script = [...rows.map((r) => probeLine(r.i, r.target)), "wait"].join("\n");
    const r = run("kubectl", ["-n", pod.namespace, "exec", pod.name, "--", "sh", "-c", script], { timeoutMs: 60_000 });
    expect(r.status, `probes from ${pod.namespace}/${pod.name}: ${r.output}`).to.equal(0);
    const out = new Map<number, Observed>();
    for (const m of r.stdout.matchAll(/^R(\d+) (\d+)$/gm)) {
        out.set(Number(m[1]), Number(m[2]) > 0 ? "allowed" : "denied");
    }
    for (const row of rows) {
        expect(out.has(row.i), `probe ${row.i} from ${pod.name} printed nothing: ${r.output}`).to.equal(true);
    }
    return out;
}

/** The address in the sealed network that stands for an external address of the matrix. */
function localAddress(id: string, ip: string, api: { serviceIp: string; endpointIp: string }): string {
    if (id === "apiserver-service") {
        return api.serviceIp;
    }
    if (id === "apiserver-endpoint") {
        return api.endpointIp;
    }
    // A private or link-local address stands in its own range; any other is the internet.
    const within = (range: string, address: string) => cidrContains(parseCidr(range)!, parseCidr(`${address}/32`)!);
    const range = NON_PUBLIC_CIDRS.find((c) => parseCidr(c)?.family === "ipv4" && within(c, ip));
    if (!range) {
        return NETWORK.INTERNET_HOSTS.split(" ")[0];
    }
    const host = [NETWORK.METADATA_HOST, ...NETWORK.PRIVATE_HOSTS.split(" ")].find((h) => within(range, h));
    if (!host) {
        throw new Error(
            `no test host of the sealed network (scripts/local-control-plane/nodes/network.env) lies in ${range}, as ${id} (${ip}) does`,
        );
    }
    return host;
}

function applyPolicies(set: ManifestSet): void {
    run("kubectl", ["delete", "networkpolicy", "--all", "-n", NAMESPACE, "--wait=true"]);
    const policies = set.manifests.filter((m) => m.kind === "NetworkPolicy");
    expect(
        policies.every((p) => p.metadata.namespace === NAMESPACE),
        "every policy lands in the suite's namespace",
    ).to.equal(true);
    ok("kubectl", ["apply", "-f", "-"], { input: policies.map((p) => JSON.stringify(p)).join("\n") });
}

function table(mode: string, rows: Row[], control: Map<string, Observed>): string {
    const lines = [
        `${mode}:`,
        "| probe | through | expected | np-guard | observed | control (no policy) |",
        "|---|---|---|---|---|---|",
    ];
    for (const r of rows) {
        const mark = (v: string | undefined) => (v === undefined ? "n/a" : v === r.expected ? v : `${v} (MISMATCH)`);
        lines.push(
            `| ${r.name} | ${r.target.via} | ${r.expected} | ${mark(r.npGuard)} | ${mark(r.observed)} | ${control.get(r.name) ?? "n/a"} |`,
        );
    }
    return lines.join("\n");
}

describe("reachability by real connections on the nodes", function () {
    this.timeout(20 * 60_000);
    const matrix = loadMatrix();
    let local: Matrix;
    let dns: { serviceIp: string; podIp: string };
    const pods = new Map<WorkloadId, { namespace: string; name: string }>();
    const control = new Map<string, Observed>();
    const tables: string[] = [];
    let binary = "";
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-reach-"));
    let listeners: ChildProcess[] = [];

    const programRun = (mode: LlmMode) =>
        runProgram(
            withMode("dev", mode, {
                namespace: NAMESPACE,
                // The endpoints the cluster advertises for the API server, as apiServerCidrs would name them on a real cluster.
                apiServerCidrs: [`${local.external["apiserver-endpoint"].ip}/32`],
                apiServerPorts: [Number(NETWORK.API_FORWARD_PORT)],
            }),
        );

    /** Every row that applies in a mode, with its expected verdict and its target in this cluster. */
    const rowsOf = (mode: LlmMode, set: ManifestSet): Row[] =>
        matrix.probes.flatMap((probe) => {
            const expected = expectedVerdict(probe, mode);
            return expected
                ? [{ probe, name: probeName(probe, set.ports), target: targetOf(probe, set), expected }]
                : [];
        });

    const targetOf = (probe: Probe, set: ManifestSet): Target => {
        const port = resolvePort(probe.port, set.ports);
        if (probe.to === "dns") {
            const kind = probe.protocol === "UDP" ? "udp-dns" : "tcp-dns";
            // Port 53 is the Service's (translated to the pods' 5353); any other port, a DNS pod directly.
            return port === 53
                ? { host: dns.serviceIp, port, kind, via: `Service ${dns.serviceIp}:53` }
                : { host: dns.podIp, port, kind, via: `DNS pod ${dns.podIp}:${port}` };
        }
        const external = local.external[probe.to];
        if (external) {
            return { host: external.ip, port, kind: "tcp", via: `${external.description} ${external.ip}:${port}` };
        }
        const pod = pods.get(probe.to as WorkloadId)!;
        const ip = ok("kubectl", [
            "-n",
            pod.namespace,
            "get",
            "pod",
            pod.name,
            "-o",
            "jsonpath={.status.podIP}",
        ]).stdout.trim();
        return { host: ip, port, kind: "tcp", via: `pod ${pod.namespace}/${pod.name} ${ip}:${port}` };
    };

    /** Probes every row, all sources at once per source pod. */
    const observe = (rows: Row[]): Map<string, Observed> => {
        const out = new Map<string, Observed>();
        const bySource = new Map<WorkloadId, number[]>();
        rows.forEach((r, i) => bySource.set(r.probe.from, [...(bySource.get(r.probe.from) ?? []), i]));
        for (const [source, indexes] of bySource) {
            const verdicts = probeFrom(
                pods.get(source)!,
                indexes.map((i) => ({ i, target: rows[i].target })),
            );
            indexes.forEach((i) => out.set(rows[i].name, verdicts.get(i)!));
        }
        return out;
    };

    /** Observes until the matrix is as expected (the policy controller applies a change within seconds) or 30 s passed. */
    const observeSettled = (rows: Row[], want: (r: Row) => Verdict): Map<string, Observed> => {
        const deadline = Date.now() + 30_000;
        for (;;) {
            const seen = observe(rows);
            if (rows.every((r) => seen.get(r.name) === want(r)) || Date.now() > deadline) {
                return seen;
            }
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
        }
    };

    before(async () => {
        requireCluster();
        const state = clusterState();
        binary = ensureNetpolicy();
        const serviceIp = ok("kubectl", [
            "get",
            "service",
            "kubernetes",
            "-n",
            "default",
            "-o",
            "jsonpath={.spec.clusterIP}",
        ]).stdout.trim();
        const endpointIp = ok("kubectl", [
            "get",
            "endpointslice",
            "kubernetes",
            "-n",
            "default",
            "-o",
            "jsonpath={.endpoints[0].addresses[0]}",
        ]).stdout.trim();
        local = {
            ...matrix,
            external: Object.fromEntries(
                Object.entries(matrix.external).map(([id, e]) => [
                    id,
                    { ...e, ip: localAddress(id, e.ip, { serviceIp, endpointIp }) },
                ]),
            ),
        };
        const dnsPods = kubectlJson<{ items: { status: { podIP: string } }[] }>([
            "-n",
            "openshift-dns",
            "get",
            "pods",
            "-l",
            "dns.operator.openshift.io/daemonset-dns=default",
        ]).items;
        dns = { serviceIp: NETWORK.DNS_SERVICE_IP, podIp: dnsPods[0].status.podIP };

        // Listeners on every test host address (they all live on the hosts namespace's loopback).
        const ports = [...new Set(matrix.probes.filter((p) => p.to in matrix.external).map((p) => p.port))].filter(
            (p): p is number => typeof p === "number",
        );
        listeners = ports.map((p) =>
            spawn(
                "nsenter",
                [`--net=${HOSTS_NETNS}`, "socat", `TCP-LISTEN:${p},reuseaddr,fork`, "SYSTEM:echo test-host"],
                { stdio: "ignore" },
            ),
        );

        // The stand-ins, with the labels the litellm-mode run gives each kind (the proxy's and the
        // cleanup's from the program's own pod templates).
        const set = buildManifests(await programRun("litellm"));
        const labelsOf = (id: WorkloadId): { namespace: string; labels: Record<string, string> } => {
            const w = set.workloads[id];
            const owner = set.manifests.find(
                (m) => m.metadata.name === w.name && m.metadata.namespace === w.namespace && m.kind !== "NetworkPolicy",
            )!;
            type Template = { metadata: { labels: Record<string, string> } };
            const spec = owner.spec as { template?: Template; jobTemplate?: { spec: { template: Template } } };
            const template =
                owner.kind === "Deployment"
                    ? spec.template
                    : owner.kind === "CronJob"
                      ? spec.jobTemplate?.spec.template
                      : undefined;
            return {
                namespace: w.namespace,
                labels: template ? template.metadata.labels : (owner.metadata.labels ?? {}),
            };
        };
        for (const ns of [NAMESPACE, OTHER_NAMESPACE]) {
            run("kubectl", ["create", "namespace", ns]);
        }
        // The DNS stand-in lives among the real DNS pods, owned by a ConfigMap of this suite.
        const dnsNamespace = labelsOf("dns").namespace;
        ok("kubectl", ["create", "configmap", DNS_OWNER, "-n", dnsNamespace]);
        const ownerUid = ok("kubectl", [
            "get",
            "configmap",
            DNS_OWNER,
            "-n",
            dnsNamespace,
            "-o",
            "jsonpath={.metadata.uid}",
        ]).stdout.trim();
        const standIns: ProbePod[] = (Object.keys(set.workloads) as WorkloadId[]).map((id) => {
            const { namespace, labels } = labelsOf(id);
            const name = `reach-${id}`;
            const listen = [
                ...new Set([
                    STAND_IN_PORT,
                    ...matrix.probes.filter((p) => p.to === id).map((p) => resolvePort(p.port, set.ports)),
                ]),
            ];
            pods.set(id, { namespace, name });
            // The DNS stand-in carries the DNS pods' labels: never Ready, it never joins their Service.
            const dns =
                id === "dns"
                    ? {
                          owner: {
                              apiVersion: "v1",
                              kind: "ConfigMap",
                              name: DNS_OWNER,
                              uid: ownerUid,
                              controller: true,
                          },
                          neverReady: true,
                      }
                    : {};
            return {
                name,
                namespace,
                labels: { ...labels, [STAND_IN_LABEL]: "true" },
                ports: listen,
                command: ["sh", "-c", `${listen.map((p) => `nc -ll -p ${p} -e echo ${name} &`).join(" ")} wait`],
                ...dns,
            };
        });
        startProbePods(state.probeImage, standIns);
    });

    after(() => {
        for (const t of tables) {
            console.log(t.replace(/^/gm, "      "));
        }
        // Other suites listen on these hosts' ports too: the listeners go with the suite.
        for (const l of listeners) {
            l.kill();
        }
        run("kubectl", [
            "delete",
            "pod",
            "-A",
            "-l",
            `${STAND_IN_LABEL}=true`,
            "--grace-period=0",
            "--force",
            "--wait=false",
        ]);
        run("kubectl", ["delete", "configmap", DNS_OWNER, "-n", "openshift-dns", "--ignore-not-found"]);
        run("kubectl", ["delete", "namespace", NAMESPACE, OTHER_NAMESPACE, "--wait=false"]);
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("control: before any policy, every probe of every mode connects (each listener is live and addressable)", async () => {
        run("kubectl", ["delete", "networkpolicy", "--all", "-n", NAMESPACE]);
        const rows = new Map<string, Row>();
        for (const mode of LLM_MODES) {
            for (const r of rowsOf(mode, buildManifests(await programRun(mode)))) {
                rows.set(r.name, r);
            }
        }
        // The sealed fabric forwards to the API server's host only its forwarder's port: other
        // ports of the endpoint have no path at all, so no probe can tell a policy there.
        const pathless = (r: Row) =>
            r.probe.to === "apiserver-endpoint" && r.target.port !== Number(NETWORK.API_FORWARD_PORT);
        const probeable = [...rows.values()].filter((r) => !pathless(r));
        // A cluster just started may still be writing its Service rules: up to 30 s, as for a policy change.
        const seen = observeSettled(probeable, () => "allowed");
        for (const [name, verdict] of seen) {
            control.set(name, verdict);
        }
        const dead = probeable
            .filter((r) => seen.get(r.name) !== "allowed")
            .map((r) => `${r.name} via ${r.target.via}`);
        expect(dead, "probes that found no listener without any policy").to.deep.equal([]);
        for (const r of [...rows.values()].filter(pathless)) {
            control.set(r.name, "denied");
            console.log(
                `      not probeable here (no path in the sealed fabric to ${r.target.host}:${r.target.port}): ${r.name}`,
            );
        }
    });

    for (const mode of LLM_MODES) {
        it(`${mode}: every row observed as expected, and as np-guard says for the same objects`, async () => {
            const programmed = await programRun(mode);
            const set = storedByApiServer(buildManifests(programmed));
            const report: ModeReport = analyzeRun(programmed, local, binary, {
                apiServer: true,
                workDir: path.join(scratch, mode),
            });
            const rows = rowsOf(mode, set).filter((r) => control.get(r.name) === "allowed");
            for (const r of rows) {
                r.npGuard = report.results.find((x) => x.name === r.name)?.measured;
            }
            applyPolicies(set);
            const seen = observeSettled(rows, (r) => r.expected);
            rows.forEach((r) => (r.observed = seen.get(r.name)));
            tables.push(table(mode, rows, control));
            const differences = rows.flatMap((r) => [
                ...(r.observed !== r.expected
                    ? [`${r.name}: expected ${r.expected}, observed ${r.observed} (via ${r.target.via})`]
                    : []),
                ...(r.npGuard !== r.observed
                    ? [`${r.name}: np-guard says ${r.npGuard}, the connection was ${r.observed}`]
                    : []),
            ]);
            expect(differences).to.deep.equal([]);
            expect(report.failures, "np-guard against the matrix").to.deep.equal([]);
            console.log(`      ${mode}: ${rows.length} rows probed, observed = expected = np-guard`);
        });
    }

    describe("a broken policy is caught by the probes", () => {
        for (const [what, mutate, row] of [
            [
                "DNS widened to port 53 in every namespace, the default-deny dropped (the original's mistake)",
                widenDns,
                "trial -> dns UDP/5353",
            ],
            ["the cleanup's egress policies deleted", dropCleanupEgress, "cleanup -> public TCP/443"],
        ] as const) {
            it(`${what}: ${row} turns`, async () => {
                const set = mutate(storedByApiServer(buildManifests(await programRun("litellm"))));
                const rows = rowsOf("litellm", set).filter((r) => control.get(r.name) === "allowed");
                applyPolicies(set);
                const flipped = rows.find((r) => r.name === row);
                assert.exists(flipped, row);
                const seen = observeSettled(rows, (r) =>
                    r === flipped ? (r.expected === "allowed" ? "denied" : "allowed") : r.expected,
                );
                const wrong = rows
                    .filter((r) => seen.get(r.name) !== r.expected)
                    .map((r) => `${r.name}: observed ${seen.get(r.name)}, expected ${r.expected}`);
                console.log(`      ${what}: ${wrong.length} rows differ: ${wrong.join("; ")}`);
                expect(wrong.map((w) => w.split(":")[0])).to.include(row);
            });
        }
    });
});
