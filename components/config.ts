// The one typed view of the stack configuration. configKeys.ts declares every key (kind,
// default, description, check, where it lands; Pulumi.yaml's `config:` block is generated from
// it) and configRules.ts the rules that span keys; this module reads the values, runs the checks
// and the rules, and reports every problem in a single error before any resource is registered.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import * as YAML from "yaml";
import {
    AbevalflowConfig,
    buildConfig,
    DeclaredKind,
    INT_RANGES,
    IntRange,
    KeyDeclaration,
    KeyName,
    KEYS,
    ParsedValues,
    projectConfigDeclarations,
    PROJECT,
    Raw,
    SECRET_KEYS,
} from "./configKeys";
import { CONFIG_RULES, ConfigRule } from "./configRules";
import { allProjectConfig, isSetAsSecret } from "./sdkConfig";
import * as v from "./validation";

export {
    ACCESS_MODES,
    AbevalflowConfig,
    AccessMode,
    CleanupConfig,
    ENVIRONMENTS,
    Environment,
    KeyDeclaration,
    Labels,
    LiteLLMConfig,
    LiteLLMModel,
    LLM_MODES,
    LlmMode,
    PROJECT,
    PSA_LEVELS,
    PsaLevel,
    Resources,
    SECRET_KEYS,
    VolumeConfig,
} from "./configKeys";

/** Namespaces of config keys the program accepts besides its own: the engine's. */
const ENGINE_NAMESPACES: ReadonlySet<string> = new Set(["pulumi"]);

/**
 * Why a kubeconfig is never taken from the stack's configuration: every preview decrypts the
 * configuration, and a pull request's code runs in its preview (docs/operations.md, section 10).
 */
const NO_CREDENTIALS_IN_CONFIG =
    "every preview decrypts the stack's configuration and a pull request's code runs in its preview, so a kubeconfig there " +
    "would let any pull request deploy. Give it through KUBECONFIG (in CI, the protected environment's secret: docs/operations.md, section 10)";

export function findProjectFile(start: string = __dirname): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "Pulumi.yaml");
        if (fs.existsSync(candidate)) {
            return candidate;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`Pulumi.yaml not found in ${start} or any parent folder`);
        }
    }
}

/** The stacks that have a stack file (Pulumi.<stack>.yaml) in `dir`, by default beside Pulumi.yaml; sorted. */
export function committedStacks(dir: string = path.dirname(findProjectFile())): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The `config:` block of a committed stack file, e.g. stackFileConfig("dev"). */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const file = path.join(path.dirname(findProjectFile()), `Pulumi.${stack}.yaml`);
    const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return parsed?.config ?? {};
}

let declarationsCache: Record<string, KeyDeclaration> | undefined;

/** The config keys Pulumi.yaml declares, without the project prefix: its `config:` block, generated from configKeys.ts. */
export function declarations(): Record<string, KeyDeclaration> {
    declarationsCache ??= projectConfigDeclarations();
    return declarationsCache;
}

// ---------------------------------------------------------------------------------------
// Sources of raw values

/** Raw values as the Pulumi engine passes them: strings, with arrays as JSON. */
export interface ConfigSource {
    /** Keys without the project prefix. */
    keys(): string[];
    /** Keys of other namespaces, with their namespace (`kubernetes:kubeconfig`); their values are never read. */
    otherKeys(): string[];
    get(key: string): string | undefined;
    /** Whether the value was set as a secret (pulumi config set --secret). */
    isSecret(key: string): boolean;
}

/** The running program's configuration (project defaults already applied by the engine). */
export function pulumiConfigSource(): ConfigSource {
    const all = allProjectConfig();
    const prefix = `${PROJECT}:`;
    const values: Record<string, string> = {};
    const others: string[] = [];
    for (const [key, value] of Object.entries(all)) {
        if (key.startsWith(prefix)) {
            values[key.slice(prefix.length)] = value;
        } else {
            others.push(key);
        }
    }
    return {
        keys: () => Object.keys(values),
        otherKeys: () => others,
        get: (key) => values[key],
        isSecret: (key) => isSetAsSecret(`${prefix}${key}`),
    };
}

