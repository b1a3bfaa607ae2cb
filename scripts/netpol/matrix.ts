// The expected reachability matrix (docs/reachability.yaml, and each LLM mode's own connection
// from components/llmModes.ts): loaded, checked for typos that would silently turn a row into a
// no-op, and resolved against one run's ports.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { isLlmMode, LLM_MODES, llmMode, LlmMode } from "../../components/llmModes";
import { WORKLOAD_IDS, WorkloadId } from "./manifests";

export const MATRIX_FILE = path.resolve(__dirname, "..", "..", "docs", "reachability.yaml");
/** Where each mode's own connection is written, as problems name it. */
const MODES_FILE = "components/llmModes.ts";

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const NAMED_PORTS = ["litellmPort", "selfHostedPort"] as const;
export type NamedPort = (typeof NAMED_PORTS)[number];
export type PortRef = number | NamedPort;

export interface ExternalAddress {
    id: string;
    ip: string;
    description: string;
}

export interface Probe {
    from: WorkloadId;
    /** A WorkloadId, or the id of one of the matrix's external addresses. */
    to: string;
    protocol: Protocol;
    port: PortRef;
    /** Modes in which the connection must be allowed. */
    allowed: LlmMode[];
    /** Modes in which the row applies at all. */
    modes: LlmMode[];
}

export interface Confinement {
    source: WorkloadId;
    modes: LlmMode[];
}

export interface Matrix {
    external: Record<string, ExternalAddress>;
    confined: Confinement[];
    probes: Probe[];
}

export type Verdict = "allowed" | "denied";

class MatrixError extends Error {
    constructor(file: string, problems: string[]) {
        super(`${file}: ${problems.length} problem(s):\n  - ${problems.join("\n  - ")}`);
    }
}

const isWorkload = (value: unknown): value is WorkloadId => (WORKLOAD_IDS as readonly unknown[]).includes(value);
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function modeList(value: unknown, where: string, problems: string[]): LlmMode[] {
    if (value === "all" || value === undefined) {
        return [...LLM_MODES];
    }
    if (!Array.isArray(value) || !value.every(isLlmMode)) {
        problems.push(`${where}: expected "all" or a list of ${LLM_MODES.join(", ")}; got ${JSON.stringify(value)}`);
        return [];
    }
    return value;
}

/** Parses the matrix; every malformed row is reported at once. */
export function parseMatrix(text: string, file = MATRIX_FILE): Matrix {
    const raw = YAML.parse(text) as {
        external?: Record<string, { ip?: unknown; description?: unknown }>;
        confined?: unknown[];
        probes?: unknown[];
    } | null;
    const problems: string[] = [];
    const external: Record<string, ExternalAddress> = {};
    for (const [id, entry] of Object.entries(raw?.external ?? {})) {
        if (isWorkload(id)) {
            problems.push(`external.${id}: the name is a workload id`);
        }
        if (typeof entry?.ip !== "string" || !IPV4.test(entry.ip) || typeof entry.description !== "string") {
            problems.push(`external.${id}: expected { ip: <IPv4 address>, description: <text> }`);
            continue;
        }
        external[id] = { id, ip: entry.ip, description: entry.description };
    }
    const confined: Confinement[] = (raw?.confined ?? []).map((c, i) => {
        const entry = c as { source?: unknown; modes?: unknown };
        if (!isWorkload(entry.source)) {
            problems.push(
                `confined[${i}].source: unknown workload ${JSON.stringify(entry.source)}; known: ${WORKLOAD_IDS.join(", ")}`,
            );
        }
        return { source: entry.source as WorkloadId, modes: modeList(entry.modes, `confined[${i}].modes`, problems) };
    });
    // Each mode's own connection from trial pods is its entry's `reaches`: allowed in that mode
    // and in no other. The rows are checked like the file's own.
    const rows: { where: string; row: Record<string, unknown> }[] = [
        ...LLM_MODES.map((mode) => ({
            where: `${MODES_FILE} ${mode}.reaches`,
            row: { from: "trial", ...llmMode(mode).reaches, allowed: [mode] },
        })),
        ...(raw?.probes ?? []).map((p, i) => ({ where: `probes[${i}]`, row: p as Record<string, unknown> })),
    ];
    const seen = new Map<string, string>();
    const probes: Probe[] = rows.map(({ where, row }) => {
        const known = new Set(["from", "to", "protocol", "port", "allowed", "modes"]);
        for (const key of Object.keys(row)) {
            if (!known.has(key)) {
                problems.push(`${where}: unknown key "${key}"`);
            }
        }
        if (!isWorkload(row.from)) {
            problems.push(
                `${where}.from: unknown workload ${JSON.stringify(row.from)}; known: ${WORKLOAD_IDS.join(", ")}`,
            );
        }
        if (!isWorkload(row.to) && !(typeof row.to === "string" && row.to in external)) {
            problems.push(`${where}.to: ${JSON.stringify(row.to)} is neither a workload nor an external address`);
        }
        if (!(PROTOCOLS as readonly unknown[]).includes(row.protocol)) {
            problems.push(`${where}.protocol: expected one of ${PROTOCOLS.join(", ")}`);
        }
        const port = row.port;
        const portOk =
            (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) ||
            (NAMED_PORTS as readonly unknown[]).includes(port);
        if (!portOk) {
            problems.push(
                `${where}.port: expected 1-65535 or one of ${NAMED_PORTS.join(", ")}; got ${JSON.stringify(port)}`,
            );
        }
        const connection = `${String(row.from)} -> ${String(row.to)} ${String(row.protocol)}/${String(port)}`;
        const first = seen.get(connection);
        if (first !== undefined) {
            problems.push(`${where}: ${connection} is already expected by ${first}`);
        }
        seen.set(connection, where);
        const allowed =
            row.allowed === undefined
                ? (problems.push(`${where}.allowed: missing`), [])
                : modeList(row.allowed, `${where}.allowed`, problems);
        const modes = modeList(row.modes, `${where}.modes`, problems);
        for (const m of allowed) {
            if (!modes.includes(m)) {
                problems.push(`${where}: allowed in ${m}, but the row does not apply to ${m}`);
            }
        }
        return {
            from: row.from as WorkloadId,
            to: row.to as string,
            protocol: row.protocol as Protocol,
            port: port as PortRef,
            allowed,
            modes,
        };
    });
    if (probes.length === 0) {
        problems.push("no probes");
    }
    if (problems.length > 0) {
        throw new MatrixError(file, problems);
    }
    return { external, confined, probes };
}

export function loadMatrix(file = MATRIX_FILE): Matrix {
    return parseMatrix(fs.readFileSync(file, "utf8"), file);
}

/** undefined where the row does not apply in that mode. */
export function expectedVerdict(probe: Probe, mode: LlmMode): Verdict | undefined {
    if (!probe.modes.includes(mode)) {
        return undefined;
    }
    return probe.allowed.includes(mode) ? "allowed" : "denied";
}

export function resolvePort(port: PortRef, ports: Record<NamedPort, number>): number {
    return typeof port === "number" ? port : ports[port];
}

export function probeName(probe: Probe, ports?: Record<NamedPort, number>): string {
    const port = ports ? resolvePort(probe.port, ports) : probe.port;
    return `${probe.from} -> ${probe.to} ${probe.protocol}/${port}`;
}
