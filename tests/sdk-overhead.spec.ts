// common/sdkOverhead.ts against the installed Pulumi SDK: each deferred require is one the SDK
// makes, loading the SDK with the deferral loads none of those modules, and what uses them still
// works (function serialization, code paths, the Automation API's CLI runner); each of these runs
// in a fresh node process, since this one has loaded the SDK already. And stack traces are left
// unmapped only by the compiled program.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { DEFERRED_REQUIRES, unmappedStackTraces } from "../common/sdkOverhead";

const ROOT = path.resolve(__dirname, "..");
const NODE_MODULES = path.join(ROOT, "node_modules");

/** Runs `script` in a fresh node process (from the repository, with ts-node) and returns what it printed as JSON. */
function inFreshProcess(script: string, deferring = true): unknown {
    const setup = deferring ? `require(${JSON.stringify(path.join(ROOT, "common", "sdkOverhead"))});\n` : "";
    const r = spawnSync(
        process.execPath,
        [
            "-r",
            "ts-node/register/transpile-only",
            "-e",
            `${setup}(async () => { ${script} })().then((v) => console.log(JSON.stringify(v)), (e) => { console.error(e); process.exit(1); });`,
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "null");
}

/** Script text: the deferred modules that are loaded, by their entry in DEFERRED_REQUIRES. */
const LOADED = `
    const deferred = ${JSON.stringify(DEFERRED_REQUIRES)};
    const loaded = Object.keys(require.cache);
    const resolveFrom = (d) => require.resolve(d.request, { paths: [require("path").dirname(require.resolve(d.from.split(require("path").sep).join("/")))] });
    return deferred.filter((d) => loaded.includes(resolveFrom(d))).map((d) => d.request);`;

describe("common/sdkOverhead.ts against the installed Pulumi SDK", function () {
    this.timeout(120_000);

    it("defers only requires the SDK makes, from the files it names", () => {
        for (const { from, request } of DEFERRED_REQUIRES) {
            const file = path.join(NODE_MODULES, from);
            expect(fs.existsSync(file), `${from} is gone from the SDK: update DEFERRED_REQUIRES`).to.equal(true);
            expect(
                fs.readFileSync(file, "utf8"),
                `${from} no longer requires ${request}: update DEFERRED_REQUIRES`,
            ).to.contain(`require("${request}")`);
        }
    });

    it("loads none of them with the SDK, which without the deferral loads them all", () => {
        const script = `require("@pulumi/pulumi"); ${LOADED}`;
        expect(inFreshProcess(script, false)).to.have.members(DEFERRED_REQUIRES.map((d) => d.request));
        expect(inFreshProcess(script)).to.deep.equal([]);
    });

    it("still serializes a function and computes code paths, loading the compiler and Arborist then", () => {
        const result = inFreshProcess(`
            const pulumi = require("@pulumi/pulumi");
            const offset = 41;
            const serialized = await pulumi.runtime.serializeFunction(() => offset + 1);
            const paths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: ["yaml"] });
            const loaded = (() => { ${LOADED} })();
            return { text: serialized.text, paths: [...paths.keys()].some((p) => p.includes("yaml")), loaded };`) as {
            text: string;
            paths: boolean;
            loaded: string[];
        };
        expect(result.text).to.contain("offset + 1").and.contain("41");
        expect(result.paths).to.equal(true);
        expect(result.loaded).to.include.members([
            "../../typescript-shim",
            "@npmcli/arborist",
            "normalize-package-data",
        ]);
    });

    it("still runs the CLI through the Automation API (execa)", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-overhead-cli-"));
        try {
            fs.mkdirSync(path.join(root, "bin"));
            fs.writeFileSync(path.join(root, "bin", "pulumi"), "#!/bin/sh\necho v3.999.0\n", { mode: 0o755 });
            const version = inFreshProcess(`
                const pulumi = require("@pulumi/pulumi");
                const cli = await pulumi.automation.PulumiCommand.get({ root: ${JSON.stringify(root)}, skipVersionCheck: true });
                return cli.version.toString();`);
            expect(version).to.equal("3.999.0");
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("turns the runner's stack-trace mapping off only when the entry point runs compiled", () => {
        // Read and restored as a property: this process's own mapping (ts-node's) stays as it was.
        const hook = (): unknown => Reflect.get(Error, "prepareStackTrace");
        const before = hook();
        const mapping = (error: Error): string => `mapped ${error.message}`;
        try {
            Error.prepareStackTrace = mapping;
            unmappedStackTraces(path.join(ROOT, "index.ts"));
            expect(hook()).to.equal(mapping);
            unmappedStackTraces(path.join(ROOT, "bin", "index.js"));
            expect(hook()).to.equal(undefined);
            expect(new Error("plain").stack).to.match(/^Error: plain\n {4}at /);
        } finally {
            Reflect.set(Error, "prepareStackTrace", before);
        }
    });
});
