// Loads plain Kubernetes YAML the way `kubectl apply -f` reads it: files or directories
// (recursively), several documents per file, `List` kinds expanded into their items.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { isRecord, K8sObject } from "../lib/k8s";

export interface Manifest {
    object: K8sObject;
    /** `file#3`: the file and the document's position in it, for notes and errors. */
    source: string;
}

export interface Loaded {
    manifests: Manifest[];
    /** Documents that are not Kubernetes objects (no apiVersion/kind), skipped. */
    skipped: string[];
    files: number;
}

/** Unreadable input or YAML that does not parse: the message names the file and line. */
export class InputError extends Error {}

// YAML 1.2 core types plus merge keys, like the Go YAML Kubernetes uses: no timestamp
// conversion, so a date in an annotation stays the string it is.
// (The typings do not export js-yaml's own merge type; this is its definition.)
const MERGE_KEY = new yaml.Type("tag:yaml.org,2002:merge", {
    kind: "scalar",
    resolve: (data: unknown) => data === "<<" || data === null,
});
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [MERGE_KEY] });

const MANIFEST_FILE = /\.ya?ml$/i;

/**
 * The manifest files under a directory, symlinks followed as kubectl follows them (to files
 * and to directories, each directory read once, so a link back up cannot loop). A FIFO,
 * device or socket with a manifest's name is refused: reading it would hang or never end.
 */
function filesUnder(dir: string, seen = new Set<string>()): string[] {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) {
        return [];
    }
    seen.add(real);
    const found: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        let stat: fs.Stats;
        try {
            stat = entry.isSymbolicLink() ? fs.statSync(full) : fs.lstatSync(full);
        } catch (err) {
            throw new InputError(
                `${full}: cannot read: ${(err as Error).message}${entry.isSymbolicLink() ? " (a symlink whose target is gone)" : ""}`,
            );
        }
        if (stat.isDirectory()) {
            if (!entry.name.startsWith(".") && entry.name !== "node_modules") {
                found.push(...filesUnder(full, seen));
            }
        } else if (MANIFEST_FILE.test(entry.name)) {
            found.push(regularFile(full, stat));
        }
    }
    return found;
}

/** The path, when it is a regular file; a clear refusal otherwise. */
function regularFile(file: string, stat: fs.Stats): string {
    if (!stat.isFile()) {
        const what = stat.isFIFO()
            ? "a FIFO"
            : stat.isCharacterDevice() || stat.isBlockDevice()
              ? "a device"
              : stat.isSocket()
                ? "a socket"
                : "not a regular file";
        throw new InputError(
            `${file}: is ${what}, not a regular file; give manifests as files, a directory of them, or - for standard input`,
        );
    }
    return file;
}

/**
 * Aliases are shared, not copied, by the parser, but every rule walks the document as if
 * they were: a few lines of nested aliases become millions of values. Counted as the rules
 * would visit them, a document may hold this many values; the largest real manifests (CRDs)
 * hold tens of thousands.
 */
export const MAX_DOCUMENT_VALUES = 1_000_000;

function checkExpansion(doc: unknown, source: string): void {
    let count = 0;
    const onPath = new Set<object>();
    const visit = (value: unknown): void => {
        if (++count > MAX_DOCUMENT_VALUES) {
            throw new InputError(
                `${source}: expands to more than ${MAX_DOCUMENT_VALUES.toLocaleString("en")} values through YAML aliases (an alias bomb?); refused`,
            );
        }
        if (value === null || typeof value !== "object") {
            return;
        }
        if (onPath.has(value)) {
            throw new InputError(
                `${source}: a YAML alias refers to a node that contains it; no Kubernetes object can be cyclic`,
            );
        }
        onPath.add(value);
        for (const child of Array.isArray(value) ? value : Object.values(value)) {
            visit(child);
        }
        onPath.delete(value);
    };
    visit(doc);
}

function expand(doc: unknown, source: string, into: Loaded): void {
    if (doc === null || doc === undefined) {
        return;
    }
    if (isRecord(doc) && typeof doc.kind === "string" && doc.kind.endsWith("List") && Array.isArray(doc.items)) {
        doc.items.forEach((item, i) => expand(item, `${source} items[${i}]`, into));
        return;
    }
    if (isRecord(doc) && typeof doc.apiVersion === "string" && typeof doc.kind === "string") {
        into.manifests.push({ object: doc, source });
        return;
    }
    into.skipped.push(source);
}

export function parseManifests(text: string, file: string, into: Loaded): void {
    let docs: unknown[];
    try {
        docs = yaml.loadAll(text, null, { filename: file, schema: SCHEMA });
    } catch (err) {
        if (err instanceof yaml.YAMLException) {
            throw new InputError(
                `${file}:${err.mark.line + 1}:${err.mark.column + 1}: YAML does not parse: ${err.reason}`,
            );
        }
        throw err;
    }
    docs.forEach((doc, i) => {
        checkExpansion(doc, `${file}#${i + 1}`);
        expand(doc, `${file}#${i + 1}`, into);
    });
    into.files += 1;
}

function readText(file: string): string {
    try {
        return file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new InputError(`${file === "-" ? "standard input" : file}: cannot read: ${(err as Error).message}`);
    }
}

function describePath(given: string): string {
    return given === "-" ? "standard input" : given;
}

/**
 * `-` reads standard input, so `helm template . | policy:check -- -` works. Every path must
 * yield at least one Kubernetes object: a mistyped directory, an empty one or an empty pipe
 * would otherwise be checked, found clean and passed.
 */
export function loadPaths(paths: readonly string[]): Loaded {
    const loaded: Loaded = { manifests: [], skipped: [], files: 0 };
    const empty: { path: string; why: string }[] = [];
    for (const given of paths) {
        let files = [given];
        if (given !== "-") {
            let stat: fs.Stats;
            try {
                stat = fs.statSync(given);
            } catch (err) {
                throw new InputError(`${given}: cannot read: ${(err as Error).message}`);
            }
            files = stat.isDirectory() ? filesUnder(given) : [regularFile(given, stat)];
            if (stat.isDirectory() && files.length === 0) {
                empty.push({
                    path: given,
                    why: "the directory holds no *.yaml or *.yml files (hidden directories and node_modules are not read)",
                });
                continue;
            }
        }
        const before = loaded.manifests.length;
        const skippedBefore = loaded.skipped.length;
        for (const file of files) {
            parseManifests(readText(file), file, loaded);
        }
        if (loaded.manifests.length === before) {
            const skipped = loaded.skipped.length - skippedBefore;
            empty.push({
                path: describePath(given),
                why:
                    `read ${files.length} file${files.length === 1 ? "" : "s"} but found no document with apiVersion and kind` +
                    (skipped > 0 ? ` (skipped ${skipped} other${skipped === 1 ? "" : "s"})` : ""),
            });
        }
    }
    if (empty.length === 1) {
        throw new InputError(`${empty[0].path}: no Kubernetes objects to check: ${empty[0].why}`);
    }
    if (empty.length > 1) {
        throw new InputError(
            `no Kubernetes objects to check in ${empty.length} of the paths given:\n  ` +
                empty.map((e) => `${e.path}: ${e.why}`).join("\n  "),
        );
    }
    return loaded;
}
