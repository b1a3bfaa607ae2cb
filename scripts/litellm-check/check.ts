// The real-proxy check: run the program for the given stack values, take the LiteLLM
// Deployment and the config.yaml it mounts, start `litellm` (PyPI, same version as the
// image) on loopback with exactly that config and the Deployment's own args and port,
// and ask it what the probes, the Service and the clients ask it.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ProgramRun, runProgram } from "../engine/program-run";
import { proxyFacts, ProxyFacts } from "./deployment";
import {
    assertPortFree,
    get,
    HttpAnswer,
    LOOPBACK,
    ProxyProcess,
    startProxy,
    stopProxy,
    tail,
    waitUntilServing,
} from "./proxy";

export const ENSURE_SCRIPT = path.join(__dirname, "ensure-litellm.sh");

export interface CheckResult {
    name: string;
    ok: boolean;
    detail: string;
}

export interface LiteLLMReport {
    /** The PyPI version checked (the image tag). */
    version: string;
    venv: string;
    port: number;
    probePaths: string[];
    /** The configuration was accepted and the proxy started. */
    started: boolean;
    results: CheckResult[];
    /** Every failed check and inconsistency; empty when the check passes. */
    failures: string[];
    timings: { programMs: number; installMs: number; startMs: number; checksMs: number; stopMs: number };
    workDir: string;
    proxyLog: string;
}

export interface LiteLLMCheckOptions {
    /** A prepared virtualenv; by default ensure-litellm.sh provides (and caches) it. */
    venv?: string;
    workDir?: string;
    /**
     * Applied to the generated config text before the proxy reads it, so a test can show
     * that a broken renderer is caught. Never used by the CLI.
     */
    mutateConfig?: (configText: string) => string;
    /** Replaces env values the Deployment sets, for the same purpose. Never used by the CLI. */
    mutateEnv?: Record<string, string>;
    startTimeoutMs?: number;
}

