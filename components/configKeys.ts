// Every stack key the program reads, written once: its declared kind (which must match its
// Pulumi.yaml entry), the check a type cannot express, and where its value lands in the
// configuration object the slices receive. The configuration type, the per-key checks and
// the built object are all derived from SCHEMA, so a new key is one line here plus its
// Pulumi.yaml entry, and a mistyped key name is a compile error.
import * as pulumi from "@pulumi/pulumi";
import { LLM_MODES, LlmMode } from "./llmModes";
import * as v from "./validation";

export { LLM_MODES, LlmMode };
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const PSA_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];
export const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export type Labels = Record<string, string>;

/** The Pulumi.yaml `type` (and `items.type`) a key must be declared with. */
export type DeclaredKind = "string" | "integer" | "boolean" | "string[]" | "integer[]";

type Raw = string | number | boolean | string[] | number[];

/**
 * The integers an integer key (or each entry of an integer list) may hold, checked on the
 * text before it becomes a JavaScript number. int32: the value lands in an int32 field of an
 * object, or is read by cleanup.js, which counts it in milliseconds (exact below 2^53 only for
 * 2^31 hours). safe: the value lands in an int64 field or a quantity; numbers from 2^53 on are
 * refused although int64 holds them, because a JavaScript number holds them only approximately
 * and the object would get another number.
 */
export const INT_RANGES = {
    int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n, name: "int32, -2147483648 to 2147483647" },
    safe: {
        min: -(2n ** 53n - 1n), max: 2n ** 53n - 1n,
        name: "-9007199254740991 to 9007199254740991 (2^53 - 1: a JavaScript number holds no larger integer exactly, though int64 goes on to 2^63 - 1)",
    },
} as const;
export type IntRange = keyof typeof INT_RANGES;

/**
 * One key: `name` in Pulumi.yaml, its declared kind, a check of the parsed value, and `land`,
 * which turns the parsed value into what the slices get (with every key's value at hand, for
 * the few that depend on another key); integer keys also have their range.
 */
export interface Key<N extends string, P extends Raw, T> {
    readonly name: N;
    readonly kind: DeclaredKind;
    readonly check: v.Check<P>;
    readonly land: (value: P, all: Record<string, Raw>) => T;
    readonly range?: IntRange;
}

/** A group that is present only when `when` holds for the parsed values (litellm mode). */
export interface Optional<S> {
    readonly when: (all: Record<string, Raw>) => boolean;
    readonly schema: S;
}

const none = (): undefined => undefined;
const same = <P>(value: P): P => value;

function key<N extends string, P extends Raw, T = P>(name: N, kind: DeclaredKind, check: v.Check<P>, land?: (value: P, all: Record<string, Raw>) => T, range?: IntRange): Key<N, P, T> {
    return { name, kind, check, land: land ?? (same as unknown as (value: P) => T), range };
}
const str = <N extends string>(name: N, check: v.Check<string> = none) => key(name, "string", check);
const int = <N extends string>(name: N, range: IntRange, check: v.Check<number> = none) => key(name, "integer", check, undefined, range);
const ports = <N extends string>(name: N, check: v.Check<number[]>) => key(name, "integer[]", check, undefined, "int32");
const bool = <N extends string>(name: N) => key<N, boolean>(name, "boolean", none);
const oneOf = <N extends string, L extends string>(name: N, allowed: readonly L[]) =>
    key(name, "string", v.oneOf(allowed), (value: string) => value as L);
/** A list of `key=value` entries, landing as a label map. */
const labels = <N extends string>(name: N) =>
    key(name, "string[]", v.labelList, (value: string[]) => v.parseLabels(value) as Labels);
/** Empty means "not set". */
const optionalName = <N extends string>(name: N, check: v.Check<string>) =>
    key(name, "string", v.optional(check), (value: string) => (value === "" ? undefined : value));
const resources = <P extends string>(prefix: P) => ({
    cpuRequest: str(`${prefix}CpuRequest`, v.quantity),
    cpuLimit: str(`${prefix}CpuLimit`, v.quantity),
    memoryRequest: str(`${prefix}MemoryRequest`, v.byteQuantity),
    memoryLimit: str(`${prefix}MemoryLimit`, v.byteQuantity),
});
const volume = <P extends string>(prefix: P) => ({
    size: str(`${prefix}Size`, v.storageSize),
    storageClass: optionalName(`${prefix}StorageClass`, v.dns1123Subdomain),
    accessMode: oneOf(`${prefix}AccessMode`, ACCESS_MODES),
});

