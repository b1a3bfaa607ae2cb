// Starts the real LiteLLM proxy from the cached virtualenv on loopback and stops it again.
// The proxy gets a scrubbed environment: nothing from the caller's shell (cloud
// credentials, HTTP proxies) reaches it.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

export const LOOPBACK = "127.0.0.1";

export interface ProxyProcess {
    child: ChildProcess;
    port: number;
    logFile: string;
    /** Set once the process has exited. */
    exit?: { code: number | null; signal: NodeJS.Signals | null };
    /** Resolves when the process has exited. */
    exited: Promise<void>;
}

/** Fails when something already listens on the port, so the checks never talk to a stranger. */
export function assertPortFree(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", (err: NodeJS.ErrnoException) =>
            reject(
                new Error(
                    `port ${port} on ${LOOPBACK} is taken (${err.code}); the check runs the proxy on the Deployment's own port, so free it first`,
                ),
            ),
        );
        server.listen(port, LOOPBACK, () => server.close(() => resolve()));
    });
}

export function startProxy(
    venv: string,
    args: string[],
    env: Record<string, string>,
    port: number,
    logFile: string,
): ProxyProcess {
    const out = fs.openSync(logFile, "w");
    const child = spawn(path.join(venv, "bin", "litellm"), args, { env, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    let markExited: () => void = () => undefined;
    const proc: ProxyProcess = {
        child,
        port,
        logFile,
        exited: new Promise<void>((resolve) => {
            markExited = resolve;
        }),
    };
    child.once("exit", (code, signal) => {
        proc.exit = { code, signal };
        markExited();
    });
    return proc;
}

export interface HttpAnswer {
    status: number;
    body: string;
}

export async function get(
    port: number,
    urlPath: string,
    headers: Record<string, string> = {},
    timeoutMs = 10_000,
): Promise<HttpAnswer> {
    const res = await fetch(`http://${LOOPBACK}:${port}${urlPath}`, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `urlPath` answers 200; throws when the process exits first or time runs out. */
export async function waitUntilServing(proc: ProxyProcess, urlPath: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
        if (proc.exit) {
            throw new Error(
                `the proxy exited before serving (code ${proc.exit.code}, signal ${proc.exit.signal}); log: ${proc.logFile}\n${tail(proc.logFile)}`,
            );
        }
        try {
            const answer = await get(proc.port, urlPath, {}, 2_000);
            if (answer.status === 200) {
                return;
            }
            last = `HTTP ${answer.status}`;
        } catch (err) {
            last = (err as Error).message;
        }
        await sleep(250);
    }
    throw new Error(
        `the proxy did not answer 200 on ${urlPath} within ${timeoutMs / 1000}s (last: ${last}); log: ${proc.logFile}\n${tail(proc.logFile)}`,
    );
}

/** SIGTERM, then SIGKILL after the grace period; returns whether it stopped on SIGTERM. */
export async function stopProxy(proc: ProxyProcess, graceMs = 15_000): Promise<boolean> {
    if (proc.exit) {
        return true;
    }
    proc.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const clean = await Promise.race([
        proc.exited.then(() => true),
        new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), graceMs);
        }),
    ]);
    clearTimeout(timer);
    if (!clean) {
        proc.child.kill("SIGKILL");
        await proc.exited;
    }
    return clean;
}

export function tail(file: string, lines = 30): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}