/** Installs (or finds in the cache) litellm[proxy,google] at this version; returns the venv. */
export function ensureLiteLLM(version: string): string {
    const out = execFileSync(ENSURE_SCRIPT, [version], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const venv = out.trim().split("\n").pop() ?? "";
    if (!fs.existsSync(path.join(venv, "bin", "litellm"))) {
        throw new Error(`${ENSURE_SCRIPT} ${version} printed "${venv}", which has no bin/litellm`);
    }
    return venv;
}

export function installedVersion(venv: string): string {
    return execFileSync(
        path.join(venv, "bin", "python"),
        ["-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        { encoding: "utf8" },
    ).trim();
}

const MASTER_KEY_REF = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/;

/** Container paths under a mounted volume move under `root`, so the config reads local files. */
function localPath(containerPath: string, facts: ProxyFacts, root: string): string | undefined {
    const mount = facts.mountPaths.find((m) => containerPath === m.path || containerPath.startsWith(`${m.path}/`));
    return mount ? path.join(root, containerPath) : undefined;
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
    if (typeof value === "string") {
        return fn(value);
    }
    if (Array.isArray(value)) {
        return value.map((v) => mapStrings(v, fn));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
    }
    return value;
}

/** A service-account-shaped JSON with no real key: Vertex reads it only when a request goes upstream. */
function dummyServiceAccount(project: string): string {
    return JSON.stringify(
        {
            type: "service_account",
            project_id: project,
            private_key_id: "0",
            private_key: "-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n",
            client_email: `local-check@${project}.iam.gserviceaccount.com`,
            client_id: "0",
            token_uri: "https://oauth2.googleapis.com/token",
        },
        null,
        2,
    );
}

interface Prepared {
    args: string[];
    env: Record<string, string>;
    masterKey: string | undefined;
    configFile: string;
}

/** Lays out the container's files under `root` and builds its command line and environment. */
function prepare(
    facts: ProxyFacts,
    configText: string,
    venv: string,
    root: string,
    project: string,
    failures: string[],
    envOverrides: Record<string, string> = {},
): Prepared {
    const config = YAML.parse(configText) as Record<string, unknown> | null;
    const localConfig = mapStrings(config, (s) => {
        const local = localPath(s, facts, root);
        if (local && s !== facts.configPath) {
            const mount = facts.mountPaths.find((m) => s.startsWith(`${m.path}/`));
            if (mount?.volume.secret) {
                fs.mkdirSync(path.dirname(local), { recursive: true });
                fs.writeFileSync(local, dummyServiceAccount(project), { mode: 0o600 });
            }
        }
        return local ?? s;
    });
    const configFile = path.join(root, facts.configPath);
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, YAML.stringify(localConfig));
    for (const [name, text] of Object.entries(facts.configSiblings)) {
        fs.writeFileSync(path.join(path.dirname(configFile), name), text);
    }
    for (const m of facts.mountPaths) {
        fs.mkdirSync(path.join(root, m.path), { recursive: true });
    }

    // The config names the env var that holds the master key; the Deployment must fill it.
    const ref = (config?.general_settings as Record<string, unknown> | undefined)?.master_key;
    const masterKeyEnv = typeof ref === "string" ? MASTER_KEY_REF.exec(ref)?.[1] : undefined;
    if (!masterKeyEnv) {
        failures.push(
            `config.yaml: general_settings.master_key is ${JSON.stringify(ref)}, not os.environ/<VAR>; the proxy would run without a key from the Secret`,
        );
    } else if (!facts.env.fromSecrets.includes(masterKeyEnv)) {
        failures.push(
            `config.yaml reads the master key from ${masterKeyEnv}, which the Deployment does not set from a Secret (it sets: ${facts.env.fromSecrets.join(", ") || "none"})`,
        );
    }

    const env: Record<string, string> = {
        PATH: `${path.join(venv, "bin")}:/usr/bin:/bin`,
        LANG: "C.UTF-8",
    };
    for (const [name, value] of Object.entries({ ...facts.env.plain, ...envOverrides })) {
        env[name] = localPath(value, facts, root) ?? value;
    }
    let masterKey: string | undefined;
    for (const name of facts.env.fromSecrets) {
        // LiteLLM accepts only master keys that start with sk-.
        env[name] = `sk-${crypto.randomBytes(24).toString("hex")}`;
        if (name === masterKeyEnv) {
            masterKey = env[name];
        }
    }
    const args = facts.args.map((a) => (a === facts.configPath ? configFile : a));
    // Loopback only; everything else is the Deployment's command line.
    args.push("--host", LOOPBACK);
    return { args, env, masterKey, configFile };
}

function sameSet(a: string[], b: string[]): boolean {
    const sortedB = [...b].sort();
    return a.length === b.length && [...a].sort().every((v, i) => v === sortedB[i]);
}

/** Runs the check for the stack values `values` (as in a stack file); never throws for a failed check. */
export async function checkLiteLLM(
    values: Record<string, unknown>,
    options: LiteLLMCheckOptions = {},
): Promise<LiteLLMReport> {
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-litellm-"));
    fs.mkdirSync(workDir, { recursive: true });
    const report: LiteLLMReport = {
        version: "",
        venv: "",
        port: NaN,
        probePaths: [],
        started: false,
        results: [],
        failures: [],
        timings: { programMs: 0, installMs: 0, startMs: 0, checksMs: 0, stopMs: 0 },
        workDir,
        proxyLog: path.join(workDir, "proxy.log"),
    };
    const timed = async <T>(key: keyof LiteLLMReport["timings"], fn: () => T | Promise<T>): Promise<T> => {
        const start = Date.now();
        try {
            return await fn();
        } finally {
            report.timings[key] += Date.now() - start;
        }
    };

    // A configuration the program refuses stops here: no proxy is ever started for it.
    let run: ProgramRun;
    try {
        run = await timed("programMs", () => runProgram(values));
    } catch (err) {
        report.failures.push(
            `the program refuses this configuration, so the proxy was not started: ${(err as Error).message}`,
        );
        return report;
    }
    let facts: ProxyFacts;
    try {
        facts = proxyFacts(run);
    } catch (err) {
        report.failures.push((err as Error).message);
        return report;
    }
    report.failures.push(...facts.problems);
    report.version = facts.version;
    report.port = facts.port;
    report.probePaths = [...new Set(facts.probes.map((p) => p.path))];
    if (!facts.version || !Number.isInteger(facts.port) || !facts.configText) {
        return report;
    }
    const expectedModels = (run.config.litellm?.models ?? []).map((m) => m.name);

    report.venv = options.venv ?? (await timed("installMs", () => ensureLiteLLM(facts.version)));
    const installed = installedVersion(report.venv);
    if (installed !== facts.version) {
        report.failures.push(`the virtualenv ${report.venv} has litellm ${installed}, the image is ${facts.version}`);
        return report;
    }
    const configText = options.mutateConfig ? options.mutateConfig(facts.configText) : facts.configText;
    let proc: ProxyProcess | undefined;
    try {
        const prepared = prepare(
            facts,
            configText,
            report.venv,
            path.join(workDir, "root"),
            run.config.litellm?.vertexProject ?? "local-check",
            report.failures,
            options.mutateEnv,
        );
        await assertPortFree(facts.port);
        proc = startProxy(report.venv, prepared.args, prepared.env, facts.port, report.proxyLog);
        const started = proc;
        const liveness = facts.probes.find((p) => p.kind === "liveness")?.path ?? report.probePaths[0];
        await timed("startMs", () => waitUntilServing(started, liveness, options.startTimeoutMs ?? 120_000));
        report.started = true;

        await timed("checksMs", async () => {
            const check = (name: string, ok: boolean, detail: string) => {
                report.results.push({ name, ok, detail });
                if (!ok) {
                    report.failures.push(`${name}: ${detail}`);
                }
            };
            for (const probe of facts.probes) {
                const answer = await get(facts.port, probe.path);
                check(
                    `${probe.kind} probe GET ${probe.path} without a key answers 200`,
                    answer.status === 200,
                    `HTTP ${answer.status} ${answer.body.slice(0, 200)}`,
                );
            }
            const anonymous = await get(facts.port, "/v1/models");
            check(
                "GET /v1/models without a key is refused (401/403)",
                anonymous.status === 401 || anonymous.status === 403,
                `HTTP ${anonymous.status} ${anonymous.body.slice(0, 200)}`,
            );
            const wrong = await get(facts.port, "/v1/models", { Authorization: "Bearer sk-not-the-master-key" });
            check(
                "GET /v1/models with a wrong key is refused (4xx)",
                wrong.status >= 400 && wrong.status < 500,
                `HTTP ${wrong.status} ${wrong.body.slice(0, 200)}`,
            );
            const withKey = prepared.masterKey
                ? await get(facts.port, "/v1/models", { Authorization: `Bearer ${prepared.masterKey}` })
                : { status: 0, body: "no master key env var to send" };
            let listed: string[];
            try {
                listed = ((JSON.parse(withKey.body) as { data?: { id: string }[] }).data ?? []).map((m) => m.id);
            } catch {
                listed = [];
            }
            check(
                "GET /v1/models with the master key answers 200",
                withKey.status === 200,
                `HTTP ${withKey.status} ${withKey.body.slice(0, 200)}`,
            );
            check(
                "/v1/models lists exactly the stack's litellmModels",
                sameSet(listed, expectedModels),
                `listed [${listed.join(", ")}], configured [${expectedModels.join(", ")}]`,
            );
            // A caller's image URL: the proxy must refuse the request, and fetch nothing.
            const fetched = await remoteMediaRequest(facts.port, prepared.masterKey ?? "", expectedModels[0] ?? "none");
            check(
                "a chat request naming a remote image URL is refused (400) and the proxy fetches nothing",
                fetched.answer.status === 400 && fetched.connections === 0,
                `HTTP ${fetched.answer.status} ${fetched.answer.body.slice(0, 200)}; the URL's host saw ${fetched.connections} connection(s)`,
            );
        });
    } catch (err) {
        report.failures.push((err as Error).message);
    } finally {
        if (proc) {
            const stopping = proc;
            const clean = await timed("stopMs", () => stopProxy(stopping));
            if (!clean) {
                report.failures.push(
                    `the proxy did not stop within the grace period after SIGTERM and was killed; log: ${report.proxyLog}\n${tail(report.proxyLog)}`,
                );
            }
        }
    }
    // A failing run keeps its files and the proxy log for a look; a passing one leaves nothing behind.
    if (!options.workDir && report.failures.length === 0) {
        fs.rmSync(workDir, { recursive: true, force: true });
    }
    return report;
}

/**
 * Sends a chat request whose message names an image on a loopback listener of this process
 * (no file extension, so LiteLLM would download it itself rather than hand it to Google) and
 * counts the connections that listener gets.
 */
export async function remoteMediaRequest(
    port: number,
    masterKey: string,
    model: string,
): Promise<{ answer: HttpAnswer; connections: number }> {
    let connections = 0;
    const server = net.createServer((socket) => {
        connections++;
        socket.end("HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG");
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const { port: mediaPort } = server.address() as net.AddressInfo;
    try {
        const body = {
            model,
            messages: [
                {
                    role: "user",
                    content: [
                        { type: "text", text: "describe" },
                        { type: "image_url", image_url: { url: `http://${LOOPBACK}:${mediaPort}/media` } },
                    ],
                },
            ],
        };
        const res = await fetch(`http://${LOOPBACK}:${port}/v1/chat/completions`, {
            method: "POST",
            headers: { Authorization: `Bearer ${masterKey}`, "Content-Type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
        });
        const answer = { status: res.status, body: await res.text() };
        // A fetch that started just before the answer has had its time to connect.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { answer, connections };
    } finally {
        server.close();
    }
}

export function formatReport(report: LiteLLMReport): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    return [
        `LiteLLM ${report.version || "?"} (${report.venv || "not installed"}) on ${LOOPBACK}:${report.port}, probes ${report.probePaths.join(", ")}`,
        ...report.results.map((r) => `  ${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : ` (${r.detail})`}`),
        `  timings: program ${s(report.timings.programMs)}, install ${s(report.timings.installMs)}, start ${s(report.timings.startMs)}, checks ${s(report.timings.checksMs)}, stop ${s(report.timings.stopMs)}`,
        ...(report.failures.length > 0
            ? ["  failures:", ...report.failures.map((f) => `    - ${f}`)]
            : ["  no failures"]),
    ].join("\n");
}
