// npm run pod-security:fixtures
//
// Re-vendors third_party/pod-security-admission/ from the Go module proxy: the module version
// that KUBERNETES_VERSION (scripts/toolchain/versions.env) implies, fetched with `go mod download`
// (which checks it against go's checksum database), its checksum verified again here over every
// file, then the license, the fixtures of the newest version directory (what an `enforce` label
// without `enforce-version` applies) and SHA256SUMS for the whole module are written. Run it after
// changing KUBERNETES_VERSION; tests/policy/pod-security-fixtures.spec.ts then holds
// policy/lib/podSecurity.ts to the new fixtures.
//
// Environment: GO, the go binary (default: go on PATH, else /usr/local/go/bin/go).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    filesUnder,
    h1,
    isVendored,
    LEVELS,
    MODULE,
    MODULE_FILE,
    pinnedModule,
    sha256Hex,
    sumsText,
    SUMS_FILE,
    VENDOR_DIR,
    VendoredModule,
} from "./vendor";

function goBinary(): string {
    if (process.env.GO) {
        return process.env.GO;
    }
    try {
        execFileSync("go", ["version"], { stdio: "ignore" });
        return "go";
    } catch {
        return "/usr/local/go/bin/go";
    }
}

/** `go mod download -json module@version`, run outside any module so no go.mod is touched. */
function download(version: string): { dir: string; sum: string } {
    const out = execFileSync(goBinary(), ["mod", "download", "-json", `${MODULE}@${version}`], {
        cwd: os.tmpdir(),
        encoding: "utf8",
        env: { ...process.env, GOTOOLCHAIN: "local" },
    });
    const info = JSON.parse(out) as { Dir?: string; Sum?: string; Error?: string };
    if (info.Error || !info.Dir || !info.Sum) {
        throw new Error(`go mod download ${MODULE}@${version}: ${info.Error ?? "no Dir or Sum in its answer"}`);
    }
    return { dir: info.Dir, sum: info.Sum };
}

function readme(m: VendoredModule, kubernetes: string, fixtures: Record<string, number>): string {
    return `# ${MODULE} ${m.version} (vendored subset)

Written by \`npm run pod-security:fixtures\` (scripts/pod-security/refresh.ts); do not edit.

- module: \`${MODULE}@${m.version}\`, checksum \`${m.sum}\`, the version matching
  \`KUBERNETES_VERSION=${kubernetes}\` in scripts/toolchain/versions.env
- kept: \`LICENSE\` (Apache License 2.0, the module's) and the Pod Security admission's fixtures
  for ${m.fixturesVersion}, the module's newest version directory, which is what a namespace
  labelled \`pod-security.kubernetes.io/enforce\` without \`enforce-version\` gets:
${LEVELS.map((l) => `  \`test/testdata/${l}/${m.fixturesVersion}/{pass,fail}/\` (${fixtures[l]} pods)`).join(",\n")}
- \`SHA256SUMS\`: the sha256 of every file of the module, kept or not, named as Go names them;
  Go's \`h1:\` checksum above is the sha256 of that file, so
  tests/policy/pod-security-fixtures.spec.ts proves offline that the kept files are the module's.

The fixtures are generated upstream by \`test/fixtures_*.go\`; each file is a pod that
Pod Security admission admits (\`pass/\`) or refuses (\`fail/\`) at that level, named after the
check (policy/check_*.go) it exercises. policy/lib/podSecurity.ts mirrors those checks.

To move to another Kubernetes release, change \`KUBERNETES_VERSION\`, run
\`npm run pod-security:fixtures\` (needs Go and the Go module proxy), update
\`POD_SECURITY_VERSION\` and the controls in policy/lib/podSecurity.ts to the new
policy/check_*.go, and run \`npx mocha tests/policy/pod-security-fixtures.spec.ts\`.
`;
}

function main(): void {
    const pinned = pinnedModule();
    console.error(`[pod-security] ${MODULE}@${pinned.version} (KUBERNETES_VERSION=${pinned.kubernetes})`);
    const { dir, sum } = download(pinned.version);
    const digests = new Map(filesUnder(dir).map((rel) => [rel, sha256Hex(fs.readFileSync(path.join(dir, rel)))]));
    const sums = sumsText(pinned.version, digests);
    if (h1(sums) !== sum) {
        throw new Error(
            `the module cache's ${dir} hashes to ${h1(sums)}, not its checksum ${sum}: run \`go clean -modcache\` and retry`,
        );
    }
    const versions = fs
        .readdirSync(path.join(dir, "test", "testdata", "baseline"))
        .filter((v) => /^v1\.\d+$/.test(v))
        .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
    const newest = versions[versions.length - 1];
    if (newest !== pinned.fixturesVersion) {
        throw new Error(`${MODULE}@${pinned.version}'s newest fixtures are ${newest}, not ${pinned.fixturesVersion}`);
    }
    fs.rmSync(VENDOR_DIR, { recursive: true, force: true });
    const counts: Record<string, number> = {};
    for (const rel of digests.keys()) {
        if (isVendored(rel, newest)) {
            const target = path.join(VENDOR_DIR, ...rel.split("/"));
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.copyFileSync(path.join(dir, rel), target);
            fs.chmodSync(target, 0o644);
            const level = LEVELS.find((l) => rel.startsWith(`test/testdata/${l}/`));
            if (level !== undefined) {
                counts[level] = (counts[level] ?? 0) + 1;
            }
        }
    }
    const vendored: VendoredModule = { module: MODULE, version: pinned.version, sum, fixturesVersion: newest };
    fs.writeFileSync(path.join(VENDOR_DIR, SUMS_FILE), sums);
    fs.writeFileSync(path.join(VENDOR_DIR, MODULE_FILE), `${JSON.stringify(vendored, null, 2)}\n`);
    fs.writeFileSync(path.join(VENDOR_DIR, "README.md"), readme(vendored, pinned.kubernetes, counts));
    console.error(
        `[pod-security] vendored ${Object.values(counts).reduce((a, b) => a + b, 0)} fixtures of ${newest} into ${VENDOR_DIR}`,
    );
}

try {
    main();
} catch (e) {
    console.error(`[pod-security] ERROR: ${(e as Error).message}`);
    process.exit(1);
}