export const SCHEMA = {
    namespace: str("namespace", v.dns1123Label),
    environment: oneOf("environment", ENVIRONMENTS),
    llmMode: oneOf("llmMode", LLM_MODES),
    manageNamespace: bool("manageNamespace"),
    cluster: {
        context: optionalName("kubeContext", none),
        id: optionalName("clusterId", v.optional(v.uid)),
    },
    podSecurity: {
        enforce: oneOf("podSecurityEnforce", PSA_LEVELS),
        warn: oneOf("podSecurityWarn", PSA_LEVELS),
        audit: oneOf("podSecurityAudit", PSA_LEVELS),
        labelSync: bool("podSecurityLabelSync"),
    },
    quota: {
        // Quota counts land in quantities (spec.hard), which hold int64.
        pods: int("quotaPods", "safe", v.atLeast(1)),
        requestsCpu: str("quotaRequestsCpu", v.quantity),
        limitsCpu: str("quotaLimitsCpu", v.quantity),
        requestsMemory: str("quotaRequestsMemory", v.byteQuantity),
        limitsMemory: str("quotaLimitsMemory", v.byteQuantity),
        // At least the claims the program creates: a cross-key rule in config.ts.
        persistentVolumeClaims: int("quotaPersistentVolumeClaims", "safe", v.atLeast(0)),
    },
    containerDefaults: resources("containerDefault"),
    trial: {
        podLabels: labels("trialPodLabels"),
        resources: resources("trial"),
        tmpSizeLimit: str("trialTmpSizeLimit", v.byteQuantity),
        ingressPorts: ports("trialIngressPorts", v.distinctPorts),
    },
    admission: {
        enabled: bool("admissionPolicy"),
        serviceAccounts: key("trialServiceAccounts", "string[]", v.eachOf(v.dns1123Subdomain)),
        secretNames: key("trialSecretNames", "string[]", v.eachOf(v.dns1123Subdomain)),
        claimNames: key("trialClaimNames", "string[]", v.eachOf(v.dns1123Subdomain)),
        podNamePrefix: str("trialPodNamePrefix", v.namePrefix),
    },
    pipeline: {
        serviceAccountName: str("pipelineServiceAccount", v.dns1123Subdomain),
        needsSecrets: bool("pipelineNeedsSecrets"),
        // Named Secrets only matter while the pipeline reads Secrets at all.
        secretNames: key("pipelineSecretNames", "string[]", v.eachOf(v.dns1123Subdomain),
            (names: string[], all) => (all.pipelineNeedsSecrets === true ? names : [])),
        managesPvcs: bool("pipelineManagesPvcs"),
        sccClusterRole: optionalName("pipelineSccClusterRole", v.rbacName),
    },
    preview: {
        identity: bool("previewIdentity"),
    },
    dns: {
        namespace: str("dnsNamespace", v.dns1123Label),
        podLabels: labels("dnsPodLabels"),
        ports: ports("dnsPorts", v.uniquePorts),
    },
    directApi: {
        extraExceptCidrs: key("directApiExtraExceptCidrs", "string[]", v.eachOf(v.exceptCidr)),
    },
    selfHosted: {
        // Empty means the pipeline's own namespace.
        namespace: key("selfHostedNamespace", "string", v.optional(v.dns1123Label),
            (ns: string, all) => (ns === "" ? String(all.namespace) : ns)),
        podLabels: labels("selfHostedPodLabels"),
        port: int("selfHostedPort", "int32", v.port),
    },
    litellm: {
        when: (all: Record<string, Raw>) => all.llmMode === ("litellm" satisfies LlmMode),
        schema: {
            image: str("litellmImage", v.digestPinnedImage),
            replicas: int("litellmReplicas", "int32", v.atLeast(1)),
            port: int("litellmPort", "int32", v.port),
            // Checked only in litellm mode, with the rules that span keys (config.ts).
            models: key("litellmModels", "string[]", none,
                (entries: string[]) => entries.map((m) => v.parseModel(m) as { name: string; model: string })),
            vertexProject: str("litellmVertexProject"),
            vertexLocation: str("litellmVertexLocation", v.dns1123Label),
            /** Exactly one of these two is set (checked in config.ts). */
            vertexCredentials: key("litellmVertexCredentials", "string", none,
                (json: string) => (json === "" ? undefined : pulumi.secret(json))),
            vertexCredentialsSecretName: optionalName("litellmVertexCredentialsSecretName", v.dns1123Subdomain),
            resources: resources("litellm"),
            // LiteLLM's config only: no object field holds it, and no retry count needs more than int32.
            numRetries: int("litellmNumRetries", "int32", v.atLeast(0)),
            // Also in the pod's terminationGracePeriodSeconds (int64) with 25 s added: int32 keeps the sum exact.
            requestTimeoutSeconds: int("litellmRequestTimeoutSeconds", "int32", v.atLeast(1)),
            requireSpread: bool("litellmRequireSpread"),
            masterKeyRotation: int("litellmMasterKeyRotation", "safe", v.atLeast(0)),
        },
    },
    storage: {
        workspace: volume("workspace"),
        deadLetter: volume("deadLetter"),
        protect: bool("protectVolumes"),
        adoptExisting: bool("adoptExistingVolumes"),
    },
    cleanup: {
        image: str("cleanupImage", v.digestPinnedImage),
        schedule: str("cleanupSchedule", v.cronSchedule),
        timeZone: str("cleanupTimeZone", v.timeZone),
        // Read by cleanup.js from the environment; ages count in milliseconds, exact only below 2^53.
        trialPodMaxAgeHours: int("cleanupTrialPodMaxAgeHours", "int32", v.atLeast(1)),
        pipelineRunMaxAgeHours: int("cleanupPipelineRunMaxAgeHours", "int32", v.atLeast(1)),
        pipelineRunKeepRecent: int("cleanupPipelineRunKeepRecent", "int32", v.atLeast(0)),
        imageStreamMaxAgeHours: int("cleanupImageStreamMaxAgeHours", "int32", v.atLeast(1)),
        deadLetter: bool("cleanupDeadLetter"),
        deadLetterRetentionDays: int("cleanupDeadLetterRetentionDays", "int32", v.atLeast(1)),
        dryRun: bool("cleanupDryRun"),
        concurrency: int("cleanupConcurrency", "int32", v.atLeast(1)),
        // int64 fields of the CronJob and the Job.
        startingDeadlineSeconds: int("cleanupStartingDeadlineSeconds", "safe", v.atLeast(10)),
        activeDeadlineSeconds: int("cleanupActiveDeadlineSeconds", "safe", v.atLeast(1)),
        // int32 fields.
        backoffLimit: int("cleanupBackoffLimit", "int32", v.atLeast(0)),
        ttlSecondsAfterFinished: int("cleanupTtlSecondsAfterFinished", "int32", v.atLeast(0)),
        successfulJobsHistory: int("cleanupSuccessfulJobsHistory", "int32", v.atLeast(0)),
        failedJobsHistory: int("cleanupFailedJobsHistory", "int32", v.atLeast(0)),
        resources: resources("cleanup"),
        imageStreamSelector: str("cleanupImageStreamSelector", v.optional(v.labelSelector)),
        apiServer: {
            cidrs: key("apiServerCidrs", "string[]", v.eachOf(v.exceptCidr)),
            ports: ports("apiServerPorts", v.uniquePorts),
        },
    },
} as const;

