// The one typed view of the stack configuration. Types and defaults come from the
// `config:` block of Pulumi.yaml (the only copy); this module adds the checks a type cannot
// express and the rules that span keys, and reports every problem in a single error before
// any resource is registered.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import * as v from "./validation";

export const PROJECT = "abevalflow";
/** The port OpenShift's DNS pods listen on (dns-default maps Service port 53 to it). */
const OPENSHIFT_DNS_POD_PORT = 5353;
export const LLM_MODES = ["direct-api", "litellm", "self-hosted"] as const;
export type LlmMode = (typeof LLM_MODES)[number];
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const PSA_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];
export const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export type Labels = Record<string, string>;

export interface Resources {
    cpuRequest: string;
    cpuLimit: string;
    memoryRequest: string;
    memoryLimit: string;
}

export interface VolumeConfig {
    size: string;
    storageClass?: string;
    accessMode: AccessMode;
}

export interface LiteLLMModel {
    /** The name clients ask for. */
    name: string;
    /** The Vertex AI model id. */
    model: string;
}

export interface LiteLLMConfig {
    image: string;
    replicas: number;
    port: number;
    models: LiteLLMModel[];
    vertexProject: string;
    vertexLocation: string;
    /** Exactly one of these two is set. */
    vertexCredentials?: pulumi.Output<string>;
    vertexCredentialsSecretName?: string;
    resources: Resources;
    numRetries: number;
    requestTimeoutSeconds: number;
}

export interface CleanupConfig {
    image: string;
    schedule: string;
    timeZone: string;
    trialPodMaxAgeHours: number;
    pipelineRunMaxAgeHours: number;
    pipelineRunKeepRecent: number;
    imageStreamMaxAgeHours: number;
    deadLetter: boolean;
    deadLetterRetentionDays: number;
    dryRun: boolean;
    concurrency: number;
    startingDeadlineSeconds: number;
    activeDeadlineSeconds: number;
    backoffLimit: number;
    ttlSecondsAfterFinished: number;
    successfulJobsHistory: number;
    failedJobsHistory: number;
    resources: Resources;
}

export interface AbevalflowConfig {
    namespace: string;
    environment: Environment;
    llmMode: LlmMode;
    manageNamespace: boolean;
    localControlPlane: boolean;
    podSecurity: { enforce: PsaLevel; warn: PsaLevel; audit: PsaLevel; labelSync: boolean };
    quota: {
        pods: number;
        requestsCpu: string;
        limitsCpu: string;
        requestsMemory: string;
        limitsMemory: string;
        persistentVolumeClaims: number;
    };
    containerDefaults: Resources;
    trial: { podLabels: Labels; resources: Resources; tmpSizeLimit: string };
    pipeline: { serviceAccountName: string; secretNames: string[]; managesPvcs: boolean };
    dns: { namespace: string; podLabels: Labels; ports: number[] };
    directApi: { extraExceptCidrs: string[] };
    selfHosted: { namespace: string; podLabels: Labels; port: number };
    /** Present only in litellm mode. */
    litellm?: LiteLLMConfig;
    storage: { workspace: VolumeConfig; deadLetter: VolumeConfig; protect: boolean };
    cleanup: CleanupConfig;
}

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

// The SDK's record of which values were set with --secret; not in its typings.
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

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
    get(key: string): string | undefined;
    /** Whether the value was set as a secret (pulumi config set --secret). */
    isSecret(key: string): boolean;
}

/** The running program's configuration (project defaults already applied by the engine). */
export function pulumiConfigSource(): ConfigSource {
    const all = pulumi.runtime.allConfig();
    const prefix = `${PROJECT}:`;
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(all)) {
        if (key.startsWith(prefix)) {
            values[key.slice(prefix.length)] = value;
        }
    }
    return { keys: () => Object.keys(values), get: (key) => values[key], isSecret: (key) => isConfigSecret(`${prefix}${key}`) };
}

/**
 * Values as written in a stack file's `config:` block (keys with or without the project
 * prefix; other namespaces such as `kubernetes:` are ignored).
 */