/**
 * Values as written in a stack file's `config:` block (keys with or without the project
 * prefix; keys of other namespaces such as `kubernetes:` are listed, their values not read).
 */
export function objectConfigSource(config: Record<string, unknown>, secretKeys: readonly string[] = []): ConfigSource {
    const values: Record<string, string> = {};
    const others: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        const colon = key.indexOf(":");
        if (colon !== -1 && key.slice(0, colon) !== PROJECT) {
            others.push(key);
            continue;
        }
        const bare = colon === -1 ? key : key.slice(colon + 1);
        if (value !== null && typeof value === "object" && "secure" in value) {
            throw new Error(`objectConfigSource cannot decrypt the secure value of ${key}`);
        }
        values[bare] = rawConfigValue(value);
    }
    const secret = new Set(secretKeys.map((k) => k.replace(`${PROJECT}:`, "")));
    return {
        keys: () => Object.keys(values),
        otherKeys: () => others,
        get: (key) => values[key],
        isSecret: (key) => secret.has(key),
    };
}

// ---------------------------------------------------------------------------------------
// Loading

export class ConfigValidationError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(
            `Invalid ${PROJECT} stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
                `nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}

const INTEGER = /^-?[0-9]+$/;
// A JSON list of integers written as integers: a fraction or exponent is no integer entry.
const INTEGER_LIST = /^\s*\[\s*(?:-?[0-9]+\s*(?:,\s*-?[0-9]+\s*)*)?\]\s*$/;

/** Why an integer's text is outside its key's range, or undefined; read from the text, since a JavaScript number beyond 2^53 is not the number written. */
function outOfRange(text: string, range: IntRange | undefined): string | undefined {
    const r = INT_RANGES[range ?? "safe"];
    const n = BigInt(text);
    return n < r.min || n > r.max ? `an integer within ${r.name}` : undefined;
}

function parseRaw(raw: string, kind: DeclaredKind, range: IntRange | undefined): Raw | string {
    switch (kind) {
        case "string":
            return raw;
        case "integer": {
            const text = raw.trim();
            return !INTEGER.test(text) ? "an integer" : (outOfRange(text, range) ?? Number(text));
        }
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : "true or false";
        case "integer[]": {
            if (!INTEGER_LIST.test(raw)) {
                return "a list of integers";
            }
            const items = raw.match(/-?[0-9]+/g) ?? [];
            const problem = items.map((item) => outOfRange(item, range)).find((p) => p !== undefined);
            return problem ? `a list of integers, each ${problem.replace(/^an integer /, "")}` : items.map(Number);
        }
        case "string[]": {
            let list: unknown;
            try {
                list = JSON.parse(raw);
            } catch {
                return "a list of strings";
            }
            return Array.isArray(list) && list.every((item) => typeof item === "string") ? list : "a list of strings";
        }
    }
}

function shown(key: string, raw: string | undefined, source: ConfigSource): string {
    // A key the program does not declare may hold anything, a misspelt secret key's private key included.
    if (!KEYS.has(key)) {
        return "<not shown>";
    }
    if (SECRET_KEYS.has(key) || source.isSecret(key)) {
        return "<secret>";
    }
    return raw === undefined ? "<unset>" : JSON.stringify(raw);
}

/**
 * Reads and validates the whole configuration: every key's check, then `rules` (all of
 * CONFIG_RULES unless a test picks some). Throws ConfigValidationError naming every bad key,
 * its value and the expected form.
 */