// ---------------------------------------------------------------------------------------
// Types derived from SCHEMA

type AnyKey = Key<string, never, unknown>;

/** The object a schema node builds. */
export type Built<S> =
    S extends Key<string, infer _P, infer T> ? T
    : S extends Optional<infer Inner> ? Built<Inner> | undefined
    : { -readonly [K in keyof S]: Built<S[K]> };

type Leaves<S> =
    S extends Key<infer N, infer P, unknown> ? { name: N; parsed: P }
    : S extends Optional<infer Inner> ? Leaves<Inner>
    : S extends object ? { [K in keyof S]: Leaves<S[K]> }[keyof S]
    : never;

/** Every key's parsed value (before it lands), by key name: what the rules that span keys read. */
export type ParsedValues = { [L in Leaves<typeof SCHEMA> as L["name"]]: L["parsed"] };
export type KeyName = keyof ParsedValues;

export type AbevalflowConfig = Built<typeof SCHEMA>;
export type LiteLLMConfig = NonNullable<AbevalflowConfig["litellm"]>;
export type CleanupConfig = AbevalflowConfig["cleanup"];
export type Resources = AbevalflowConfig["containerDefaults"];
export type VolumeConfig = AbevalflowConfig["storage"]["workspace"];
export type LiteLLMModel = LiteLLMConfig["models"][number];

// ---------------------------------------------------------------------------------------
// Walking SCHEMA

function isKey(node: unknown): node is AnyKey {
    return typeof node === "object" && node !== null && "name" in node && "land" in node;
}
function isOptional(node: unknown): node is Optional<unknown> {
    return typeof node === "object" && node !== null && "when" in node && "schema" in node;
}

/** Every key of SCHEMA by name. */
export const KEYS: ReadonlyMap<string, AnyKey> = (() => {
    const keys = new Map<string, AnyKey>();
    const visit = (node: unknown): void => {
        if (isKey(node)) {
            if (keys.has(node.name)) {
                throw new Error(`configKeys.ts: key ${node.name} appears twice in SCHEMA`);
            }
            keys.set(node.name, node);
        } else if (isOptional(node)) {
            visit(node.schema);
        } else if (typeof node === "object" && node !== null) {
            Object.values(node).forEach(visit);
        }
    };
    visit(SCHEMA);
    return keys;
})();

/** The configuration object for fully parsed and checked values. */
export function buildConfig(values: ParsedValues): AbevalflowConfig {
    const all = values as unknown as Record<string, Raw>;
    const build = (node: unknown): unknown => {
        if (isKey(node)) {
            return node.land(all[node.name] as never, all);
        }
        if (isOptional(node)) {
            return node.when(all) ? build(node.schema) : undefined;
        }
        return Object.fromEntries(Object.entries(node as object).map(([k, child]) => [k, build(child)]));
    };
    return build(SCHEMA) as AbevalflowConfig;
}