export function objectConfigSource(config: Record<string, unknown>, secretKeys: readonly string[] = []): ConfigSource {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        const colon = key.indexOf(":");
        if (colon !== -1 && key.slice(0, colon) !== PROJECT) {
            continue;
        }
        const bare = colon === -1 ? key : key.slice(colon + 1);
        if (value !== null && typeof value === "object" && "secure" in value) {
            throw new Error(`objectConfigSource cannot decrypt the secure value of ${key}`);
        }
        values[bare] = rawConfigValue(value);
    }
    const secret = new Set(secretKeys.map((k) => k.replace(`${PROJECT}:`, "")));
    return { keys: () => Object.keys(values), get: (key) => values[key], isSecret: (key) => secret.has(key) };
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

/** Checks of single keys beyond their declared type. Every declared key has an entry. */
const KEY_CHECKS: Record<string, v.Check<never>> = {
    namespace: v.dns1123Label,
    environment: v.oneOf(ENVIRONMENTS),
    llmMode: v.oneOf(LLM_MODES),
    manageNamespace: noCheck,
    localControlPlane: noCheck,
    podSecurityEnforce: v.oneOf(PSA_LEVELS),
    podSecurityWarn: v.oneOf(PSA_LEVELS),
    podSecurityAudit: v.oneOf(PSA_LEVELS),
    podSecurityLabelSync: noCheck,
    quotaPods: v.atLeast(1),
    quotaRequestsCpu: v.quantity,
    quotaLimitsCpu: v.quantity,
    quotaRequestsMemory: v.quantity,
    quotaLimitsMemory: v.quantity,
    quotaPersistentVolumeClaims: v.atLeast(0),
    containerDefaultCpuRequest: v.quantity,
    containerDefaultMemoryRequest: v.quantity,
    containerDefaultCpuLimit: v.quantity,
    containerDefaultMemoryLimit: v.quantity,
    trialPodLabels: v.labelList,
    trialCpuRequest: v.quantity,
    trialCpuLimit: v.quantity,
    trialMemoryRequest: v.quantity,
    trialMemoryLimit: v.quantity,
    trialTmpSizeLimit: v.quantity,
    pipelineServiceAccount: v.dns1123Subdomain,
    pipelineNeedsSecrets: noCheck,
    pipelineSecretNames: v.eachOf(v.dns1123Subdomain),
    pipelineManagesPvcs: noCheck,
    dnsNamespace: v.dns1123Label,
    dnsPodLabels: v.labelList,
    dnsPorts: v.uniquePorts,
    directApiExtraExceptCidrs: v.eachOf(v.ipv4Cidr),
    selfHostedNamespace: v.optional(v.dns1123Label),
    selfHostedPodLabels: v.labelList,
    selfHostedPort: v.port,
    litellmImage: v.digestPinnedImage,
    litellmReplicas: v.atLeast(1),
    litellmPort: v.port,
    litellmModels: noCheck, // checked only in litellm mode, below
    litellmVertexProject: noCheck,
    litellmVertexLocation: v.dns1123Label,
    litellmVertexCredentials: noCheck,
    litellmVertexCredentialsSecretName: v.optional(v.dns1123Subdomain),
    litellmCpuRequest: v.quantity,
    litellmCpuLimit: v.quantity,
    litellmMemoryRequest: v.quantity,
    litellmMemoryLimit: v.quantity,
    litellmNumRetries: v.atLeast(0),
    litellmRequestTimeoutSeconds: v.atLeast(1),
    workspaceSize: v.quantity,
    workspaceStorageClass: v.optional(v.dns1123Subdomain),
    workspaceAccessMode: v.oneOf(ACCESS_MODES),
    deadLetterSize: v.quantity,
    deadLetterStorageClass: v.optional(v.dns1123Subdomain),
    deadLetterAccessMode: v.oneOf(ACCESS_MODES),
    protectVolumes: noCheck,
    cleanupImage: v.digestPinnedImage,
    cleanupSchedule: v.cronSchedule,
    cleanupTimeZone: v.timeZone,
    cleanupTrialPodMaxAgeHours: v.atLeast(1),
    cleanupPipelineRunMaxAgeHours: v.atLeast(1),
    cleanupPipelineRunKeepRecent: v.atLeast(0),
    cleanupImageStreamMaxAgeHours: v.atLeast(1),
    cleanupDeadLetter: noCheck,
    cleanupDeadLetterRetentionDays: v.atLeast(1),
    cleanupDryRun: noCheck,
    cleanupConcurrency: v.atLeast(1),
    cleanupStartingDeadlineSeconds: v.atLeast(10),
    cleanupActiveDeadlineSeconds: v.atLeast(1),
    cleanupBackoffLimit: v.atLeast(0),
    cleanupTtlSecondsAfterFinished: v.atLeast(0),
    cleanupSuccessfulJobsHistory: v.atLeast(0),
    cleanupFailedJobsHistory: v.atLeast(0),
    cleanupCpuRequest: v.quantity,
    cleanupCpuLimit: v.quantity,
    cleanupMemoryRequest: v.quantity,
    cleanupMemoryLimit: v.quantity,
};

