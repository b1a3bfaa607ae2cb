// The real engine's costs on the local control plane, beside kubectl, in one run: `pulumi up`
// from empty, a no-change `up`, and warm `pulumi preview` of the dev stack with and without the
// policy pack against `kubectl apply --server-side --dry-run=server` of the same objects, the
// three interleaved round by round so that load from elsewhere on the machine falls on each
// alike; medians of BENCH_RUNS. The program and the pack run as `npm run build` compiled them.
// Prints figures; never fails on time. Run: npm run bench:engine
//
// On a control plane without nodes (ABEVALFLOW_NODES=0) no pod runs, so the objects whose
// readiness needs running pods are left out of every `up` (--exclude); the previews then plan
// them as creates, and kubectl's dry run creates them too. The stack reads no EndpointSlice for
// the API server, which that control plane does not publish.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { stackFileConfig } from "../components/config";
import { renderStack, toYaml } from "../scripts/render/manifests";
import { KINDS_NEEDING_PODS, ok, PulumiWorkspace } from "../scripts/engine/workspace";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The pack's goal: a preview with the pack within this many times kubectl's dry run. */
const GOAL_RATIO = 6;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function line(label: string, times: number[]): string {
    return `${label.padEnd(58)} median ${String(median(times)).padStart(6)} ms  (${times.join(", ")})`;
}

/** Whether the cluster of this run has nodes (scripts/local-control-plane/start.sh's state file). */
function clusterHasNodes(): boolean {
    const state = process.env.ABEVALFLOW_CLUSTER_STATE;
    if (!state || !fs.existsSync(state)) {
        throw new Error(
            `ABEVALFLOW_CLUSTER_STATE names no cluster state file (${state ?? "unset"}): run through \`npm run bench:engine\``,
        );
    }
    return /^NODES_REQUESTED=1$/m.test(fs.readFileSync(state, "utf8"));
}

/** Stack `name` with dev's values, for a control plane without nodes: see the header. */
function initStackWithoutNodes(ws: PulumiWorkspace, name: string): void {
    ws.initStack(name, undefined);
    const file = path.join(ws.cwd, `Pulumi.${name}.yaml`);
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    doc.config = { ...stackFileConfig("dev"), "abevalflow:apiServerCidrs": ["127.0.0.1/32"] };
    fs.writeFileSync(file, YAML.stringify(doc));
}

async function main(): Promise<void> {
    if (!process.env.KUBECONFIG) {
        throw new Error(
            "KUBECONFIG is not set: run through `npm run bench:engine`, which starts the local control plane",
        );
    }
    const nodes = clusterHasNodes();
    const ws = new PulumiWorkspace();
    const stack = "bench-dev";
    try {
        if (nodes) {
            ws.initStack(stack, "dev");
        } else {
            initStackWithoutNodes(ws, stack);
        }
        const withoutPods = nodes
            ? []
            : [...KINDS_NEEDING_PODS.flatMap((type) => ["--exclude", `**${type}::**`]), "--exclude-dependents"];
        const upOnce = (): number =>
            ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...withoutPods, ...ws.policyArgs("dev")]).ms;
        const label = nodes ? "" : ` (left out: ${KINDS_NEEDING_PODS.join(", ")}; no nodes)`;

        console.log(`pulumi up from empty (dev, policy pack)${label}: ${upOnce()} ms`);
        const noChange = Array.from({ length: 3 }, upOnce);

        const yaml = toYaml(await renderStack("dev"));
        const kubectl = (): number =>
            ok(
                "kubectl",
                [
                    "apply",
                    "--server-side",
                    "--force-conflicts",
                    "--field-manager=abevalflow-bench",
                    "--dry-run=server",
                    "-f",
                    "-",
                ],
                { input: yaml },
            ).ms;
        const previews: number[] = [];
        const bare: number[] = [];
        const applies: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            previews.push(ws.pulumiOk(["preview", "-s", stack, ...ws.policyArgs("dev")]).ms);
            bare.push(ws.pulumiOk(["preview", "-s", stack]).ms);
            applies.push(kubectl());
        }
        console.log(line("pulumi up, no change (policy pack)", noChange));
        console.log(line("pulumi preview, warm (policy pack)", previews));
        console.log(line("pulumi preview, warm (no policy pack)", bare));
        console.log(line("kubectl apply --server-side --dry-run=server, warm", applies));
        const ratio = median(previews) / median(applies);
        console.log(
            `preview / kubectl: ${ratio.toFixed(1)}x with the pack (goal: within ${GOAL_RATIO}x, ${ratio <= GOAL_RATIO ? "met" : "not met"}), ` +
                `${(median(bare) / median(applies)).toFixed(1)}x without; the pack adds ${median(previews) - median(bare)} ms`,
        );
    } finally {
        const destroy = ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", stack]);
        console.log(`pulumi destroy: ${destroy.ms} ms (exit ${destroy.status})`);
        ws.dispose();
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
