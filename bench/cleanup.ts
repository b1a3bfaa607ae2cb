// Benchmark: one cleanup run over 10,000 PipelineRuns and 2,000 trial pods (half of each
// stale) on the local control plane, then, on identical PipelineRun data in fresh
// namespaces, cleanup restricted to PipelineRuns side by side with
// `tkn pipelinerun delete --keep-since`. Prints figures; never fails on time.
// Run through bench/cleanup.sh (it builds tkn and starts the control plane).
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cleanupEnv } from "../components/cleanupEnv";
import { loadConfig, objectConfigSource } from "../components/config";
import {
    AdminApi,
    Seed,
    connectionEnv,
    createAll,
    ensureTaskRunApi,
    namespaceWithCleanupAccount,
    paths,
    pipelineRun,
    runCleanup,
    taskRun,
    trialPod,
} from "../scripts/cleanup/testbed";

const RUNS = Number(process.env.BENCH_PIPELINERUNS ?? 10_000);
const PODS = Number(process.env.BENCH_PODS ?? 2_000);
const SEED_CONCURRENCY = 48;

// The stack's defaults, exactly as the CronJob would pass them.
const stack = loadConfig(objectConfigSource({ "abevalflow:namespace": "bench", "abevalflow:llmMode": "direct-api" }));
const maxAgeHours = stack.cleanup.pipelineRunMaxAgeHours;
const now = Date.now();

const runName = (i: number): string => `eval-${String(i).padStart(5, "0")}`;
/** Half stale (completed 1.2x the limit ago), half fresh (0.6x); one in five failed (i % 5 == 0). */
function runSeeds(ns: string): Seed[] {
    return Array.from({ length: RUNS }, (_, i) =>
        pipelineRun(ns, runName(i), (i % 2 === 0 ? 1.2 : 0.6) * maxAgeHours, i % 5 === 0, now),
    );
}

/** Two TaskRuns for each stale failed run, so the dead letter has records to copy. */
function taskRunSeeds(ns: string, uids: Map<string, string>): Seed[] {
    return Array.from({ length: RUNS }, (_, i) => i)
        .filter((i) => i % 10 === 0)
        .flatMap((i) =>
            ["build", "trial"].map((task) =>
                taskRun(ns, `${runName(i)}-${task}`, { name: runName(i), uid: uids.get(runName(i)) ?? "" }, now),
            ),
        );
}

function podSeeds(ns: string): Seed[] {
    const limit = stack.cleanup.trialPodMaxAgeHours;
    return Array.from({ length: PODS }, (_, i) => {
        const finished = (i % 2 === 0 ? 2 : 0.5) * limit;
        return trialPod(
            ns,
            `trial-${String(i).padStart(5, "0")}`,
            { phase: i % 4 < 2 ? "Succeeded" : "Failed", finishedHoursAgo: finished, startedHoursAgo: finished + 0.5 },
            now,
        );
    });
}

function programEnv(
    api: AdminApi,
    ns: string,
    token: string,
    deadLetter: string,
    kinds?: string,
): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of cleanupEnv(stack.cleanup, stack.trial.podLabels)) {
        if (typeof e.value === "string") {
            env[e.name as string] = e.value;
        }
    }
    return {
        ...env,
        NAMESPACE: ns,
        DEAD_LETTER_DIR: deadLetter,
        ...(kinds ? { CLEANUP_KINDS: kinds } : {}),
        ...connectionEnv(api, token),
    };
}

async function seed(api: AdminApi, what: string, seeds: Seed[]): Promise<Map<string, string>> {
    const start = Date.now();
    const uids = await createAll(api, seeds, SEED_CONCURRENCY);
    const s = (Date.now() - start) / 1000;
    console.log(
        `seeded ${seeds.length} ${what} in ${s.toFixed(1)}s (${Math.round((seeds.length * 2) / s)} requests/s)`,
    );
    return uids;
}

/** Asynchronous, so the admin client's pooled connections keep being serviced meanwhile. */
function runTool(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, output }));
    });
}

async function count(api: AdminApi, collection: string): Promise<number> {
    return (await api.names(collection)).length;
}

interface Figures {
    label: string;
    seconds: number;
    clientRequests?: number;
    serverRequests: number;
    remaining: string;
}

function show(r: Figures): Figures {
    console.log(
        `${r.label}: ${r.seconds.toFixed(2)} s, ${r.clientRequests ?? "-"} requests (server counted ${r.serverRequests}), left ${r.remaining}`,
    );
    return r;
}

function table(rows: Figures[]): void {
    console.log("\n| run | wall time | API requests (client / server-counted) | left afterwards |");
    console.log("|---|---|---|---|");
    for (const r of rows) {
        console.log(
            `| ${r.label} | ${r.seconds.toFixed(2)} s | ${r.clientRequests ?? "-"} / ${r.serverRequests} | ${r.remaining} |`,
        );
    }
}

