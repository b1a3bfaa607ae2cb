// The one typed view of the stack configuration. Types and defaults come from the
// `config:` block of Pulumi.yaml (the only copy); configKeys.ts says for each key what it
// must look like and where it lands; this module reads the values, adds the rules that span
// keys, and reports every problem in a single error before any resource is registered.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { distance } from "fastest-levenshtein";
import * as YAML from "yaml";
import { AbevalflowConfig, buildConfig, DeclaredKind, INT_RANGES, IntRange, KEYS, ParsedValues } from "./configKeys";
import { CLEANUP, LITELLM, OWN_POD_NAME_PREFIXES, PART_OF, PREVIEW_IDENTITY, VOLUMES } from "./names";
import { allProjectConfig, isSetAsSecret } from "./sdkConfig";
import * as v from "./validation";

export {
    ACCESS_MODES, AbevalflowConfig, AccessMode, CleanupConfig, ENVIRONMENTS, Environment, Labels, LiteLLMConfig,
    LiteLLMModel, LLM_MODES, LlmMode, PSA_LEVELS, PsaLevel, Resources, VolumeConfig,
} from "./configKeys";

export const PROJECT = "abevalflow";
/** The port OpenShift's DNS pods listen on (dns-default maps Service port 53 to it). */
const OPENSHIFT_DNS_POD_PORT = 5353;
const RESERVED_NAMESPACES = ["default", "openshift"];

// ---------------------------------------------------------------------------------------
// Declarations from Pulumi.yaml

type DeclaredType = "string" | "integer" | "boolean" | "array";
export interface KeyDeclaration {
    type: DeclaredType;
    items?: { type: "string" | "integer" };
    default?: unknown;
    description: string;
}

/**
 * Keys whose value must be a Pulumi secret. Pulumi.yaml cannot say so itself: a key declared
 * `secret: true` may not have a plaintext default, and these keys are optional.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set(["litellmVertexCredentials"]);

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
    return fs.readdirSync(dir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
}

/** The `config:` block of a committed stack file, e.g. stackFileConfig("dev"). */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const file = path.join(path.dirname(findProjectFile()), `Pulumi.${stack}.yaml`);
    const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return parsed?.config ?? {};
}

let declarationsCache: Record<string, KeyDeclaration> | undefined;

