// `npx ts-node --transpile-only scripts/netpol/cli.ts [STACK]`: builds (or finds) np-guard's
// netpolicy, analyzes the program for a committed stack (default dev) in every llmMode and
// prints the measured matrix. Exits 1 when it differs from docs/reachability.yaml.
import { LLM_MODES } from "../../components/config";
import { runProgram, withMode } from "../engine/program-run";
import { analyzeRun, formatReports } from "./analyze";
import { ensureNetpolicy } from "./ensure";
import { loadMatrix } from "./matrix";

async function main(): Promise<number> {
    const stack = process.argv[2] ?? "dev";
    const binary = ensureNetpolicy();
    const matrix = loadMatrix();
    const reports = [];
    for (const mode of LLM_MODES) {
        const start = Date.now();
        const report = analyzeRun(await runProgram(withMode(stack, mode)), matrix, binary);
        console.error(
            `[netpol] ${mode}: ${report.source} manifests, ${report.results.length} probes, ${Date.now() - start} ms (${report.dir})`,
        );
        if (report.warnings.trim()) {
            console.error(`[netpol] ${mode}: netpolicy warnings:\n${report.warnings}`);
        }
        reports.push(report);
    }
    console.log(formatReports(matrix, reports));
    const failures = reports.flatMap((r) => r.failures);
    if (failures.length > 0) {
        console.error(
            `\n${failures.length} difference(s) from docs/reachability.yaml:\n  - ${failures.join("\n  - ")}`,
        );
        return 1;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        console.error(err.stack ?? err.message);
        process.exit(1);
    },
);
