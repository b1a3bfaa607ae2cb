// The real Pulumi CLI and other commands as child processes, and a Pulumi workspace on a
// private file backend: used by the e2e suites and the engine benchmark.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Kinds whose readiness the provider waits for needs running pods (a cluster with nodes). */
export const KINDS_NEEDING_PODS = ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];

export interface Result {
    status: number;
    stdout: string;
    stderr: string;
    output: string;
    ms: number;
}

export function run(
    command: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Result {
    const start = Date.now();
    const r = spawnSync(command, args, {
        cwd: opts.cwd ?? REPO_ROOT,
        env: { ...process.env, ...opts.env },
        input: opts.input,
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 10 * 60_000,
        maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) {
        throw new Error(`${command} ${args.join(" ")}: ${r.error.message}`);
    }
    const stdout = r.stdout ?? "";
    const stderr = r.stderr ?? "";
    return { status: r.status ?? -1, stdout, stderr, output: stdout + stderr, ms: Date.now() - start };
}

/** As run, without blocking the event loop, so a test can watch the cluster meanwhile. */
export function runAsync(
    command: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
    const start = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            cwd: opts.cwd ?? REPO_ROOT,
            env: { ...process.env, ...opts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (e) => reject(new Error(`${command} ${args.join(" ")}: ${e.message}`)));
        child.on("close", (code) =>
            resolve({ status: code ?? -1, stdout, stderr, output: stdout + stderr, ms: Date.now() - start }),
        );
    });
}

/** Runs and throws with the command's output when it fails. */
export function ok(command: string, args: string[], opts: Parameters<typeof run>[2] = {}): Result {
    const r = run(command, args, opts);
    if (r.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.output.slice(-6000)}`);
    }
    return r;
}

/**
 * A Pulumi workspace on a private file backend, so suites never touch a user's stacks. A
 * workspace made with `shareBackendOf` runs another project directory against the same
 * backend and stacks (and leaves the backend to its owner).
 */
export class PulumiWorkspace {
    readonly backend: string;
    readonly env: NodeJS.ProcessEnv;
    private readonly ownsBackend: boolean;
    private readonly stackFiles: string[] = [];

    constructor(
        readonly cwd: string = REPO_ROOT,
        shareBackendOf?: PulumiWorkspace,
    ) {
        this.ownsBackend = shareBackendOf === undefined;
        this.backend = shareBackendOf?.backend ?? fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-e2e-backend-"));
        this.env = {
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: "e2e-throwaway",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
    }

    pulumi(args: string[], opts: { input?: string } = {}): Result {
        const stop = this.beforeUp(args);
        try {
            return run("pulumi", [...args, "--non-interactive", "--cwd", this.cwd], {
                env: this.env,
                cwd: this.cwd,
                input: opts.input,
            });
        } finally {
            stop();
        }
    }

    pulumiAsync(args: string[]): Promise<Result> {
        const stop = this.beforeUp(args);
        return runAsync("pulumi", [...args, "--non-interactive", "--cwd", this.cwd], {
            env: this.env,
            cwd: this.cwd,
        }).finally(stop);
    }

    /** As pulumi, and throws with the output when the command fails. */
    pulumiOk(args: string[], opts: { input?: string } = {}): Result {
        const r = this.pulumi(args, opts);
        if (r.status !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${r.output.slice(-8000)}`);
        }
        return r;
    }

    /** Creates stack `name` with the values of committed stack `base` plus `extra` config. */
    initStack(name: string, base: string | undefined, extra: Record<string, string> = {}): void {
        const init = this.pulumi(["stack", "init", name, "--secrets-provider", "passphrase"]);
        if (init.status !== 0) {
            throw new Error(`pulumi stack init ${name}: ${init.output}`);
        }
        const file = path.join(this.cwd, `Pulumi.${name}.yaml`);
        this.stackFiles.push(file);
        if (base) {
            ok("node", [
                path.join(REPO_ROOT, "scripts/local-deploy/stack-file.js"),
                path.join(this.cwd, `Pulumi.${base}.yaml`),
                file,
            ]);
        }
        for (const [key, value] of Object.entries(extra)) {
            this.config(name, key, value);
        }
    }

    /** path: the key is a path into a structured value, such as `abevalflow:litellmModels[2]`. */
    config(stack: string, key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): void {
        // Flags before "--": everything after it is the key and the value, even a value that starts with "-".
        // --plaintext: the CLI refuses a value it guesses is a secret (by the key's name and the
        // value's entropy), e.g. litellmVertexCredentialsSecretName = vertex-service-account.
        const r = run(
            "pulumi",
            [
                "config",
                "set",
                "--non-interactive",
                "--cwd",
                this.cwd,
                "-s",
                stack,
                ...(opts.secret ? ["--secret"] : ["--plaintext"]),
                ...(opts.path ? ["--path"] : []),
                "--",
                key,
                value,
            ],
            { env: this.env, cwd: this.cwd },
        );
        if (r.status !== 0) {
            throw new Error(`pulumi config set ${key}: ${r.output}`);
        }
    }

    /**
     * What an operator creates for a litellm-mode stack that names its Vertex key Secret
     * (docs/operations.md): the Secret in the stack's namespace, here with a throwaway key, so
     * the proxy starts and the Deployment's readiness wait is met as on a cluster. A process
     * beside the `up` creates it once the program has made the namespace, so a refused or
     * failing `up` leaves the cluster as it was; the returned function stops it.
     */
    private beforeUp(args: string[]): () => void {
        const none = (): void => undefined;
        const at = args.indexOf("-s");
        const file = args[0] !== "up" || at < 0 ? "" : path.join(this.cwd, `Pulumi.${args[at + 1]}.yaml`);
        if (file === "" || !fs.existsSync(file)) {
            return none;
        }
        const config =
            (YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
        const value = (key: string): string =>
            typeof config[`abevalflow:${key}`] === "string" ? (config[`abevalflow:${key}`] as string) : "";
        const secretName = value("litellmVertexCredentialsSecretName");
        if ((value("llmMode") || "litellm") !== "litellm" || secretName === "" || value("namespace") === "") {
            return none;
        }
        const env: NodeJS.ProcessEnv = { ...this.env, ABEVALFLOW_CLUSTER_ID: value("clusterId") };
        const context = value("kubeContext");
        const watcher = spawn(
            process.execPath,
            [
                path.join(REPO_ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                "--transpile-only",
                path.join(REPO_ROOT, "scripts", "local-deploy", "vertex-secret.ts"),
                "--when-namespace-appears",
                value("namespace"),
                secretName,
                ...(context ? ["--context", context] : []),
            ],
            { env: { ...process.env, ...env }, stdio: "ignore" },
        );
        return () => watcher.kill();
    }

    policyArgs(policyConfig: string): string[] {
        return [
            "--policy-pack",
            path.join(REPO_ROOT, "policy"),
            "--policy-pack-config",
            path.join(REPO_ROOT, "policy", "config", `${policyConfig}.json`),
        ];
    }

    outputs(stack: string): Record<string, unknown> {
        const r = this.pulumi(["stack", "output", "-s", stack, "--json"]);
        if (r.status !== 0) {
            throw new Error(`pulumi stack output: ${r.output}`);
        }
        return JSON.parse(r.stdout) as Record<string, unknown>;
    }

    dispose(): void {
        for (const file of this.stackFiles) {
            fs.rmSync(file, { force: true });
        }
        if (this.ownsBackend) {
            fs.rmSync(this.backend, { recursive: true, force: true });
        }
    }
}
