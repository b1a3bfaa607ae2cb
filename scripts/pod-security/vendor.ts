// The upstream Pod Security fixtures kept in third_party/pod-security-admission/: which module
// version they come from, and the proof that they are that version's files. The version is not
// written here or there: it follows from KUBERNETES_VERSION in scripts/toolchain/versions.env (the
// kube-apiserver the e2e suites run), as every k8s.io staging module does (v1.34.4 -> v0.34.4).
//
// The proof is Go's own module checksum (the `h1:` of go.sum and of the checksum database):
// SHA256SUMS holds the sha256 of every file of the module, named as Go names them, and the
// checksum is the sha256 of exactly that text. So the tests check, offline, that SHA256SUMS
// hashes to the recorded `h1:` and that each vendored file hashes to its line.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const MODULE = "k8s.io/pod-security-admission";
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const VENDOR_DIR = path.join(REPO_ROOT, "third_party", "pod-security-admission");
const VERSIONS_ENV = path.join(REPO_ROOT, "scripts", "toolchain", "versions.env");

/** Written by the refresh script beside the fixtures. */
export interface VendoredModule {
    module: string;
    version: string;
    /** Go's module checksum, `h1:<base64 sha256>`. */
    sum: string;
    /** The fixtures' version directory: the newest the module has, what "latest" enforces. */
    fixturesVersion: string;
}

export const MODULE_FILE = "module.json";
export const SUMS_FILE = "SHA256SUMS";
/** Files the refresh script writes itself; every other vendored file is the module's. */
export const OWN_FILES = [MODULE_FILE, SUMS_FILE, "README.md"];
export const LEVELS = ["baseline", "restricted"] as const;

/** The module version and fixture directory the pinned Kubernetes release implies. */
export function pinnedModule(): { version: string; fixturesVersion: string; kubernetes: string } {
    const text = fs.readFileSync(VERSIONS_ENV, "utf8");
    const m = /^KUBERNETES_VERSION=v1\.(\d+)\.(\d+)$/m.exec(text);
    if (!m) {
        throw new Error(`${VERSIONS_ENV} has no KUBERNETES_VERSION=v1.MINOR.PATCH`);
    }
    return { version: `v0.${m[1]}.${m[2]}`, fixturesVersion: `v1.${m[1]}`, kubernetes: `v1.${m[1]}.${m[2]}` };
}

export function sha256Hex(data: Buffer | string): string {
    return createHash("sha256").update(data).digest("hex");
}

/** Go's dirhash Hash1 over the lines of a SHA256SUMS text. */
export function h1(sums: string): string {
    return `h1:${createHash("sha256").update(sums).digest("base64")}`;
}

/** Go's bytewise string order, which dirhash sorts file names in. */
export function byteOrder(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** SHA256SUMS text for files given by module-relative path: `<hex>  <module>@<version>/<path>` lines in Go's order. */
export function sumsText(version: string, files: ReadonlyMap<string, string>): string {
    // Every name shares the `<module>@<version>/` prefix, so sorting the paths sorts the names.
    return [...files.keys()]
        .sort(byteOrder)
        .map((rel) => `${files.get(rel)}  ${MODULE}@${version}/${rel}\n`)
        .join("");
}

/** SHA256SUMS parsed back: module-relative path to hex digest. */
export function parseSums(text: string, version: string): Map<string, string> {
    const prefix = `${MODULE}@${version}/`;
    const sums = new Map<string, string>();
    for (const line of text.split("\n").filter((l) => l !== "")) {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
        if (!m || !m[2].startsWith(prefix)) {
            throw new Error(`${SUMS_FILE}: unexpected line ${JSON.stringify(line)} (want "<sha256>  ${prefix}<path>")`);
        }
        sums.set(m[2].slice(prefix.length), m[1]);
    }
    return sums;
}

/** The module-relative paths a clean vendoring keeps: the license and the fixtures of one version. */
export function isVendored(rel: string, fixturesVersion: string): boolean {
    return rel === "LICENSE" || LEVELS.some((level) => rel.startsWith(`test/testdata/${level}/${fixturesVersion}/`));
}

/** Every file under a directory, as `/`-separated paths relative to it. */
export function filesUnder(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
            if (entry.isDirectory()) {
                walk(child);
            } else {
                out.push(child);
            }
        }
    };
    walk("");
    return out.sort(byteOrder);
}

export function readVendoredModule(): VendoredModule {
    return JSON.parse(fs.readFileSync(path.join(VENDOR_DIR, MODULE_FILE), "utf8")) as VendoredModule;
}

export type Level = (typeof LEVELS)[number];

/** One upstream fixture: a pod that Pod Security admission admits (pass) or refuses (fail) at its level. */
export interface Fixture {
    level: Level;
    verdict: "pass" | "fail";
    /** `capabilities_baseline0`: the upstream file name without .yaml. */
    name: string;
    /** The check the file is named after, lower-cased as upstream names files; "base" for the minimal valid pods. */
    check: string;
    pod: { metadata?: { annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

/** Every vendored fixture, by level, verdict and file name. */
export function loadFixtures(): Fixture[] {
    const { fixturesVersion } = readVendoredModule();
    const fixtures: Fixture[] = [];
    for (const level of LEVELS) {
        for (const verdict of ["pass", "fail"] as const) {
            const dir = path.join(VENDOR_DIR, "test", "testdata", level, fixturesVersion, verdict);
            for (const file of fs
                .readdirSync(dir)
                .filter((f) => f.endsWith(".yaml"))
                .sort()) {
                const name = file.slice(0, -".yaml".length);
                const check = /^base(_linux|_windows)?$/.test(name) ? "base" : name.replace(/\d+$/, "");
                const pod = YAML.parse(fs.readFileSync(path.join(dir, file), "utf8")) as Fixture["pod"];
                fixtures.push({ level, verdict, name, check, pod });
            }
        }
    }
    return fixtures;
}
