// Program start-up as the Node.js language host pays it: loading index.ts (under mocks) with
// ts-node type-checking (Pulumi's default for TypeScript), ts-node transpile-only, and the
// JavaScript `npm run build` compiles, which is what Pulumi.yaml runs (common/sdkOverhead.ts
// loaded first, as the compiled entry point loads it). Each variant runs in a fresh process;
// prints medians, never fails on time.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { engineConfig, stackFileConfig } from "../components/config";
import { build, REPO_ROOT } from "../scripts/build/build";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const DRIVER = `
const t0 = process.hrtime.bigint();
if (process.env.BENCH_PRELOAD) require(process.env.BENCH_PRELOAD);
const pulumi = require("@pulumi/pulumi");
pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: { ...a.inputs, result: "x" } }), call: (a) => a.inputs }, "abevalflow", "dev", false);
pulumi.runtime.setAllConfig(JSON.parse(process.env.BENCH_CONFIG));
require(process.env.BENCH_ENTRY);
console.log(Number(process.hrtime.bigint() - t0) / 1e6);
`;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
    const compileStart = Date.now();
    const [program] = build();
    const compileMs = Date.now() - compileStart;
    const variants: { name: string; args: string[]; entry: string; preload?: string }[] = [
        {
            name: "ts-node, type-checking (Pulumi's default)",
            args: ["-r", "ts-node/register"],
            entry: path.join(REPO_ROOT, "index.ts"),
        },
        {
            name: "ts-node, transpile-only",
            args: ["-r", "ts-node/register/transpile-only"],
            entry: path.join(REPO_ROOT, "index.ts"),
        },
        {
            name: "compiled (npm run build)",
            args: [],
            entry: path.join(program.outDir, "index.js"),
            preload: path.join(program.outDir, "common", "sdkOverhead.js"),
        },
    ];
    // The driver's mocks answer no read, so the API server's addresses are given, not looked up.
    const config = engineConfig({ ...stackFileConfig("dev"), "abevalflow:apiServerCidrs": ["10.0.0.1/32"] });
    const env = { ...process.env, BENCH_CONFIG: JSON.stringify(config) };
    // Inside the repository, so that require() finds its node_modules; removed below.
    const driver = path.join(REPO_ROOT, `.bench-startup-driver-${process.pid}.js`);
    fs.writeFileSync(driver, DRIVER);
    console.log(`npm run build (program and pack, type-checked): ${compileMs} ms`);
    console.log(
        `variant                                      median ms (${RUNS} runs, process start to program registered)`,
    );
    try {
        for (const v of variants) {
            const times: number[] = [];
            for (let i = 0; i < RUNS; i++) {
                const start = Date.now();
                execFileSync(process.execPath, [...v.args, driver], {
                    cwd: REPO_ROOT,
                    env: { ...env, BENCH_ENTRY: v.entry, BENCH_PRELOAD: v.preload ?? "" },
                    encoding: "utf8",
                });
                times.push(Date.now() - start);
            }
            console.log(
                `${v.name.padEnd(44)} ${median(times).toFixed(0).padStart(8)}   (min ${Math.min(...times)}, max ${Math.max(...times)})`,
            );
        }
    } finally {
        fs.rmSync(driver, { force: true });
    }
}

main();