export function loadConfig(
    source: ConfigSource = pulumiConfigSource(),
    rules: readonly ConfigRule[] = CONFIG_RULES,
): AbevalflowConfig {
    const problems: string[] = [];
    const values: Record<string, Raw> = {};
    const report = (key: string, raw: string | undefined, expected: string): void => {
        problems.push(`${PROJECT}:${key} = ${shown(key, raw, source)}: expected ${expected}`);
    };

    for (const key of source.keys()) {
        if (key === "kubeconfig") {
            report(
                key,
                undefined,
                `no kubeconfig in the stack's configuration: ${NO_CREDENTIALS_IN_CONFIG}, and remove this one ` +
                    `(pulumi config rm ${PROJECT}:kubeconfig)`,
            );
        } else if (!KEYS.has(key)) {
            report(
                key,
                undefined,
                `a key declared in Pulumi.yaml; there is no such key${suggestion(key, [...KEYS.keys()])}`,
            );
        }
    }
    for (const key of source.otherKeys()) {
        const namespace = key.slice(0, key.indexOf(":"));
        const bare = key.slice(key.indexOf(":") + 1);
        if (ENGINE_NAMESPACES.has(namespace)) {
            continue;
        }
        const remove = `remove it (pulumi config rm ${key})`;
        problems.push(
            `${key} = <not shown>: expected ` +
                (namespace === "kubernetes"
                    ? "no kubernetes: keys: every object goes through the program's own provider, configured by abevalflow:kubeContext and " +
                      `KUBECONFIG, which reads none of them; ${bare === "kubeconfig" ? `and ${NO_CREDENTIALS_IN_CONFIG}; ` : ""}${remove}`
                    : `a key of project ${PROJECT}: the program reads no ${namespace}: keys, so this one would be ignored` +
                      (distance(namespace, PROJECT) <= 2 ? `; did you mean ${PROJECT}:${bare}?` : `; ${remove}`)),
        );
    }
    const raws: Partial<Record<KeyName, string>> = {};
    for (const [key, spec] of KEYS) {
        const given = source.get(key);
        const raw = given ?? (spec.default === undefined ? undefined : rawConfigValue(spec.default));
        raws[key as KeyName] = raw;
        if (raw === undefined) {
            report(key, raw, `a value: this key is required (pulumi config set ${PROJECT}:${key} <value>)`);
            continue;
        }
        // `key:` with nothing after it in a stack file is YAML null, which reaches the program
        // as the text "null" and would otherwise pass as a namespace or a name.
        if (given === "null") {
            report(
                key,
                raw,
                "a value: the stack file has the key with nothing after it (YAML null); give a value or remove the line",
            );
            continue;
        }
        const parsed = parseRaw(raw, spec.kind, spec.range);
        if (typeof parsed === "string" && spec.kind !== "string") {
            report(key, raw, parsed);
            continue;
        }
        const problem = (spec.check as v.Check<Raw>)(parsed);
        if (problem) {
            report(key, raw, problem);
            continue;
        }
        values[key] = parsed;
    }

    const secret = new Set([...KEYS.keys()].filter((key) => source.isSecret(key)));
    for (const rule of rules) {
        for (const { key, expected } of rule.check({ values, raw: raws, secret })) {
            report(key, raws[key], expected);
        }
    }
    if (problems.length > 0) {
        throw new ConfigValidationError(problems);
    }
    // Every key parsed and passed its check.
    return buildConfig(values as unknown as ParsedValues);
}

/** A config value in the form the engine passes it to the program: strings as they are, the rest as JSON. */
export function rawConfigValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The configuration map the engine gives a program for these stack-file values: the
 * Pulumi.yaml defaults merged in, every value in its raw form, keys with the project prefix.
 */
export function engineConfig(stackValues: Record<string, unknown>): Record<string, string> {
    const config: Record<string, string> = {};
    for (const [key, spec] of KEYS) {
        if (spec.default !== undefined) {
            config[`${PROJECT}:${key}`] = rawConfigValue(spec.default);
        }
    }
    for (const [key, value] of Object.entries(stackValues)) {
        config[key] = rawConfigValue(value);
    }
    return config;
}

/** ", did you mean X?" for the nearest declared key within a few edits, else nothing. */
function suggestion(key: string, known: string[]): string {
    const scored = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d);
    const best = scored[0];
    return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? `; did you mean ${PROJECT}:${best.k}?` : "";
}
