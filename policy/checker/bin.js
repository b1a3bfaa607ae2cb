#!/usr/bin/env node
// @ts-check
// Entry point of `npm run policy:check`. Loading the TypeScript compiler costs more than checking
// ten thousand objects, so the checker's sources are transpiled once into a cache keyed by their
// content, and every later run loads plain JavaScript. A changed source gets a new key; an
// unusable cache falls back to ts-node, slower but the same code. The cache is
// node_modules/.cache/abevalflow-policy-check; deleting it is always safe. The pack also imports
// ../common (what it shares with the program: the CIDR parser, the retain annotation; every
// file there is compiled), so the cache mirrors the repository layout from its root:
// <key>/policy/checker/cli.js, <key>/common/cidr.js.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE_DIRS = [
    path.join("policy", "lib"),
    path.join("policy", "policies"),
    path.join("policy", "checker"),
    "common",
];
const ENTRY = path.join("policy", "checker", "cli");

/** @param {string} dir @returns {string[]} paths relative to ROOT */
function tsFilesUnder(dir) {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            return tsFilesUnder(rel);
        }
        return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [rel] : [];
    });
}

/** @param {string[]} files @param {string} key @returns {string} the directory holding the compiled files */
function compiled(files, key) {
    // Inside node_modules, so the compiled files resolve the same packages the sources do.
    const cacheRoot = path.join(
        path.dirname(path.dirname(require.resolve("js-yaml/package.json"))),
        ".cache",
        "abevalflow-policy-check",
    );
    const target = path.join(cacheRoot, key);
    if (fs.existsSync(path.join(target, `${ENTRY}.js`))) {
        return target;
    }
    const ts = require("typescript");
    fs.mkdirSync(cacheRoot, { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot, "staging-"));
    for (const file of files) {
        const source = fs.readFileSync(path.join(ROOT, file), "utf8");
        const output = ts.transpileModule(source, {
            fileName: file,
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        fs.mkdirSync(path.join(staging, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(staging, file.replace(/\.ts$/, ".js")), output);
    }
    try {
        fs.renameSync(staging, target);
    } catch {
        // Another run published the same key first: its files are identical.
        fs.rmSync(staging, { recursive: true, force: true });
    }
    for (const stale of fs.readdirSync(cacheRoot).filter((name) => name !== key && !name.startsWith("staging-"))) {
        fs.rmSync(path.join(cacheRoot, stale), { recursive: true, force: true });
    }
    return target;
}

function load() {
    const files = SOURCE_DIRS.flatMap(tsFilesUnder).sort();
    // This file is part of the key too: it holds the compiler options.
    const hash = crypto.createHash("sha256").update(fs.readFileSync(__filename));
    for (const file of files) {
        hash.update(file)
            .update("\0")
            .update(fs.readFileSync(path.join(ROOT, file)))
            .update("\0");
    }
    let dir;
    try {
        dir = compiled(files, hash.digest("hex").slice(0, 16));
    } catch (err) {
        process.stderr.write(
            `note: cannot use the compile cache (${err instanceof Error ? err.message : String(err)}); compiling in memory\n`,
        );
        require("ts-node").register({ transpileOnly: true });
        dir = ROOT;
    }
    return require(path.join(dir, ENTRY));
}

process.exitCode = load().main(process.argv.slice(2));
