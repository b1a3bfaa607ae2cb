// Helpers for the end-to-end suites: run the real Pulumi CLI and kubectl against the local
// control plane that scripts/e2e.sh starts (KUBECONFIG) with the toolchain on PATH.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface Result { status: number; stdout: string; stderr: string; output: string; ms: number }

export function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Result {
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

/** Runs and throws with the command's output when it fails. */
export function ok(command: string, args: string[], opts: Parameters<typeof run>[2] = {}): Result {
    const r = run(command, args, opts);
    if (r.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${r.status}:\n${r.output.slice(-6000)}`);
    }
    return r;
}

export function requireCluster(): string {
    const kubeconfig = process.env.KUBECONFIG;
    if (!kubeconfig || !fs.existsSync(kubeconfig)) {
        throw new Error("KUBECONFIG is not set to a running control plane: run the e2e suites through `npm run test:e2e`");
    }
    return kubeconfig;
}

export function kubectlJson<T>(args: string[]): T {
    return JSON.parse(ok("kubectl", [...args, "-o", "json"]).stdout) as T;
}

/** A Pulumi workspace on a private file backend, so suites never touch a user's stacks. */
export class PulumiWorkspace {
    readonly backend = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-e2e-backend-"));
    readonly env: NodeJS.ProcessEnv = {
        PULUMI_BACKEND_URL: `file://${this.backend}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-throwaway",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    private readonly stackFiles: string[] = [];

    constructor(readonly cwd: string = REPO_ROOT) {}

    pulumi(args: string[], opts: { input?: string } = {}): Result {
        return run("pulumi", [...args, "--non-interactive", "--cwd", this.cwd], { env: this.env, cwd: this.cwd, input: opts.input });
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
            ok("node", [path.join(REPO_ROOT, "scripts/local/stack-file.js"), path.join(this.cwd, `Pulumi.${base}.yaml`), file]);
        }
        for (const [key, value] of Object.entries(extra)) {
            this.config(name, key, value);
        }
    }

    config(stack: string, key: string, value: string, secret = false): void {
        // Flags before "--": everything after it is the key and the value, even a value that starts with "-".
        const r = run("pulumi", ["config", "set", "--non-interactive", "--cwd", this.cwd, "-s", stack, ...(secret ? ["--secret"] : []), "--", key, value],
            { env: this.env, cwd: this.cwd });
        if (r.status !== 0) {
            throw new Error(`pulumi config set ${key}: ${r.output}`);
        }
    }

    policyArgs(policyConfig: string): string[] {
        return ["--policy-pack", path.join(REPO_ROOT, "policy"), "--policy-pack-config", path.join(REPO_ROOT, "policy", "config", `${policyConfig}.json`)];
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
        fs.rmSync(this.backend, { recursive: true, force: true });
    }
}
