// The offline checker: the pack's rules over plain Kubernetes YAML, for teams that have not
// moved to the Pulumi program yet (`config/` folders, `helm template` output).
// Exit 0: no mandatory violation; 1: at least one; 2: bad input, bad config or bad usage.
import * as fs from "fs";
import { RULES } from "../policies";
import { PolicyConfigError, ResolvedPolicy, resolvePolicies } from "./config";
import { checkSubjects, RuleError, Violation } from "./engine";
import { InputError, loadPaths } from "./load";

const USAGE = "usage: npm run --silent policy:check -- [--json] [--config <policy-config.json>] <file|dir|->...";

class UsageError extends Error {}

interface Options {
    help: boolean;
    json: boolean;
    configFile?: string;
    paths: string[];
}

function parseArgs(argv: readonly string[]): Options {
    const options: Options = { help: false, json: false, paths: [] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--json") {
            options.json = true;
        } else if (arg === "--config" || arg.startsWith("--config=")) {
            const value = arg === "--config" ? argv[++i] : arg.slice("--config=".length);
            if (value === undefined || value === "") {
                throw new UsageError("--config needs a policy config file");
            }
            options.configFile = value;
        } else if (arg === "-h" || arg === "--help") {
            options.help = true;
        } else if (arg.startsWith("-") && arg !== "-") {
            throw new UsageError(`unknown option ${arg}`);
        } else {
            options.paths.push(arg);
        }
    }
    if (options.paths.length === 0 && !options.help) {
        throw new UsageError("no file or directory to check");
    }
    return options;
}

function policiesFrom(configFile: string | undefined): ResolvedPolicy[] {
    if (configFile === undefined) {
        return resolvePolicies(RULES, {}, "(defaults)");
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(configFile, "utf8"));
    } catch (err) {
        throw new PolicyConfigError(`${configFile}: cannot read policy config: ${(err as Error).message}`);
    }
    return resolvePolicies(RULES, parsed, configFile);
}

function count(n: number, noun: string): string {
    return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function humanReport(violations: readonly Violation[], objects: number, files: number): string {
    const lines = violations.map(
        (v) => `${v.enforcementLevel} ${v.policy} ${v.kind}/${v.namespace ?? "-"}/${v.name}: ${v.message}`,
    );
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const scope = `in ${count(objects, "object")} from ${count(files, "file")}`;
    const summary =
        violations.length === 0
            ? `no violations ${scope}`
            : `${count(violations.length, "violation")} (${mandatory} mandatory, ${violations.length - mandatory} advisory) ${scope}`;
    return [...lines, summary].join("\n") + "\n";
}

export function main(argv: readonly string[]): number {
    try {
        const options = parseArgs(argv);
        if (options.help) {
            process.stdout.write(`${USAGE}\n`);
            return 0;
        }
        const policies = policiesFrom(options.configFile);
        const loaded = loadPaths(options.paths);
        if (loaded.skipped.length > 0) {
            process.stderr.write(
                `note: skipped ${count(loaded.skipped.length, "document")} without apiVersion and kind: ${loaded.skipped.join(", ")}\n`,
            );
        }
        const violations = checkSubjects(
            loaded.manifests.map((m) => ({ object: m.object })),
            policies,
        );
        process.stdout.write(
            options.json
                ? JSON.stringify(violations, null, 2) + "\n"
                : humanReport(violations, loaded.manifests.length, loaded.files),
        );
        return violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0;
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`policy-check: ${err.message}\n${USAGE}\n`);
        } else if (err instanceof InputError || err instanceof PolicyConfigError || err instanceof RuleError) {
            process.stderr.write(`policy-check: ${err.message}\n`);
        } else {
            process.stderr.write(`policy-check: internal error: ${(err as Error).stack ?? String(err)}\n`);
        }
        return 2;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
