// Runs np-guard's `netpolicy list` on the manifests of one program run and holds what it
// reports to the expected matrix. The verdicts come from the analyzer's connectivity
// list; this module only looks rows up in it (which workload, which address range,
// which protocol and port), so a wrong policy shows up as a wrong verdict here.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LlmMode } from "../../components/config";
import { ProgramRun } from "../engine/program-run";
import { apiServerAvailable, storedByApiServer } from "./apiserver";
import { buildManifests, ManifestSet, WorkloadId, writeManifests } from "./manifests";
import { expectedVerdict, Matrix, Probe, probeName, Protocol, resolvePort, Verdict } from "./matrix";

/** One line of `netpolicy list -o json`. */
export interface Connection {
    src: string;
    dst: string;
    conn: string;
}

type Range = [number, number];
/** A set of connections: everything, or port ranges per protocol. */
export type ConnSet = "all" | Map<Protocol, Range[]>;

export type Endpoint =
    { kind: "workload"; namespace: string; name: string } | { kind: "range"; first: number; last: number };

export function ipToNumber(ip: string): number {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
        throw new Error(`not an IPv4 address: ${ip}`);
    }
    return parts.reduce((n, p) => n * 256 + p, 0);
}

/** "ns/name[Kind]" or "a.b.c.d-e.f.g.h" (or a single address), as netpolicy prints them. */
export function parseEndpoint(text: string): Endpoint {
    const workload = /^([^/\s]+)\/([^/[\s]+)\[[A-Za-z]+\]$/.exec(text);
    if (workload) {
        return { kind: "workload", namespace: workload[1], name: workload[2] };
    }
    const range = /^(\d+\.\d+\.\d+\.\d+)(?:-(\d+\.\d+\.\d+\.\d+))?$/.exec(text);
    if (range) {
        return { kind: "range", first: ipToNumber(range[1]), last: ipToNumber(range[2] ?? range[1]) };
    }
    throw new Error(`netpolicy printed an endpoint this check does not understand: "${text}"`);
}

/** "All Connections", "TCP 443", "TCP 53,5353,UDP 53,5353", "TCP 1-79,81-65535", "UDP". */
export function parseConn(text: string): ConnSet {
    if (text.trim() === "All Connections") {
        return "all";
    }
    const set = new Map<Protocol, Range[]>();
    let current: Protocol | undefined;
    for (const token of text.split(",").map((t) => t.trim())) {
        const m = /^(?:(TCP|UDP|SCTP)\b\s*)?(?:(\d+)(?:-(\d+))?)?$/.exec(token);
        if (!m || (!m[1] && !m[2])) {
            throw new Error(`netpolicy printed a connection this check does not understand: "${text}"`);
        }
        if (m[1]) {
            current = m[1] as Protocol;
            set.set(current, set.get(current) ?? []);
        }
        if (!current) {
            throw new Error(`port before protocol in "${text}"`);
        }
        const ranges = set.get(current) as Range[];
        if (m[2]) {
            ranges.push([Number(m[2]), Number(m[3] ?? m[2])]);
        } else {
            ranges.push([1, 65535]);
        }
    }
    return set;
}

export function connAllows(set: ConnSet, protocol: Protocol, port: number): boolean {
    return set === "all" || (set.get(protocol) ?? []).some(([lo, hi]) => port >= lo && port <= hi);
}

export interface ProbeResult {
    probe: Probe;
    name: string;
    expected: Verdict;
    measured: Verdict;
}

export interface ModeReport {
    mode: LlmMode;
    /** The rows that apply in this mode, with the analyzer's verdict. */
    results: ProbeResult[];
    /** Connections of a confined source that no allowed row covers. */
    unexpected: string[];
    /** Everything that differs from the matrix; empty when the mode passes. */
    failures: string[];
    /** What netpolicy printed on stderr (warnings about ignored fields and the like). */
    warnings: string;
    /** The directory of manifests the analyzer read. */
    dir: string;
}

function sameWorkload(e: Endpoint, w: { namespace: string; name: string }): boolean {
    return e.kind === "workload" && e.namespace === w.namespace && e.name === w.name;
}

/** Holds the analyzer's connections to the matrix for one mode; pure, so unit tests can feed it. */
export function evaluate(
    matrix: Matrix,
    mode: LlmMode,
    set: ManifestSet,
    connections: Connection[],
): Omit<ModeReport, "warnings" | "dir"> {
    const parsed = connections.map((c) => ({
        raw: c,
        src: parseEndpoint(c.src),
        dst: parseEndpoint(c.dst),
        conn: parseConn(c.conn),
    }));
    const destinationMatches = (to: string, e: Endpoint): boolean => {
        const address = matrix.external[to];
        if (address) {
            const ip = ipToNumber(address.ip);
            return e.kind === "range" && ip >= e.first && ip <= e.last;
        }
        return sameWorkload(e, set.workloads[to as WorkloadId]);
    };

    const results: ProbeResult[] = [];
    const failures: string[] = [];
    for (const probe of matrix.probes) {
        const expected = expectedVerdict(probe, mode);
        if (!expected) {
            continue;
        }
        const port = resolvePort(probe.port, set.ports);
        const allowed = parsed.some(
            (c) =>
                sameWorkload(c.src, set.workloads[probe.from]) &&
                destinationMatches(probe.to, c.dst) &&
                connAllows(c.conn, probe.protocol, port),
        );
        const measured: Verdict = allowed ? "allowed" : "denied";
        const name = probeName(probe, set.ports);
        results.push({ probe, name, expected, measured });
        if (measured !== expected) {
            failures.push(`${mode}: ${name}: expected ${expected}, netpolicy says ${measured}`);
        }
    }

    // A confined source may reach exactly the allowed rows: any other connection the
    // analyzer lists for it is a hole the matrix does not describe.
    const unexpected: string[] = [];
    for (const confinement of matrix.confined.filter((c) => c.modes.includes(mode))) {
        const source = set.workloads[confinement.source];
        const allowedRows = results.filter((r) => r.probe.from === confinement.source && r.expected === "allowed");
        for (const c of parsed.filter((p) => sameWorkload(p.src, source))) {
            // The analyzer splits the address space at every policy boundary; the named
            // addresses are samples, so any external row covers every range, and the
            // denied samples catch a range that should not be there.
            const covering = allowedRows.filter((r) =>
                c.dst.kind === "range" ? r.probe.to in matrix.external : destinationMatches(r.probe.to, c.dst),
            );
            const covered =
                c.conn !== "all" &&
                [...c.conn.entries()].every(([protocol, ranges]) =>
                    ranges.every(([lo, hi]) => {
                        for (let port = lo; port <= hi; port++) {
                            if (
                                !covering.some(
                                    (r) =>
                                        r.probe.protocol === protocol && resolvePort(r.probe.port, set.ports) === port,
                                )
                            ) {
                                return false;
                            }
                        }
                        return true;
                    }),
                );
            if (!covered) {
                unexpected.push(`${c.raw.src} => ${c.raw.dst} : ${c.raw.conn}`);
            }
        }
    }
    failures.push(...unexpected.map((u) => `${mode}: connection not in the matrix: ${u}`));
    return { mode, results, unexpected, failures };
}

/** Runs `netpolicy list` on a directory; throws with its stderr when it fails. */
export function runNetpolicy(binary: string, dir: string): { connections: Connection[]; stderr: string } {
    const stderrFile = path.join(dir, "..", `${path.basename(dir)}.stderr`);
    const fd = fs.openSync(stderrFile, "w");
    let stdout: string;
    try {
        stdout = execFileSync(binary, ["list", "--dirpath", dir, "-o", "json"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", fd],
            maxBuffer: 64 * 1024 * 1024,
        });
    } catch (err) {
        throw new Error(
            `netpolicy list --dirpath ${dir} failed: ${(err as Error).message}\n${fs.readFileSync(stderrFile, "utf8")}`,
            { cause: err },
        );
    } finally {
        fs.closeSync(fd);
    }
    const stderr = fs.readFileSync(stderrFile, "utf8");
    const connections = JSON.parse(stdout) as Connection[];
    if (
        !Array.isArray(connections) ||
        connections.some((c) => typeof c.src !== "string" || typeof c.dst !== "string" || typeof c.conn !== "string")
    ) {
        throw new Error(
            `netpolicy list -o json printed something other than [{src, dst, conn}]: ${stdout.slice(0, 200)}`,
        );
    }
    return { connections, stderr };
}

export type ManifestSource = "api-server" | "program";

export interface AnalyzeOptions {
    workDir?: string;
    /** Pass the program's objects through the API server first (needs KUBECONFIG). Default: when one answers. */
    apiServer?: boolean;
    /** Edits the analyzer input just before it is written, so a test can break a policy on purpose. */
    mutate?: (set: ManifestSet) => ManifestSet;
}

/** Program run -> manifests on disk -> netpolicy -> comparison with the matrix. */
export function analyzeRun(
    run: ProgramRun,
    matrix: Matrix,
    binary: string,
    options: AnalyzeOptions = {},
): ModeReport & { source: ManifestSource } {
    const mode = run.config.llmMode;
    const base = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-netpol-"));
    const dir = path.join(base, mode);
    fs.rmSync(dir, { recursive: true, force: true });
    const useApiServer = options.apiServer ?? apiServerAvailable();
    let set = buildManifests(run);
    if (useApiServer) {
        set = storedByApiServer(set);
    }
    if (options.mutate) {
        set = options.mutate(set);
    }
    writeManifests(set, dir);
    const { connections, stderr } = runNetpolicy(binary, dir);
    const report = {
        ...evaluate(matrix, mode, set, connections),
        warnings: stderr,
        dir,
        source: useApiServer ? ("api-server" as const) : ("program" as const),
    };
    // A failing run keeps its manifests for a look; a passing one leaves nothing behind.
    if (!options.workDir && report.failures.length === 0) {
        fs.rmSync(base, { recursive: true, force: true });
    }
    return report;
}

/** The measured matrix: one row per probe, one column per mode; a mismatch is marked. */
export function formatReports(matrix: Matrix, reports: ModeReport[]): string {
    const lines = [
        `| probe | ${reports.map((r) => r.mode).join(" | ")} |`,
        `|---|${reports.map(() => "---").join("|")}|`,
    ];
    for (const probe of matrix.probes) {
        const cells = reports.map((r) => {
            const result = r.results.find((x) => x.probe === probe);
            if (!result) {
                return "n/a";
            }
            return result.measured === result.expected
                ? result.measured
                : `${result.measured} (EXPECTED ${result.expected})`;
        });
        const name =
            reports.map((r) => r.results.find((x) => x.probe === probe)?.name).find((n) => n !== undefined) ??
            probeName(probe);
        lines.push(`| ${name} | ${cells.join(" | ")} |`);
    }
    for (const r of reports) {
        lines.push(...r.unexpected.map((u) => `${r.mode}: connection not in the matrix: ${u}`));
    }
    return lines.join("\n");
}
