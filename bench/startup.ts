// Program start-up as the Node.js language host pays it: loading index.ts (under mocks) with
// ts-node type-checking (Pulumi's default for TypeScript), ts-node transpile-only, and
// precompiled JavaScript. Each variant runs in a fresh process; prints medians, never fails
// on time.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineConfig, stackFileConfig } from "../components/config";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const DRIVER = `
const t0 = process.hrtime.bigint();
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
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-startup-"));
    try {
        const outDir = path.join(tmp, "bin");
        const compileStart = Date.now();
        execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--outDir", outDir, "--noEmit", "false"], { cwd: ROOT, stdio: "inherit" });
        const compileMs = Date.now() - compileStart;
        // The compiled tree resolves Pulumi.yaml by walking up; give it the project file.
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(outDir, "Pulumi.yaml"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(outDir, "node_modules"));
        fs.cpSync(path.join(ROOT, "cleanup", "cleanup.js"), path.join(outDir, "cleanup", "cleanup.js"));
        // The proxy's hook, read beside the project file as in the repository.
        fs.cpSync(path.join(ROOT, "litellm"), path.join(outDir, "litellm"), { recursive: true });
        const variants: { name: string; args: string[]; entry: string }[] = [
            { name: "ts-node, type-checking (Pulumi's default)", args: ["-r", "ts-node/register"], entry: path.join(ROOT, "index.ts") },
            { name: "ts-node, transpile-only", args: ["-r", "ts-node/register/transpile-only"], entry: path.join(ROOT, "index.ts") },
            { name: "precompiled JavaScript (tsc)", args: [], entry: path.join(outDir, "index.js") },
        ];
        const env = { ...process.env, BENCH_CONFIG: JSON.stringify(engineConfig(stackFileConfig("dev"))) };
        // Inside the repository, so that require() finds its node_modules; removed below.
        const driver = path.join(ROOT, `.bench-startup-driver-${process.pid}.js`);
        fs.writeFileSync(driver, DRIVER);
        console.log(`one tsc compile of the project: ${compileMs} ms`);
        console.log(`variant                                      median ms (${RUNS} runs, process start to program registered)`);
        try {
            for (const v of variants) {
                const times: number[] = [];
                for (let i = 0; i < RUNS; i++) {
                    const start = Date.now();
                    execFileSync(process.execPath, [...v.args, driver], { cwd: ROOT, env: { ...env, BENCH_ENTRY: v.entry }, encoding: "utf8" });
                    times.push(Date.now() - start);
                }
                console.log(`${v.name.padEnd(44)} ${median(times).toFixed(0).padStart(8)}   (min ${Math.min(...times)}, max ${Math.max(...times)})`);
            }
        } finally {
            fs.rmSync(driver, { force: true });
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main();
