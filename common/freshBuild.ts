// Imported first by the program's and the policy pack's entry points. Run as compiled
// JavaScript (bin/, policy/bin/), it refuses output older than a source it was compiled from,
// so a preview never runs yesterday's program or rules after a pull or an edit without
// `npm run build`. Loaded from the sources (ts-node, as the tests do) it checks nothing. It
// compares modification times of about fifty files: a few milliseconds.
import * as fs from "fs";
import * as path from "path";

/** The configuration beside each output folder that builds it (scripts/build/build.ts). */
export const BUILD_CONFIG = "tsconfig.build.json";

interface BuildConfig {
    extends?: string;
    compilerOptions?: { rootDir?: string };
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((entry) =>
            entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
        );
}

/** The source an output was compiled (or copied, for JSON) from. */
function sourceOf(output: string, outDir: string, rootDir: string): string | undefined {
    const rel = path.relative(outDir, output);
    if (rel.endsWith(".js")) {
        return path.join(rootDir, rel.replace(/\.js$/, ".ts"));
    }
    return rel.endsWith(".json") ? path.join(rootDir, rel) : undefined;
}

/**
 * The sources (and build configurations) changed after `outDir` was compiled, relative to the
 * sources' root. Empty when `outDir` has no build configuration beside it: a published policy
 * pack carries its compiled files and no sources.
 */
export function staleSources(outDir: string): string[] {
    const configFile = path.join(path.dirname(outDir), BUILD_CONFIG);
    if (!fs.existsSync(configFile)) {
        return [];
    }
    const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as BuildConfig;
    const rootDir = path.resolve(path.dirname(configFile), config.compilerOptions?.rootDir ?? ".");
    const outputs = filesUnder(outDir).filter((f) => !f.endsWith(".map"));
    const mtime = (file: string): number => fs.statSync(file).mtimeMs;
    const stale = outputs.flatMap((output) => {
        const source = sourceOf(output, outDir, rootDir);
        return source !== undefined && fs.existsSync(source) && mtime(source) > mtime(output) ? [source] : [];
    });
    // Options change every output: a configuration newer than the oldest output is stale too.
    const oldest = Math.min(...outputs.map(mtime));
    const configs = [configFile, ...(config.extends ? [path.resolve(path.dirname(configFile), config.extends)] : [])];
    stale.push(...configs.filter((file) => mtime(file) > oldest));
    return stale.map((file) => path.relative(rootDir, file)).sort();
}

export function refuseStaleBuild(outDir: string): void {
    const stale = staleSources(outDir);
    if (stale.length > 0) {
        throw new Error(
            `The compiled JavaScript in ${outDir} is older than its sources: ${stale.join(", ")} changed since it was built; ` +
                "expected output built after its last change: run `npm run build` (npm ci runs it) in the repository, then run this again",
        );
    }
}

if (path.extname(__filename) === ".js") {
    // Compiled to <outDir>/common/freshBuild.js, in the program's build and in the pack's.
    refuseStaleBuild(path.dirname(__dirname));
}