async function main(): Promise<void> {
    const kubeconfig = process.env.KUBECONFIG;
    if (!kubeconfig) {
        throw new Error("KUBECONFIG is not set: run bench/cleanup.sh, which starts the local control plane");
    }
    const api = AdminApi.fromKubeconfig(kubeconfig);
    await ensureTaskRunApi(api);
    const id = crypto.randomBytes(3).toString("hex");
    const deadLetter = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-bench-dead-letter-"));
    process.on("exit", () => fs.rmSync(deadLetter, { recursive: true, force: true }));
    const rows: Figures[] = [];
    console.log(
        `cleanup benchmark: ${RUNS} PipelineRuns, ${PODS} trial pods, half stale; stack defaults ` +
            `(concurrency ${stack.cleanup.concurrency}, PipelineRun max age ${maxAgeHours}h, dead letter on); ${os.cpus().length} CPUs, ` +
            `load average ${os
                .loadavg()
                .map((l) => l.toFixed(1))
                .join(" ")}`,
    );

    // 1. The full run, as the CronJob does it.
    const full = `bench-full-${id}`;
    const fullToken = await namespaceWithCleanupAccount(api, full, true);
    await seed(api, "TaskRuns", taskRunSeeds(full, await seed(api, "PipelineRuns", runSeeds(full))));
    await seed(api, "trial pods", podSeeds(full));
    let before = await api.requestTotal();
    const run = await runCleanup(programEnv(api, full, fullToken, deadLetter));
    let served = (await api.requestTotal()) - before - 1;
    console.log(
        run.stdout
            .split("\n")
            .filter((l) => l.startsWith("summary") || l.startsWith("done"))
            .join("\n"),
    );
    if (run.code !== 0) {
        console.log(`cleanup exited ${run.code}: ${run.stderr.slice(-2000)}`);
    }
    rows.push(
        show({
            label: `cleanup, all kinds (${RUNS} runs + ${PODS} pods)`,
            seconds: run.ms / 1000,
            clientRequests: run.requests,
            serverRequests: served,
            remaining: `${await count(api, paths(full).pipelineRuns)} runs, ${await count(api, paths(full).pods)} pods`,
        }),
    );

    // 2. PipelineRuns only, identical data: cleanup, then tkn in its own namespace.
    const ours = `bench-prs-${id}`;
    const oursToken = await namespaceWithCleanupAccount(api, ours, true);
    await seed(api, "PipelineRuns", runSeeds(ours));
    before = await api.requestTotal();
    const prOnly = await runCleanup(programEnv(api, ours, oursToken, deadLetter, "pipelineruns"));
    served = (await api.requestTotal()) - before - 1;
    rows.push(
        show({
            label: "cleanup, PipelineRuns only",
            seconds: prOnly.ms / 1000,
            clientRequests: prOnly.requests,
            serverRequests: served,
            remaining: `${await count(api, paths(ours).pipelineRuns)} runs`,
        }),
    );

    const tkn = process.env.TKN;
    if (tkn && fs.existsSync(tkn)) {
        const theirs = `bench-tkn-${id}`;
        await namespaceWithCleanupAccount(api, theirs, true);
        await seed(api, "PipelineRuns", runSeeds(theirs));
        before = await api.requestTotal();
        const start = Date.now();
        // --keep-since counts minutes against status.completionTime; -f skips the prompt.
        const r = await runTool(
            tkn,
            ["pipelinerun", "delete", "--keep-since", String(maxAgeHours * 60), "-n", theirs, "-f"],
            { ...process.env, KUBECONFIG: kubeconfig },
        );
        const seconds = (Date.now() - start) / 1000;
        served = (await api.requestTotal()) - before - 1;
        console.log(`tkn: exit ${r.code}: ${r.output.trim().split("\n").slice(-3).join(" | ")}`);
        rows.push(
            show({
                label: "tkn pipelinerun delete --keep-since",
                seconds,
                serverRequests: served,
                remaining: `${await count(api, paths(theirs).pipelineRuns)} runs`,
            }),
        );
        table(rows);
        console.log(
            `\ntkn / cleanup (PipelineRuns only, identical data): ${(seconds / (prOnly.ms / 1000)).toFixed(1)}x`,
        );
    } else {
        table(rows);
        console.log("\ntkn not available (set TKN or let bench/cleanup.sh build it): no side-by-side figure");
    }
    console.log(
        `goals: full run under 30 s: ${run.ms < 30_000 ? "met" : "NOT met"}; at least 5x faster than tkn: see the ratio above`,
    );
    console.log(
        `load average at the end: ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(" ")} (other processes on the machine skew every figure)`,
    );
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
});
