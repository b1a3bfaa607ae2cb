// The kubectl side of the preview benchmark: `kubectl apply --dry-run=server` of the dev
// stack's objects against the local control plane, median of 5 warm runs. The Pulumi side
// (`pulumi preview`) needs the kubernetes provider plugin, which cannot be built here
// (README, "The real Pulumi engine"); where it is installed, time `pulumi preview -s dev`
// beside this figure. Run: scripts/local-control-plane/start.sh -- npx ts-node --transpile-only bench/apply-dry-run.ts
import { spawnSync } from "child_process";
import { renderStack, toYaml } from "../scripts/render/manifests";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function kubectlApply(yaml: string, dryRun: boolean): number {
    const start = Date.now();
    const r = spawnSync(
        "kubectl",
        [
            "apply",
            "--server-side",
            "--field-manager=abevalflow-bench",
            ...(dryRun ? ["--dry-run=server"] : []),
            "-f",
            "-",
        ],
        { input: yaml, encoding: "utf8" },
    );
    if (r.status !== 0) {
        throw new Error(`kubectl apply failed: ${r.stderr}`);
    }
    return Date.now() - start;
}

async function main(): Promise<void> {
    if (!process.env.KUBECONFIG) {
        throw new Error("KUBECONFIG is not set: run under scripts/local-control-plane/start.sh -- ...");
    }
    const renderStart = Date.now();
    const manifests = await renderStack("dev");
    const yaml = toYaml(manifests);
    console.log(`render of the dev stack under mocks: ${Date.now() - renderStart} ms, ${manifests.length} objects`);
    // The namespace must exist for a dry run of namespaced objects; the first apply creates it.
    console.log(`first (real) server-side apply: ${kubectlApply(yaml, false)} ms`);
    const times = Array.from({ length: RUNS }, () => kubectlApply(yaml, true));
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
    console.log(
        `kubectl apply --server-side --dry-run=server, warm: median ${median} ms over ${RUNS} runs (${times.join(", ")})`,
    );
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