/** The config keys Pulumi.yaml declares, without the project prefix. */
export function declarations(): Record<string, KeyDeclaration> {
    if (!declarationsCache) {
        const project = YAML.parse(fs.readFileSync(findProjectFile(), "utf8")) as {
            config?: Record<string, KeyDeclaration>;
        };
        declarationsCache = project.config ?? {};
    }
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
        keys: () => Object.keys(values), otherKeys: () => others, get: (key) => values[key],
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
    return { keys: () => Object.keys(values), otherKeys: () => others, get: (key) => values[key], isSecret: (key) => secret.has(key) };
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

type Parsed = string | number | boolean | string[] | number[];

/** The kind a Pulumi.yaml declaration gives a value. */
export function declaredKind(decl: KeyDeclaration): DeclaredKind {
    return decl.type === "array" ? (decl.items?.type === "integer" ? "integer[]" : "string[]") : decl.type;
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

function parseRaw(raw: string, decl: KeyDeclaration, range: IntRange | undefined): Parsed | string {
    switch (decl.type) {
        case "string":
            return raw;
        case "integer": {
            const text = raw.trim();
            return !INTEGER.test(text) ? "an integer" : outOfRange(text, range) ?? Number(text);
        }
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : "true or false";
        case "array": {
            const itemType = decl.items?.type ?? "string";
            if (itemType === "integer") {
                if (!INTEGER_LIST.test(raw)) {
                    return "a list of integers";
                }
                const items = raw.match(/-?[0-9]+/g) ?? [];
                const problem = items.map((item) => outOfRange(item, range)).find((p) => p !== undefined);
                return problem ? `a list of integers, each ${problem.replace(/^an integer /, "")}` : items.map(Number);
            }
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
    if (!(key in declarations())) {
        return "<not shown>";
    }
    if (SECRET_KEYS.has(key) || source.isSecret(key)) {
        return "<secret>";
    }
    return raw === undefined ? "<unset>" : JSON.stringify(raw);
}

/**
 * Reads and validates the whole configuration. Throws ConfigValidationError naming every
 * bad key, its value and the expected form.
 */
export function loadConfig(source: ConfigSource = pulumiConfigSource()): AbevalflowConfig {
    const decls = declarations();
    const problems: string[] = [];
    const values: Record<string, Parsed> = {};
    const report = (key: string, raw: string | undefined, expected: string): void => {
        problems.push(`${PROJECT}:${key} = ${shown(key, raw, source)}: expected ${expected}`);
    };

    for (const key of source.keys()) {
        if (key === "kubeconfig") {
            report(key, undefined, `no kubeconfig in the stack's configuration: ${NO_CREDENTIALS_IN_CONFIG}, and remove this one ` +
                `(pulumi config rm ${PROJECT}:kubeconfig)`);
        } else if (!(key in decls)) {
            report(key, undefined, `a key declared in Pulumi.yaml; there is no such key${suggestion(key, Object.keys(decls))}`);
        }
    }
    for (const key of source.otherKeys()) {
        const namespace = key.slice(0, key.indexOf(":"));
        const bare = key.slice(key.indexOf(":") + 1);
        if (ENGINE_NAMESPACES.has(namespace)) {
            continue;
        }
        const remove = `remove it (pulumi config rm ${key})`;
        problems.push(`${key} = <not shown>: expected ` + (namespace === "kubernetes"
            ? "no kubernetes: keys: every object goes through the program's own provider, configured by abevalflow:kubeContext and " +
                `KUBECONFIG, which reads none of them; ${bare === "kubeconfig" ? `and ${NO_CREDENTIALS_IN_CONFIG}; ` : ""}${remove}`
            : `a key of project ${PROJECT}: the program reads no ${namespace}: keys, so this one would be ignored` +
                (distance(namespace, PROJECT) <= 2 ? `; did you mean ${PROJECT}:${bare}?` : `; ${remove}`)));
    }
    for (const [key, decl] of Object.entries(decls)) {
        const given = source.get(key);
        const raw = given ?? (decl.default === undefined ? undefined : rawConfigValue(decl.default));
        if (raw === undefined) {
            report(key, raw, `a value: this key is required (pulumi config set ${PROJECT}:${key} <value>)`);
            continue;
        }
        // `key:` with nothing after it in a stack file is YAML null, which reaches the program
        // as the text "null" and would otherwise pass as a namespace or a name.
        if (given === "null") {
            report(key, raw, "a value: the stack file has the key with nothing after it (YAML null); give a value or remove the line");
            continue;
        }
        const spec = KEYS.get(key);
        const parsed = parseRaw(raw, decl, spec?.range);
        if (typeof parsed === "string" && decl.type !== "string") {
            report(key, raw, parsed);
            continue;
        }
        const problem = !spec
            ? "a key this program reads (add it to SCHEMA in components/configKeys.ts)"
            : spec.kind !== declaredKind(decl)
                ? `a ${spec.kind} as components/configKeys.ts reads it (Pulumi.yaml declares ${declaredKind(decl)})`
                : (spec.check as v.Check<Parsed>)(parsed);
        if (problem) {
            report(key, raw, problem);
            continue;
        }
        values[key] = parsed;
    }

    crossKeyRules(values, source, report);
    if (problems.length > 0) {
        throw new ConfigValidationError(problems);
    }
    // Every declared key parsed and passed its check, and a test holds SCHEMA and Pulumi.yaml to the same keys.
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
    for (const [key, decl] of Object.entries(declarations())) {
        if (decl.default !== undefined) {
            config[`${PROJECT}:${key}`] = rawConfigValue(decl.default);
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

/** Rules that relate keys; each reports on the key an operator would change. */
function crossKeyRules(
    values: Partial<ParsedValues>,
    source: ConfigSource,
    report: (key: keyof ParsedValues, raw: string | undefined, expected: string) => void,
): void {
    const raw = (key: keyof ParsedValues): string | undefined => source.get(key) ?? rawConfigValue(declarations()[key]?.default);

    if (values.pipelineNeedsSecrets === true && values.pipelineSecretNames?.length === 0) {
        report("pipelineSecretNames", raw("pipelineSecretNames"),
            "at least one Secret name while pipelineNeedsSecrets is true (or set pipelineNeedsSecrets to false)");
    }
    const litellm = values.llmMode === "litellm";
    if (litellm) {
        const models = values.litellmModels;
        const modelProblem = models ? v.modelList(models) : undefined;
        if (modelProblem) {
            report("litellmModels", raw("litellmModels"), `${modelProblem} in litellm mode`);
        }
        if (!values.litellmVertexProject) {
            report("litellmVertexProject", raw("litellmVertexProject"), "a Google Cloud project id in litellm mode");
        } else if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(values.litellmVertexProject ?? "")) {
            report("litellmVertexProject", raw("litellmVertexProject"),
                "a Google Cloud project id: 6-30 lower-case letters, digits or '-', starting with a letter");
        }
        const inline = (source.get("litellmVertexCredentials") ?? "") !== "";
        const named = (values.litellmVertexCredentialsSecretName ?? "") !== "";
        if (inline === named) {
            report("litellmVertexCredentialsSecretName", raw("litellmVertexCredentialsSecretName"),
                "exactly one of litellmVertexCredentials (set with --secret) and litellmVertexCredentialsSecretName in litellm mode");
        }
        if (inline && !source.isSecret("litellmVertexCredentials")) {
            report("litellmVertexCredentials", undefined,
                "a secret: set it with `pulumi config set --secret abevalflow:litellmVertexCredentials \"$(cat sa.json)\"`");
        } else if (inline && v.serviceAccountKeyProblem(source.get("litellmVertexCredentials") ?? "") !== undefined) {
            report("litellmVertexCredentials", undefined,
                "a Google service-account key in JSON form (an object with type, project_id, private_key and client_email)");
        }
        if (values.environment === "prod" && typeof values.litellmReplicas === "number" && values.litellmReplicas < 2) {
            report("litellmReplicas", raw("litellmReplicas"), "at least 2 when environment is prod, so the proxy survives a node drain");
        }
    }
    const dnsPorts = values.dnsPorts;
    if (values.dnsNamespace === "openshift-dns" && dnsPorts && !dnsPorts.includes(OPENSHIFT_DNS_POD_PORT)) {
        report("dnsPorts", raw("dnsPorts"),
            `a list including ${OPENSHIFT_DNS_POD_PORT} while dnsNamespace is openshift-dns: its DNS pods listen on ${OPENSHIFT_DNS_POD_PORT} behind the Service's port 53, and egress is checked after the Service's address translation`);
    }
    const retentionDays = values.cleanupDeadLetterRetentionDays;
    const runMaxAge = values.cleanupPipelineRunMaxAgeHours;
    if (values.cleanupDeadLetter === true && retentionDays !== undefined && runMaxAge !== undefined && retentionDays * 24 < runMaxAge + 24) {
        report("cleanupDeadLetterRetentionDays", raw("cleanupDeadLetterRetentionDays"),
            `at least ${Math.ceil((runMaxAge + 24) / 24)} days with cleanupPipelineRunMaxAgeHours = ${runMaxAge}: a shorter retention would remove a failed run's record in the same run that writes it`);
    }
    const namespace = values.namespace;
    if (namespace !== undefined && (RESERVED_NAMESPACES.includes(namespace) || /^(kube|openshift)-/.test(namespace))) {
        report("namespace", raw("namespace"),
            "a namespace of its own: default, kube-* and openshift-* belong to the cluster, whose own pods the quota, the egress policies and the cleanup would reach");
    }
    const programAccounts: readonly string[] = [CLEANUP.name, LITELLM.name, PREVIEW_IDENTITY.name];
    if (values.pipelineServiceAccount !== undefined && programAccounts.includes(values.pipelineServiceAccount)) {
        report("pipelineServiceAccount", raw("pipelineServiceAccount"),
            `a ServiceAccount other than ${programAccounts.slice(0, -1).join(", ")} and ${programAccounts[programAccounts.length - 1]}, which this program creates for its own pods and for previews`);
    }
    const pipelineAccount = values.pipelineServiceAccount;
    const trialAccounts = values.trialServiceAccounts?.filter((a) => programAccounts.includes(a) || a === pipelineAccount) ?? [];
    if (trialAccounts.length > 0) {
        report("trialServiceAccounts", raw("trialServiceAccounts"),
            `no account of the pipeline or the program's own pods (${trialAccounts.join(", ")}): a trial pod would carry its token, and with it ` +
            "the pipeline's right to create pods and read its Secrets, the cleanup's to delete, the proxy's model credentials or the preview's reads");
    }
    // The proxy exists so that trial pods never hold the Vertex key.
    const vertexSecret = values.llmMode === "litellm"
        ? ((values.litellmVertexCredentialsSecretName ?? "") !== "" ? values.litellmVertexCredentialsSecretName : LITELLM.credentialsSecret)
        : undefined;
    if (vertexSecret !== undefined && values.trialSecretNames?.includes(vertexSecret)) {
        report("trialSecretNames", raw("trialSecretNames"),
            `a list without ${vertexSecret}, the Secret holding the Vertex AI key: trial pods reach the model through the LiteLLM proxy and must never hold the key itself`);
    }
    // The pipeline's Role may get these Secrets by name; the Vertex key belongs to the proxy alone,
    // whether the program writes its Secret or the stack names an existing one.
    const vertexSecrets = [LITELLM.credentialsSecret, values.litellmVertexCredentialsSecretName ?? ""].filter((n) => n !== "");
    const readable = values.pipelineNeedsSecrets === true ? values.pipelineSecretNames?.filter((n) => vertexSecrets.includes(n)) ?? [] : [];
    if (readable.length > 0) {
        report("pipelineSecretNames", raw("pipelineSecretNames"),
            `a list without ${readable.join(" and ")}, the Secret holding the Vertex AI key: only the LiteLLM proxy reads it, and the pipeline runs the trials' code`);
    }
    // The quota counts the program's own claims too: below them, the next claim it creates is refused.
    const ownClaims = Object.values(VOLUMES);
    if (values.quotaPersistentVolumeClaims !== undefined && values.quotaPersistentVolumeClaims < ownClaims.length) {
        report("quotaPersistentVolumeClaims", raw("quotaPersistentVolumeClaims"),
            `at least ${ownClaims.length}, the claims the program itself creates (${ownClaims.join(", ")}); the pipeline's own claims count on top`);
    }
    // The records of failed runs must outlive any pod the pipeline starts: such a pod could read
    // or delete them, or hold the ReadWriteOnce claim so that the cleanup cannot write.
    if (values.trialClaimNames?.includes(VOLUMES.deadLetter)) {
        report("trialClaimNames", raw("trialClaimNames"),
            `a list without ${VOLUMES.deadLetter}, the dead-letter claim: only the cleanup job may mount it`);
    }
    // The pipeline's exec, attach and port-forward are held to pods named with the prefix: a
    // prefix that the proxy's or the cleanup's pod names can start with would let them in.
    const namePrefix = values.trialPodNamePrefix;
    if (namePrefix !== undefined) {
        const overlapping = OWN_POD_NAME_PREFIXES.filter((own) => own.startsWith(namePrefix) || namePrefix.startsWith(own));
        if (overlapping.length > 0) {
            report("trialPodNamePrefix", raw("trialPodNamePrefix"),
                `a prefix that no pod of the program can be named with (its pods are named ${OWN_POD_NAME_PREFIXES.map((p) => `${p}...`).join(" and ")}): ` +
                "the pipeline may exec into pods with this prefix, and the proxy's and the cleanup's hold keys and a token that can delete");
        }
    }
    const trialLabels = values.trialPodLabels ? v.parseLabels(values.trialPodLabels) : undefined;
    if (trialLabels && typeof trialLabels !== "string") {
        const ownPods: [string, Record<string, string>][] = [
            ["the LiteLLM proxy", { ...PART_OF, ...LITELLM.podLabels }],
            ["the cleanup job", { ...PART_OF, ...CLEANUP.podLabels }],
        ];
        const selected = ownPods.filter(([, labels]) => Object.entries(trialLabels).every(([k, val]) => labels[k] === val)).map(([who]) => who);
        if (selected.length > 0) {
            report("trialPodLabels", raw("trialPodLabels"),
                `labels that select only trial pods: these also select the pods of ${selected.join(" and ")}, which would get the trial egress policies`);
        }
    }
    for (const [prefix, label] of [["trial", "trial baseline"], ["litellm", "LiteLLM container"], ["containerDefault", "LimitRange default"], ["cleanup", "cleanup container"]] as const) {
        for (const resource of ["Cpu", "Memory"] as const) {
            const requestKey = `${prefix}${resource}Request` as const;
            const limitKey = `${prefix}${resource}Limit` as const;
            const request = values[requestKey];
            const limit = values[limitKey];
            if (request !== undefined && limit !== undefined && v.compareQuantities(request, limit) > 0) {
                report(requestKey, raw(requestKey), `at most ${prefix}${resource}Limit (${limit}): the API server refuses a ${label} whose request is above its limit`);
            }
        }
    }
    const selfHostedNs = values.selfHostedNamespace;
    if (values.llmMode === "self-hosted" && selfHostedNs && selfHostedNs === values.dnsNamespace) {
        report("selfHostedNamespace", raw("selfHostedNamespace"), "a namespace other than the DNS namespace");
    }
}