function noCheck(): undefined {
    return undefined;
}

/** The keys this module checks; a test compares them with Pulumi.yaml. */
export const CHECKED_KEYS: readonly string[] = Object.keys(KEY_CHECKS);

function parseRaw(raw: string, decl: KeyDeclaration): Parsed | string {
    switch (decl.type) {
        case "string":
            return raw;
        case "integer":
            return /^-?[0-9]+$/.test(raw.trim()) ? Number(raw) : "an integer";
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : "true or false";
        case "array": {
            const itemType = decl.items?.type ?? "string";
            let list: unknown;
            try {
                list = JSON.parse(raw);
            } catch {
                return `a list of ${itemType}s`;
            }
            const ok =
                Array.isArray(list) &&
                list.every((item) => (itemType === "integer" ? Number.isInteger(item) : typeof item === "string"));
            return ok ? (list as string[] | number[]) : `a list of ${itemType}s`;
        }
    }
}

function shown(key: string, raw: string | undefined, source: ConfigSource): string {
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
        if (!(key in decls)) {
            report(key, source.get(key), `no such key; known keys are declared in Pulumi.yaml (did you mean one of: ${closest(key, Object.keys(decls))})`);
        }
    }
    for (const [key, decl] of Object.entries(decls)) {
        const given = source.get(key);
        const raw = given ?? (decl.default === undefined ? undefined : rawConfigValue(decl.default));
        if (raw === undefined) {
            report(key, raw, `a value: this key is required (pulumi config set ${PROJECT}:${key} <value>)`);
            continue;
        }
        const parsed = parseRaw(raw, decl);
        if (typeof parsed === "string" && decl.type !== "string") {
            report(key, raw, parsed);
            continue;
        }
        const check = KEY_CHECKS[key] as v.Check<Parsed> | undefined;
        const problem = check ? check(parsed) : "a key this program knows (add a check in components/config.ts)";
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
    return build(values);
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

function closest(key: string, known: string[]): string {
    const lower = key.toLowerCase();
    const near = known.filter((k) => k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()));
    return (near.length > 0 ? near : known.slice(0, 5)).join(", ");
}

