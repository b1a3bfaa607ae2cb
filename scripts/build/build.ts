// The one build: compiles the program (tsconfig.build.json, into bin/) and the policy pack
// (policy/tsconfig.build.json, into policy/bin/) to the JavaScript that Pulumi.yaml's `main`
// and the pack's package.json `main` load, so neither `pulumi preview` nor the analyzer runs
// the TypeScript compiler. `npm ci` runs it (package.json `prepare`), and so do `up:local`,
// `test:e2e` and `bench:engine`. Each output folder is emptied first, so it holds exactly what
// its sources compile to; a type error fails the build and writes nothing. tests/build.spec.ts
// compares both folders with a fresh compilation; common/freshBuild.ts makes the compiled
// entry points refuse output older than its sources.
// Run: npm run build
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { BUILD_CONFIG } from "../../common/freshBuild";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Folders (relative to the repository) whose BUILD_CONFIG is compiled: the program and the pack. */
export const BUILD_DIRS = [".", "policy"];

export interface Compiled {
    configFile: string;
    outDir: string;
    /** Absolute path of every output file, with its text. */
    files: Map<string, string>;
}

/** A compiler host that parses each declaration file once for both builds (most of the time is there). */
function sharedHost(): (options: ts.CompilerOptions) => ts.CompilerHost {
    const cache = new Map<string, ts.SourceFile | undefined>();
    return (options) => {
        const host = ts.createCompilerHost(options);
        const parse = host.getSourceFile.bind(host);
        host.getSourceFile = (fileName, languageVersion, onError, fresh) => {
            const key = `${fileName}\0${typeof languageVersion === "object" ? `${languageVersion.languageVersion}/${String(languageVersion.impliedNodeFormat)}` : languageVersion}`;
            if (fresh || !cache.has(key)) {
                cache.set(key, parse(fileName, languageVersion, onError, fresh));
            }
            return cache.get(key);
        };
        return host;
    };
}

const FORMAT_HOST: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => REPO_ROOT,
    getNewLine: () => "\n",
};

function fail(configFile: string, diagnostics: readonly ts.Diagnostic[]): never {
    throw new Error(
        `${path.relative(REPO_ROOT, configFile)}: ${diagnostics.length} error(s); nothing was written\n${ts.formatDiagnostics(diagnostics, FORMAT_HOST)}`,
    );
}

/**
 * Compiles the build configuration of `dir` in memory. `check` reports type errors (the build
 * does); without it only what stops the emit is an error (tests/build.spec.ts, which compares
 * output; `npm test` type-checks everything anyway).
 */
function compile(dir: string, check: boolean, hostFor: (options: ts.CompilerOptions) => ts.CompilerHost): Compiled {
    const configFile = path.resolve(dir, BUILD_CONFIG);
    const parsed = ts.getParsedCommandLineOfConfigFile(
        configFile,
        {},
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (d) => fail(configFile, [d]),
        },
    );
    if (!parsed) {
        throw new Error(`${configFile}: cannot be read`);
    }
    if (parsed.errors.length > 0) {
        fail(configFile, parsed.errors);
    }
    const outDir = parsed.options.outDir;
    if (!outDir) {
        throw new Error(
            `${configFile}: compilerOptions.outDir is not set; expected the folder the compiled files go to`,
        );
    }
    // noCheck: the emit is the same, without the checker's pass over every declaration file.
    const options = check ? parsed.options : { ...parsed.options, noCheck: true };
    const program = ts.createProgram({ rootNames: parsed.fileNames, options, host: hostFor(options) });
    const diagnostics = check
        ? ts.getPreEmitDiagnostics(program)
        : [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics()];
    if (diagnostics.length > 0) {
        fail(configFile, diagnostics);
    }
    const files = new Map<string, string>();
    const emitted = program.emit(undefined, (fileName, text) => files.set(path.resolve(fileName), text));
    if (emitted.emitSkipped || emitted.diagnostics.length > 0) {
        fail(configFile, emitted.diagnostics);
    }
    return { configFile, outDir: path.resolve(outDir), files };
}

/** Compiles every build configuration under `root` in memory, parsing shared declarations once. */
export function compileAll(root: string, check: boolean): Compiled[] {
    const hostFor = sharedHost();
    return BUILD_DIRS.map((dir) => compile(path.join(root, dir), check, hostFor));
}

/** Compiles every build, type-checked, and only then replaces each output folder. */
export function build(root: string = REPO_ROOT): Compiled[] {
    const builds = compileAll(root, true);
    for (const { outDir, files } of builds) {
        fs.rmSync(outDir, { recursive: true, force: true });
        for (const [file, text] of files) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, text);
        }
    }
    return builds;
}

if (require.main === module) {
    const start = Date.now();
    try {
        const root = process.argv[2] ? path.resolve(process.argv[2]) : REPO_ROOT;
        const builds = build(root);
        const summary = builds.map((b) => `${path.relative(root, b.outDir)}/ (${b.files.size} files)`).join(" and ");
        console.log(`built ${summary} in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    } catch (e) {
        console.error((e as Error).message);
        process.exit(1);
    }
}
