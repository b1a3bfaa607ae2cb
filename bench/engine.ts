// The real engine's costs on the local control plane, beside kubectl: `pulumi up` from empty,
// a no-change `up`, warm `pulumi preview` of the dev stack (median of BENCH_RUNS) against
// `kubectl apply --server-side --dry-run=server` of the same objects, and the program's
// start-up under the real language host, ts-node transpile-only (Pulumi.yaml) against
// precompiled JavaScript. Prints figures; never fails on time. Run: npm run bench:engine
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderStack, toYaml } from "../scripts/render/manifests";
import { ok, PulumiWorkspace, REPO_ROOT, run } from "../scripts/engine/workspace";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function line(label: string, times: number[]): string {
    return `${label.padEnd(58)} median ${String(median(times)).padStart(6)} ms  (${times.join(", ")})`;
}

/** The project as a copy whose Pulumi.yaml runs tsc's output instead of index.ts through ts-node. */
function precompiledProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-bench-js-"));
    ok(path.join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json", "--outDir", path.join(dir, "bin"), "--noEmit", "false"]);
    const project = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")
        .replace(/runtime:\n(?: {2}.*\n)+/, "runtime:\n  name: nodejs\n  options:\n    typescript: false\nmain: bin/index.js\n");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project);
    for (const file of ["package.json", "Pulumi.dev.yaml"]) {
        fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    // tsc does not emit the plain-JS cleanup program: the compiled component imports it from
    // bin/, and reads it as the CronJob's script beside the project file, as in the repository.
    for (const target of [path.join(dir, "bin", "cleanup"), path.join(dir, "cleanup")]) {
        fs.cpSync(path.join(REPO_ROOT, "cleanup", "cleanup.js"), path.join(target, "cleanup.js"));
    }
    // The proxy's hook, read beside the project file as in the repository.
    fs.cpSync(path.join(REPO_ROOT, "litellm"), path.join(dir, "litellm"), { recursive: true });
    return dir;
}

async function main(): Promise<void> {
    if (!process.env.KUBECONFIG) {
        throw new Error("KUBECONFIG is not set: run through `npm run bench:engine`, which starts the local control plane");
    }
    const ws = new PulumiWorkspace();
    const stack = "bench-dev";
    let jsDir = "";
    let jsWs: PulumiWorkspace | undefined;
    try {
        ws.initStack(stack, "dev");
        const preview = () => ws.pulumiOk(["preview", "-s", stack, ...ws.policyArgs("dev")]).ms;
        const upOnce = () => ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs("dev")]).ms;

        console.log(`pulumi up from empty (dev, policy pack): ${upOnce()} ms`);
        const noChange = Array.from({ length: 3 }, upOnce);
        console.log(line("pulumi up, no change", noChange));
        const previews = Array.from({ length: RUNS }, preview);
        console.log(line("pulumi preview, warm (policy pack)", previews));
        const bare = Array.from({ length: RUNS }, () => ws.pulumiOk(["preview", "-s", stack]).ms);
        console.log(line("pulumi preview, warm (no policy pack)", bare));

        const yaml = toYaml(await renderStack("dev"));
        const applies = Array.from({ length: RUNS }, () => {
            const r = run("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager=abevalflow-bench", "--dry-run=server", "-f", "-"], { input: yaml });
            if (r.status !== 0) {
                throw new Error(`kubectl apply --dry-run=server failed: ${r.output}`);
            }
            return r.ms;
        });
        console.log(line("kubectl apply --server-side --dry-run=server, warm", applies));
        console.log(`preview / kubectl: ${(median(previews) / median(applies)).toFixed(1)}x with the pack, ${(median(bare) / median(applies)).toFixed(1)}x without`);

        // Start-up: the same preview, program loaded two ways; the difference is the program's load.
        jsDir = precompiledProject();
        fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), path.join(jsDir, `Pulumi.${stack}.yaml`));
        jsWs = new PulumiWorkspace(jsDir, ws);
        const ts = Array.from({ length: RUNS }, () => ws.pulumiOk(["preview", "-s", stack]).ms);
        const js = Array.from({ length: RUNS }, () => jsWs!.pulumiOk(["preview", "-s", stack]).ms);
        console.log(line("preview, program through ts-node transpile-only", ts));
        console.log(line("preview, program precompiled by tsc", js));
        console.log(`start-up difference under the real language host: ${median(ts) - median(js)} ms`);
    } finally {
        const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", stack]);
        console.log(`pulumi destroy: ${destroy.ms} ms (exit ${destroy.status})`);
        jsWs?.dispose();
        ws.dispose();
        if (jsDir) {
            fs.rmSync(jsDir, { recursive: true, force: true });
        }
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