/** Rules that relate keys; each reports on the key an operator would change. */
function crossKeyRules(
    values: Record<string, Parsed>,
    source: ConfigSource,
    report: (key: string, raw: string | undefined, expected: string) => void,
): void {
    const raw = (key: string): string | undefined => source.get(key) ?? rawConfigValue(declarations()[key]?.default);
    const str = (key: string): string | undefined => values[key] as string | undefined;
    const list = (key: string): string[] | undefined => values[key] as string[] | undefined;

    if (values.pipelineNeedsSecrets === true && list("pipelineSecretNames")?.length === 0) {
        report("pipelineSecretNames", raw("pipelineSecretNames"),
            "at least one Secret name while pipelineNeedsSecrets is true (or set pipelineNeedsSecrets to false)");
    }
    const litellm = str("llmMode") === "litellm";
    if (litellm) {
        const models = list("litellmModels");
        const modelProblem = models ? v.modelList(models) : undefined;
        if (modelProblem) {
            report("litellmModels", raw("litellmModels"), `${modelProblem} in litellm mode`);
        }
        if (!str("litellmVertexProject")) {
            report("litellmVertexProject", raw("litellmVertexProject"), "a Google Cloud project id in litellm mode");
        } else if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(str("litellmVertexProject") ?? "")) {
            report("litellmVertexProject", raw("litellmVertexProject"),
                "a Google Cloud project id: 6-30 lower-case letters, digits or '-', starting with a letter");
        }
        const inline = (source.get("litellmVertexCredentials") ?? "") !== "";
        const named = (str("litellmVertexCredentialsSecretName") ?? "") !== "";
        if (inline === named) {
            report("litellmVertexCredentialsSecretName", raw("litellmVertexCredentialsSecretName"),
                "exactly one of litellmVertexCredentials (set with --secret) and litellmVertexCredentialsSecretName in litellm mode");
        }
        if (inline && !source.isSecret("litellmVertexCredentials")) {
            report("litellmVertexCredentials", undefined,
                "a secret: set it with `pulumi config set --secret abevalflow:litellmVertexCredentials \"$(cat sa.json)\"`");
        } else if (inline && !isServiceAccountJson(source.get("litellmVertexCredentials") ?? "")) {
            report("litellmVertexCredentials", undefined,
                "a Google service-account key in JSON form (an object with type, project_id, private_key and client_email)");
        }
        if (str("environment") === "prod" && typeof values.litellmReplicas === "number" && values.litellmReplicas < 2) {
            report("litellmReplicas", raw("litellmReplicas"), "at least 2 when environment is prod, so the proxy survives a node drain");
        }
    }
    const dnsPorts = values.dnsPorts as number[] | undefined;
    if (str("dnsNamespace") === "openshift-dns" && dnsPorts && !dnsPorts.includes(OPENSHIFT_DNS_POD_PORT)) {
        report("dnsPorts", raw("dnsPorts"),
            `a list including ${OPENSHIFT_DNS_POD_PORT} while dnsNamespace is openshift-dns: its DNS pods listen on ${OPENSHIFT_DNS_POD_PORT} behind the Service's port 53, and egress is checked after the Service's address translation`);
    }
    const retentionDays = values.cleanupDeadLetterRetentionDays as number | undefined;
    const runMaxAge = values.cleanupPipelineRunMaxAgeHours as number | undefined;
    if (values.cleanupDeadLetter === true && retentionDays !== undefined && runMaxAge !== undefined && retentionDays * 24 < runMaxAge + 24) {
        report("cleanupDeadLetterRetentionDays", raw("cleanupDeadLetterRetentionDays"),
            `at least ${Math.ceil((runMaxAge + 24) / 24)} days with cleanupPipelineRunMaxAgeHours = ${runMaxAge}: a shorter retention would remove a failed run's record in the same run that writes it`);
    }
    const selfHostedNs = str("selfHostedNamespace");
    if (str("llmMode") === "self-hosted" && selfHostedNs && selfHostedNs === str("dnsNamespace")) {
        report("selfHostedNamespace", raw("selfHostedNamespace"), "a namespace other than the DNS namespace");
    }
}

function isServiceAccountJson(text: string): boolean {
    try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        return ["type", "project_id", "private_key", "client_email"].every((k) => typeof parsed[k] === "string");
    } catch {
        return false;
    }
}

