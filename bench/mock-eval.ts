// Measures how long evaluating the program under Pulumi mocks takes per stack and LLM mode,
// and how many resources each registers. Prints figures; never fails on time.
import { performance } from "perf_hooks";
import { LLM_MODES } from "../components/config";
import { runProgram, withMode } from "../scripts/engine/program-run";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
    const first = performance.now();
    await runProgram(withMode("dev", "litellm"));
    console.log(`first evaluation (includes module loading): ${(performance.now() - first).toFixed(0)} ms`);
    console.log(`stack  llmMode       resources  median ms (${RUNS} runs)  max ms`);
    for (const stack of ["dev", "prod"]) {
        for (const mode of LLM_MODES) {
            const times: number[] = [];
            let count = 0;
            for (let i = 0; i < RUNS; i++) {
                const start = performance.now();
                const run = await runProgram(withMode(stack, mode));
                times.push(performance.now() - start);
                count = run.resources.length;
            }
            console.log(
                `${stack.padEnd(6)} ${mode.padEnd(13)} ${String(count).padStart(9)}  ${median(times).toFixed(1).padStart(20)}  ${Math.max(
                    ...times,
                )
                    .toFixed(1)
                    .padStart(6)}`,
            );
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
