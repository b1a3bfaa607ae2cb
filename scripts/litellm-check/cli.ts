// `npx ts-node --transpile-only scripts/litellm-check/cli.ts [STACK]`: the real-proxy check
// for a committed stack (default dev), switched to llmMode litellm. Exits 1 on any failure.
import { withMode } from "../engine/program-run";
import { checkLiteLLM, formatReport } from "./check";

async function main(): Promise<number> {
    const stack = process.argv[2] ?? "dev";
    const report = await checkLiteLLM(withMode(stack, "litellm"));
    console.log(formatReport(report));
    return report.failures.length === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        console.error(err.stack ?? err.message);
        process.exit(1);
    },
);