function build(values: Record<string, Parsed>): AbevalflowConfig {
    const s = (key: string): string => values[key] as string;
    const n = (key: string): number => values[key] as number;
    const b = (key: string): boolean => values[key] as boolean;
    const labels = (key: string): Labels => v.parseLabels(values[key] as string[]) as Labels;
    const resources = (prefix: string): Resources => ({
        cpuRequest: s(`${prefix}CpuRequest`),
        cpuLimit: s(`${prefix}CpuLimit`),
        memoryRequest: s(`${prefix}MemoryRequest`),
        memoryLimit: s(`${prefix}MemoryLimit`),
    });
    const volume = (prefix: string): VolumeConfig => ({
        size: s(`${prefix}Size`),
        storageClass: s(`${prefix}StorageClass`) || undefined,
        accessMode: s(`${prefix}AccessMode`) as AccessMode,
    });
    const llmMode = s("llmMode") as LlmMode;
    const namespace = s("namespace");

    return {
        namespace,
        environment: s("environment") as Environment,
        llmMode,
        manageNamespace: b("manageNamespace"),
        localControlPlane: b("localControlPlane"),
        podSecurity: {
            enforce: s("podSecurityEnforce") as PsaLevel,
            warn: s("podSecurityWarn") as PsaLevel,
            audit: s("podSecurityAudit") as PsaLevel,
            labelSync: b("podSecurityLabelSync"),
        },
        quota: {
            pods: n("quotaPods"),
            requestsCpu: s("quotaRequestsCpu"),
            limitsCpu: s("quotaLimitsCpu"),
            requestsMemory: s("quotaRequestsMemory"),
            limitsMemory: s("quotaLimitsMemory"),
            persistentVolumeClaims: n("quotaPersistentVolumeClaims"),
        },
        containerDefaults: resources("containerDefault"),
        trial: { podLabels: labels("trialPodLabels"), resources: resources("trial"), tmpSizeLimit: s("trialTmpSizeLimit") },
        pipeline: {
            serviceAccountName: s("pipelineServiceAccount"),
            secretNames: b("pipelineNeedsSecrets") ? (values.pipelineSecretNames as string[]) : [],
            managesPvcs: b("pipelineManagesPvcs"),
        },
        dns: { namespace: s("dnsNamespace"), podLabels: labels("dnsPodLabels"), ports: values.dnsPorts as number[] },
        directApi: { extraExceptCidrs: values.directApiExtraExceptCidrs as string[] },
        selfHosted: {
            namespace: s("selfHostedNamespace") || namespace,
            podLabels: labels("selfHostedPodLabels"),
            port: n("selfHostedPort"),
        },
        litellm: llmMode !== "litellm" ? undefined : {
            image: s("litellmImage"),
            replicas: n("litellmReplicas"),
            port: n("litellmPort"),
            models: (values.litellmModels as string[]).map((m) => v.parseModel(m) as LiteLLMModel),
            vertexProject: s("litellmVertexProject"),
            vertexLocation: s("litellmVertexLocation"),
            vertexCredentials: s("litellmVertexCredentials") ? pulumi.secret(s("litellmVertexCredentials")) : undefined,
            vertexCredentialsSecretName: s("litellmVertexCredentialsSecretName") || undefined,
            resources: resources("litellm"),
            numRetries: n("litellmNumRetries"),
            requestTimeoutSeconds: n("litellmRequestTimeoutSeconds"),
        },
        storage: { workspace: volume("workspace"), deadLetter: volume("deadLetter"), protect: b("protectVolumes") },
        cleanup: {
            image: s("cleanupImage"),
            schedule: s("cleanupSchedule"),
            timeZone: s("cleanupTimeZone"),
            trialPodMaxAgeHours: n("cleanupTrialPodMaxAgeHours"),
            pipelineRunMaxAgeHours: n("cleanupPipelineRunMaxAgeHours"),
            pipelineRunKeepRecent: n("cleanupPipelineRunKeepRecent"),
            imageStreamMaxAgeHours: n("cleanupImageStreamMaxAgeHours"),
            deadLetter: b("cleanupDeadLetter"),
            deadLetterRetentionDays: n("cleanupDeadLetterRetentionDays"),
            dryRun: b("cleanupDryRun"),
            concurrency: n("cleanupConcurrency"),
            startingDeadlineSeconds: n("cleanupStartingDeadlineSeconds"),
            activeDeadlineSeconds: n("cleanupActiveDeadlineSeconds"),
            backoffLimit: n("cleanupBackoffLimit"),
            ttlSecondsAfterFinished: n("cleanupTtlSecondsAfterFinished"),
            successfulJobsHistory: n("cleanupSuccessfulJobsHistory"),
            failedJobsHistory: n("cleanupFailedJobsHistory"),
            resources: resources("cleanup"),
        },
    };
}
