// The compiled program (bin/) and policy pack (policy/bin/) that Pulumi runs: each holds exactly
// what a fresh compilation of its sources gives, Pulumi.yaml and the pack's package.json load
// them, the pack's own install compiles it, and compiled output older than its sources refuses
// to run (common/freshBuild.ts).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { BUILD_CONFIG, filesUnder, staleSources } from "../common/freshBuild";
import { Compiled, compileAll, REPO_ROOT } from "../scripts/build/build";

/** Writes `files` (relative path to text) under `root`, each modified `ageSeconds` ago. */
function writeTree(root: string, files: Record<string, string>, ageSeconds: number): void {
    const when = new Date(Date.now() - ageSeconds * 1000);
    for (const [rel, text] of Object.entries(files)) {
        const file = path.join(root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        fs.utimesSync(file, when, when);
    }
}

/** A temporary folder, removed after the suite. */
function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}

describe("the compiled program and policy pack", function () {
    this.timeout(120_000);
    let fresh: Compiled[];
    const of = (dir: string): Compiled => {
        const found = fresh.find((b) => path.dirname(b.configFile) === dir);
        if (!found) {
            throw new Error(`no build configuration in ${dir}`);
        }
        return found;
    };
    const program = (): Compiled => of(REPO_ROOT);
    const pack = (): Compiled => of(path.join(REPO_ROOT, "policy"));

    before(() => {
        fresh = compileAll(REPO_ROOT, false);
    });

    it("bin/ and policy/bin/ hold exactly what their sources compile to (else: npm run build)", () => {
        for (const build of fresh) {
            const onDisk = fs.existsSync(build.outDir) ? filesUnder(build.outDir) : [];
            const rel = (f: string): string => path.relative(REPO_ROOT, f);
            const found = {
                missing: [...build.files.keys()].filter((f) => !fs.existsSync(f)).map(rel),
                differing: [...build.files]
                    .filter(([f, text]) => fs.existsSync(f) && fs.readFileSync(f, "utf8") !== text)
                    .map(([f]) => rel(f)),
                extra: onDisk.filter((f) => !build.files.has(f)).map(rel),
            };
            expect(
                found,
                `${rel(build.outDir)} is not what ${rel(build.configFile)} compiles to: run npm run build`,
            ).to.deep.equal({ missing: [], differing: [], extra: [] });
            expect(
                staleSources(build.outDir),
                `${rel(build.outDir)} is older than its sources: run npm run build`,
            ).to.deep.equal([]);
        }
    });

    it("Pulumi.yaml runs the compiled program, without ts-node", () => {
        const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
            main?: string;
            runtime: { options?: Record<string, unknown> };
        };
        expect(path.resolve(REPO_ROOT, project.main ?? ".")).to.equal(path.join(program().outDir, "index.js"));
        expect(program().files.has(path.join(program().outDir, "index.js"))).to.equal(true);
        // typescript: false keeps the runner from registering ts-node and loading the compiler.
        expect(project.runtime.options?.typescript).to.equal(false);
        expect(JSON.stringify(project.runtime.options ?? {})).to.not.contain("ts-node");
    });

    it("the pack's package.json main is its compiled entry point", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8")) as {
            main?: string;
        };
        const main = path.resolve(REPO_ROOT, "policy", manifest.main ?? "index.js");
        expect(pack().files.has(main), `${main} is not an output of policy/${BUILD_CONFIG}`).to.equal(true);
        expect(path.relative(pack().outDir, main)).to.equal(path.join("policy", "index.js"));
    });

    describe("the pack's own install (npm install or pulumi install in policy/)", () => {
        const root = tempDir("abevalflow-pack-install-");

        it("in a checkout, compiles the pack to what the build gives", () => {
            for (const rel of ["tsconfig.json", "common", "policy"]) {
                fs.cpSync(path.join(REPO_ROOT, rel), path.join(root, "checkout", rel), {
                    recursive: true,
                    filter: (src) => !src.includes("node_modules") && !src.startsWith(pack().outDir),
                });
            }
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "checkout", "node_modules"));
            const r = spawnSync("npm", ["run", "prepare"], {
                cwd: path.join(root, "checkout", "policy"),
                encoding: "utf8",
            });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
            for (const [file, text] of pack().files) {
                const copy = path.join(root, "checkout", path.relative(REPO_ROOT, file));
                expect(fs.readFileSync(copy, "utf8"), path.relative(REPO_ROOT, file)).to.equal(text);
            }
        });

        it("as published (compiled files, no sources), builds nothing and succeeds", () => {
            const published = path.join(root, "published");
            for (const rel of ["package.json", "PulumiPolicy.yaml", "bin"]) {
                fs.cpSync(path.join(REPO_ROOT, "policy", rel), path.join(published, rel), { recursive: true });
            }
            const r = spawnSync("npm", ["run", "prepare"], { cwd: published, encoding: "utf8" });
            expect(r.status, r.stdout + r.stderr).to.equal(0);
            expect(staleSources(path.join(published, "bin"))).to.deep.equal([]);
        });
    });

    describe("output older than its sources", () => {
        const root = tempDir("abevalflow-fresh-");
        const config = JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { rootDir: "." } });

        it("names each source and build configuration changed since the build", () => {
            const dir = path.join(root, "unit");
            writeTree(
                dir,
                { "tsconfig.json": "{}", [BUILD_CONFIG]: config, "a.ts": "", "lib/b.ts": "", "lib/data.json": "[]" },
                60,
            );
            writeTree(dir, { "bin/a.js": "", "bin/lib/b.js": "", "bin/lib/data.json": "[]", "bin/gone.js": "" }, 30);
            expect(staleSources(path.join(dir, "bin"))).to.deep.equal([]);
            writeTree(dir, { "lib/b.ts": "// changed", "lib/data.json": "[1]" }, 0);
            expect(staleSources(path.join(dir, "bin"))).to.deep.equal([
                path.join("lib", "b.ts"),
                path.join("lib", "data.json"),
            ]);
            writeTree(dir, { "tsconfig.json": '{ "compilerOptions": {} }' }, 0);
            expect(staleSources(path.join(dir, "bin"))).to.include("tsconfig.json");
        });

        it("is refused by the compiled program and the compiled pack before they load anything else", () => {
            for (const [name, build, source] of [
                ["program", program(), "index.ts"],
                ["pack", pack(), path.join("policy", "index.ts")],
            ] as const) {
                const copy = path.join(root, name);
                const configs = [
                    path.join(REPO_ROOT, "tsconfig.json"),
                    path.join(REPO_ROOT, "policy", "tsconfig.json"),
                    build.configFile,
                ];
                writeTree(
                    copy,
                    Object.fromEntries(
                        [...configs, path.join(REPO_ROOT, source)].map((f) => [
                            path.relative(REPO_ROOT, f),
                            fs.readFileSync(f, "utf8"),
                        ]),
                    ),
                    60,
                );
                writeTree(
                    copy,
                    Object.fromEntries([...build.files].map(([f, text]) => [path.relative(REPO_ROOT, f), text])),
                    30,
                );
                // Both builds compile from the repository's root (rootDir), so the output mirrors it.
                const entry = path.join(copy, path.relative(REPO_ROOT, build.outDir), source.replace(/\.ts$/, ".js"));
                const load = (): { status: number | null; stderr: string } =>
                    spawnSync(process.execPath, ["-e", `require(${JSON.stringify(entry)})`], {
                        cwd: copy,
                        encoding: "utf8",
                    });

                // Fresh: past the check, the first thing it loads is the SDK, which the copy does not have.
                expect(load().stderr, name).to.contain("Cannot find module").and.not.contain("older than its sources");
                writeTree(copy, { [source]: "// edited after the build\n" }, 0);
                const stale = load();
                expect(stale.status, name).to.not.equal(0);
                expect(stale.stderr, name)
                    .to.contain(`is older than its sources: ${source} changed since it was built`)
                    .and.contain("run `npm run build`");
            }
        });
    });
});
