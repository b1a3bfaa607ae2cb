// Every stack key the program reads, written once: its declared kind, its description and
// default, the check a type cannot express, and where its value lands in the configuration
// object the slices receive. Pulumi.yaml's `config:` block and the README's configuration
// table are generated from SCHEMA (`npm run docs`); the configuration type, the per-key checks
// and the built object are derived from it, so a new key is one entry here and a mistyped key
// name is a compile error. The rules that relate keys are in configRules.ts.
import * as pulumi from "@pulumi/pulumi";
import { LLM_MODES, LlmMode } from "./llmModes";
import { LITELLM, PREVIEW_IDENTITY, VOLUMES } from "./names";
import * as v from "./validation";

export { LLM_MODES, LlmMode };
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const PSA_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];
export const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export type Labels = Record<string, string>;

export const PROJECT = "abevalflow";

/** OpenShift's DNS pods: their namespace, and the port they listen on (dns-default maps Service port 53 to it). */
export const OPENSHIFT_DNS = { namespace: "openshift-dns", podPort: 5353 } as const;
/** The fewest proxy replicas a prod stack runs, so that the proxy survives a node drain. */
export const PROD_MIN_LITELLM_REPLICAS = 2;

/**
 * The sets of a cpu and a memory request and limit, by key prefix, each with what the API
 * server's refusal of a request above its limit would be about; in the order configRules.ts
 * reports them.
 */
export const RESOURCE_HOLDERS = {
    trial: "trial baseline",
    litellm: "LiteLLM container",
    containerDefault: "LimitRange default",
    cleanup: "cleanup container",
} as const;
export type ResourcePrefix = keyof typeof RESOURCE_HOLDERS;

/** The Pulumi.yaml `type` (and `items.type`) a key is declared with. */
export type DeclaredKind = "string" | "integer" | "boolean" | "string[]" | "integer[]";

export type Raw = string | number | boolean | string[] | number[];

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
        min: -(2n ** 53n - 1n),
        max: 2n ** 53n - 1n,
        name: "-9007199254740991 to 9007199254740991 (2^53 - 1: a JavaScript number holds no larger integer exactly, though int64 goes on to 2^63 - 1)",
    },
} as const;
export type IntRange = keyof typeof INT_RANGES;

/** What Pulumi.yaml says of a key besides its type: a description, and the default (without one, every stack must set the key). */
export interface About<P> {
    readonly description: string;
    readonly default?: P;
}

/**
 * One key: `name` in Pulumi.yaml, its declared kind, description and default, a check of the
 * parsed value, and `land`, which turns the parsed value into what the slices get (with every
 * key's value at hand, for the few that depend on another key); integer keys also have their
 * range.
 */
export interface Key<N extends string, P extends Raw, T> extends About<P> {
    readonly name: N;
    readonly kind: DeclaredKind;
    readonly check: v.Check<P>;
    readonly land: (value: P, all: Record<string, Raw>) => T;
    readonly range?: IntRange;
    /**
     * The value must be set with `pulumi config set --secret`; config.ts refuses a plaintext one
     * and never shows the value. Pulumi.yaml does not declare the key `secret: true`, because
     * the engine then refuses a plaintext default, the empty one included, in every stack.
     */
    readonly secret?: boolean;
}

/** Any key, as the loader, the docs and the tests walk them. */
export interface AnyKey extends About<Raw> {
    readonly name: string;
    readonly kind: DeclaredKind;
    readonly check: v.Check<never>;
    readonly land: (value: never, all: Record<string, Raw>) => unknown;
    readonly range?: IntRange;
    readonly secret?: boolean;
}

/** A group that is present only when `when` holds for the parsed values (litellm mode). */
export interface Optional<S> {
    readonly when: (all: Record<string, Raw>) => boolean;
    readonly schema: S;
}

const none = (): undefined => undefined;
const same = <P>(value: P): P => value;

function key<N extends string, P extends Raw, T = P>(
    name: N,
    kind: DeclaredKind,
    about: About<P>,
    check: v.Check<P>,
    land?: (value: P, all: Record<string, Raw>) => T,
    range?: IntRange,
): Key<N, P, T> {
    return {
        name,
        kind,
        description: about.description,
        default: about.default,
        check,
        land: land ?? (same as unknown as (value: P) => T),
        range,
    };
}
const str = <N extends string>(name: N, check: v.Check<string>, about: About<string>) =>
    key(name, "string", about, check);
const strings = <N extends string>(name: N, check: v.Check<string[]>, about: About<string[]>) =>
    key(name, "string[]", about, check);
const int = <N extends string>(name: N, range: IntRange, check: v.Check<number>, about: About<number>) =>
    key(name, "integer", about, check, undefined, range);
const ports = <N extends string>(name: N, check: v.Check<number[]>, about: About<number[]>) =>
    key(name, "integer[]", about, check, undefined, "int32");
const bool = <N extends string>(name: N, about: About<boolean>) => key<N, boolean>(name, "boolean", about, none);
const oneOf = <N extends string, L extends string>(name: N, allowed: readonly L[], about: About<L>) =>
    key(name, "string", about, v.oneOf(allowed), (value: string) => value as L);
/** A list of `key=value` entries, landing as a label map. */
const labels = <N extends string>(name: N, about: About<string[]>) =>
    key(name, "string[]", about, v.labelList, (value: string[]) => v.parseLabels(value) as Labels);
/** Empty means "not set". */
const optionalName = <N extends string>(name: N, check: v.Check<string>, about: About<string>) =>
    key(name, "string", about, v.optional(check), (value: string) => (value === "" ? undefined : value));
/** A container's requests and limits; `holder` starts each description. */
const resources = <P extends ResourcePrefix>(
    prefix: P,
    holder: string,
    defaults: { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string },
) => ({
    cpuRequest: str(`${prefix}CpuRequest`, v.quantity, {
        default: defaults.cpuRequest,
        description: `${holder} requests.cpu.`,
    }),
    cpuLimit: str(`${prefix}CpuLimit`, v.quantity, {
        default: defaults.cpuLimit,
        description: `${holder} limits.cpu.`,
    }),
    memoryRequest: str(`${prefix}MemoryRequest`, v.byteQuantity, {
        default: defaults.memoryRequest,
        description: `${holder} requests.memory.`,
    }),
    memoryLimit: str(`${prefix}MemoryLimit`, v.byteQuantity, {
        default: defaults.memoryLimit,
        description: `${holder} limits.memory.`,
    }),
});
/** A PersistentVolumeClaim's size, class and access mode; `claim` starts each description. */
const volume = <P extends string>(prefix: P, claim: string, size: string) => ({
    size: str(`${prefix}Size`, v.storageSize, { default: size, description: `${claim} PVC size.` }),
    storageClass: optionalName(`${prefix}StorageClass`, v.dns1123Subdomain, {
        default: "",
        description: `${claim} PVC storage class; empty uses the cluster default.`,
    }),
    accessMode: oneOf(`${prefix}AccessMode`, ACCESS_MODES, {
        default: "ReadWriteOnce",
        description: `${claim} PVC access mode (${ACCESS_MODES.join(", ")}).`,
    }),
});

export const SCHEMA = {
    namespace: str("namespace", v.dns1123Label, {
        description: "Namespace the pipeline runs in (DNS-1123 label). Required.",
    }),
    environment: oneOf("environment", ENVIRONMENTS, {
        default: "dev",
        description: `Cluster tier: ${ENVIRONMENTS.join(" or ")}. prod requires at least ${PROD_MIN_LITELLM_REPLICAS} LiteLLM replicas.`,
    }),
    llmMode: oneOf("llmMode", LLM_MODES, {
        default: "litellm",
        description:
            "How trial pods reach an LLM: direct-api (HTTPS to the internet), litellm (the in-cluster proxy this program " +
            "deploys) or self-hosted (an in-cluster model server).",
    }),
    manageNamespace: bool("manageNamespace", {
        default: true,
        description:
            "true: the program creates the Namespace (retained on destroy, so volumes survive). false: the Namespace " +
            "exists already and the program only patches its labels.",
    }),
    cluster: {
        context: optionalName("kubeContext", none, {
            default: "",
            description:
                "kubeconfig context this stack deploys to; empty uses the current context. Every object goes through " +
                "one explicit kubernetes provider configured with it.",
        }),
        id: optionalName("clusterId", v.optional(v.uid), {
            default: "",
            description:
                "The uid of namespace kube-system in the cluster this stack belongs to " +
                "(kubectl get namespace kube-system -o jsonpath='{.metadata.uid}'). When set, preview and up stop before " +
                "changing anything if the cluster reached is another one.",
        }),
    },
    podSecurity: {
        enforce: oneOf("podSecurityEnforce", PSA_LEVELS, {
            default: "baseline",
            description:
                `Pod Security Admission enforce level (${PSA_LEVELS.join(", ")}). Tekton task pods run under ` +
                "pipelines-scc, which restricted can reject, hence baseline by default.",
        }),
        warn: oneOf("podSecurityWarn", PSA_LEVELS, {
            default: "restricted",
            description: "Pod Security Admission warn level.",
        }),
        audit: oneOf("podSecurityAudit", PSA_LEVELS, {
            default: "restricted",
            description: "Pod Security Admission audit level.",
        }),
        labelSync: bool("podSecurityLabelSync", {
            default: false,
            description:
                "Value of the OpenShift label security.openshift.io/scc.podSecurityLabelSync; false keeps the label " +
                "syncer from overwriting the warn/audit levels set here.",
        }),
    },
    quota: {
        // Quota counts land in quantities (spec.hard), which hold int64.
        pods: int("quotaPods", "safe", v.atLeast(1), { default: 50, description: "ResourceQuota pods." }),
        requestsCpu: str("quotaRequestsCpu", v.quantity, {
            default: "32",
            description: "ResourceQuota requests.cpu (Kubernetes quantity).",
        }),
        limitsCpu: str("quotaLimitsCpu", v.quantity, { default: "64", description: "ResourceQuota limits.cpu." }),
        requestsMemory: str("quotaRequestsMemory", v.byteQuantity, {
            default: "64Gi",
            description: "ResourceQuota requests.memory.",
        }),
        limitsMemory: str("quotaLimitsMemory", v.byteQuantity, {
            default: "128Gi",
            description: "ResourceQuota limits.memory.",
        }),
        // At least the claims the program creates: the rule claims-quota-covers-own-claims.
        persistentVolumeClaims: int("quotaPersistentVolumeClaims", "safe", v.atLeast(0), {
            default: 10,
            description: `ResourceQuota persistentvolumeclaims; at least ${Object.keys(VOLUMES).length}, the claims the program creates itself.`,
        }),
    },
    containerDefaults: {
        cpuRequest: str("containerDefaultCpuRequest", v.quantity, {
            default: "100m",
            description: "LimitRange defaultRequest.cpu, so a container without requests still passes the quota.",
        }),
        memoryRequest: str("containerDefaultMemoryRequest", v.byteQuantity, {
            default: "128Mi",
            description: "LimitRange defaultRequest.memory.",
        }),
        cpuLimit: str("containerDefaultCpuLimit", v.quantity, {
            default: "1",
            description: "LimitRange default.cpu (limit applied when a container sets none).",
        }),
        memoryLimit: str("containerDefaultMemoryLimit", v.byteQuantity, {
            default: "1Gi",
            description: "LimitRange default.memory.",
        }),
    },
    trial: {
        podLabels: labels("trialPodLabels", {
            default: ["abevalflow/role=trial"],
            description: "Labels (key=value) that select trial pods for the egress policies and the cleanup.",
        }),
        resources: resources("trial", "Trial pod baseline", {
            cpuRequest: "500m",
            cpuLimit: "2",
            memoryRequest: "512Mi",
            memoryLimit: "2Gi",
        }),
        tmpSizeLimit: str("trialTmpSizeLimit", v.byteQuantity, {
            default: "1Gi",
            description: "Size limit of the trial pod's /tmp emptyDir.",
        }),
        ingressPorts: ports("trialIngressPorts", v.distinctPorts, {
            default: [],
            description:
                "TCP ports on trial pods that other pods of the pipeline namespace may reach. Empty (the default) " +
                "isolates trial pods for ingress entirely.",
        }),
    },
    admission: {
        enabled: bool("admissionPolicy", {
            default: true,
            description:
                "Create a ValidatingAdmissionPolicy and its binding (cluster-scoped) that hold every pod the pipeline " +
                "ServiceAccount creates to the trial baseline: trial labels, an allowed ServiceAccount, no token, no host " +
                "namespaces or hostPath, Secrets only from the allow list. false where the deployer cannot create " +
                "cluster-scoped objects; see docs/operations.md for what is then unprotected.",
        }),
        serviceAccounts: strings("trialServiceAccounts", v.eachOf(v.dns1123Subdomain), {
            default: ["default"],
            description:
                "ServiceAccounts that pods the pipeline creates may run as (never the cleanup or LiteLLM accounts).",
        }),
        secretNames: strings("trialSecretNames", v.eachOf(v.dns1123Subdomain), {
            default: [],
            description:
                "Secrets that pods the pipeline creates may reference (volumes, env, envFrom, projected); in litellm " +
                "mode the LiteLLM master key is added.",
        }),
        claimNames: strings("trialClaimNames", v.eachOf(v.dns1123Subdomain), {
            default: [VOLUMES.workspace],
            description:
                "PersistentVolumeClaims that pods the pipeline creates may mount (ephemeral volumes are always " +
                "allowed); never the dead-letter claim, whose records only the cleanup job may hold.",
        }),
        podNamePrefix: str("trialPodNamePrefix", v.namePrefix, {
            default: "trial-",
            description:
                "Start of the name of every pod the pipeline creates (name or generateName). The pipeline may exec " +
                "into, attach to and port-forward to only pods whose name starts with it, so never into the LiteLLM proxy's " +
                "or the cleanup's pods, which hold keys and a token that can delete; it must not be the start of those pods' names.",
        }),
    },
    pipeline: {
        serviceAccountName: str("pipelineServiceAccount", v.dns1123Subdomain, {
            default: "pipeline",
            description: "ServiceAccount the Tekton pipeline runs as.",
        }),
        needsSecrets: bool("pipelineNeedsSecrets", {
            default: true,
            description:
                "Whether the pipeline reads Secrets through the API; then pipelineSecretNames must not be empty.",
        }),
        // Named Secrets only matter while the pipeline reads Secrets at all.
        secretNames: key(
            "pipelineSecretNames",
            "string[]",
            {
                default: ["ab-eval-db-credentials"],
                description:
                    "The only Secrets the pipeline may get (resourceNames); never list or watch, and never the Secret " +
                    `of the Vertex AI key (${LITELLM.credentialsSecret} or litellmVertexCredentialsSecretName).`,
            },
            v.eachOf(v.dns1123Subdomain),
            (names: string[], all) => (all.pipelineNeedsSecrets === true ? names : []),
        ),
        managesPvcs: bool("pipelineManagesPvcs", {
            default: false,
            description: "Grant the pipeline delete on PersistentVolumeClaims (per-run volumes). Off by default.",
        }),
        sccClusterRole: optionalName("pipelineSccClusterRole", v.rbacName, {
            default: "pipelines-scc-clusterrole",
            description:
                "ClusterRole that grants use of OpenShift Pipelines' pipelines-scc, bound to the pipeline " +
                "ServiceAccount in this namespace, so task pods still run once the operator's own per-namespace RBAC is off " +
                "(createRbacResource false). Empty binds nothing (vanilla Kubernetes, or an operator that still creates its binding).",
        }),
    },
    preview: {
        identity: bool("previewIdentity", {
            default: true,
            description:
                `Create the read-only ServiceAccount ${PREVIEW_IDENTITY.name} that pull-request previews run as: get, ` +
                "list and watch on the kinds this program manages in the namespace except Secrets, get by name on its " +
                "cluster-scoped objects and namespace kube-system; it can change nothing. See docs/operations.md, section 10.",
        }),
    },
    dns: {
        namespace: str("dnsNamespace", v.dns1123Label, {
            default: OPENSHIFT_DNS.namespace,
            description: "Namespace of the cluster DNS pods (kube-system on vanilla Kubernetes).",
        }),
        podLabels: labels("dnsPodLabels", {
            default: ["dns.operator.openshift.io/daemonset-dns=default"],
            description: "Labels (key=value) of the cluster DNS pods.",
        }),
        ports: ports("dnsPorts", v.uniquePorts, {
            default: [OPENSHIFT_DNS.podPort, 53],
            description:
                `DNS pod ports allowed over UDP and TCP. OpenShift's DNS pods listen on ${OPENSHIFT_DNS.podPort} behind ` +
                "the Service's port 53, and egress is checked after the Service DNAT.",
        }),
    },
    directApi: {
        extraExceptCidrs: strings("directApiExtraExceptCidrs", v.eachOf(v.exceptCidr), {
            default: [],
            description:
                "Networks (IPv4 or IPv6 CIDRs) excluded from direct-api egress besides RFC1918, 169.254.0.0/16 and " +
                "100.64.0.0/10 (for example a cluster network that is not private). The program opens IPv4 egress only, so " +
                "IPv6 entries are checked but have no block to apply to.",
        }),
    },
    selfHosted: {
        // Empty means the pipeline's own namespace.
        namespace: key(
            "selfHostedNamespace",
            "string",
            {
                default: "",
                description: "Namespace of the model server; empty means the pipeline namespace.",
            },
            v.optional(v.dns1123Label),
            (ns: string, all) => (ns === "" ? String(all.namespace) : ns),
        ),
        podLabels: labels("selfHostedPodLabels", {
            default: ["app.kubernetes.io/name=model-server"],
            description: "Labels (key=value) of the model server pods.",
        }),
        port: int("selfHostedPort", "int32", v.port, {
            default: 8000,
            description: "Model server pod port (vLLM 8000, TGI 80, Ollama 11434).",
        }),
    },
    litellm: {
        when: (all: Record<string, Raw>) => all.llmMode === ("litellm" satisfies LlmMode),
        schema: {
            image: str("litellmImage", v.digestPinnedImage, {
                default:
                    "ghcr.io/berriai/litellm:v1.84.10@sha256:3f59ec3f54e095c18abdc4142ea0afd2f3961d91133c6677ae378a36bf212029",
                description: "LiteLLM proxy image, pinned by digest (repository[:tag]@sha256:<64 hex>).",
            }),
            replicas: int("litellmReplicas", "int32", v.atLeast(1), {
                default: 2,
                description: `LiteLLM proxy replicas; at least ${PROD_MIN_LITELLM_REPLICAS} when environment is prod.`,
            }),
            port: int("litellmPort", "int32", v.port, {
                default: 4000,
                description: "Port the LiteLLM proxy listens on (container, Service and policies).",
            }),
            // Checked only in litellm mode, by the rule litellm-models.
            models: key(
                "litellmModels",
                "string[]",
                {
                    default: ["gemini-2.5-flash"],
                    description:
                        'Vertex AI models the proxy serves: "model" or "publicName=model", the model a Gemini name or a ' +
                        "Model Garden id with '/' (meta/llama3-405b-instruct-maas); each becomes a model_list entry with model " +
                        "vertex_ai/<model>.",
                },
                none,
                (entries: string[]) => entries.map((m) => v.parseModel(m) as { name: string; model: string }),
            ),
            vertexProject: str("litellmVertexProject", none, {
                default: "",
                description: "Google Cloud project of the Vertex AI models. Required in litellm mode.",
            }),
            vertexLocation: str("litellmVertexLocation", v.dns1123Label, {
                default: "us-central1",
                description: "Vertex AI region.",
            }),
            /** Exactly one of these two is set (the rule litellm-vertex-credentials-source). */
            vertexCredentials: {
                ...key(
                    "litellmVertexCredentials",
                    "string",
                    {
                        default: "",
                        description:
                            "Vertex service-account JSON; must be set with `pulumi config set --secret` (a plaintext value " +
                            "is refused). Exactly one of this and litellmVertexCredentialsSecretName is required in litellm mode.",
                    },
                    none,
                    (json: string) => (json === "" ? undefined : pulumi.secret(json)),
                ),
                secret: true,
            },
            vertexCredentialsSecretName: optionalName("litellmVertexCredentialsSecretName", v.dns1123Subdomain, {
                default: "",
                description: `Name of an existing Secret holding the service-account JSON under key ${LITELLM.credentialsKey}.`,
            }),
            resources: resources("litellm", "LiteLLM container", {
                cpuRequest: "500m",
                cpuLimit: "2",
                memoryRequest: "1Gi",
                memoryLimit: "2Gi",
            }),
            // LiteLLM's config only: no object field holds it, and no retry count needs more than int32.
            numRetries: int("litellmNumRetries", "int32", v.atLeast(0), {
                default: 2,
                description: "litellm_settings.num_retries.",
            }),
            // Also in the pod's terminationGracePeriodSeconds (int64) with 25 s added: int32 keeps the sum exact.
            requestTimeoutSeconds: int("litellmRequestTimeoutSeconds", "int32", v.atLeast(1), {
                default: 600,
                description: "litellm_settings.request_timeout in seconds.",
            }),
            requireSpread: bool("litellmRequireSpread", {
                default: false,
                description:
                    "Spread proxy replicas across nodes as a requirement (DoNotSchedule) rather than a preference; " +
                    "a replica that cannot be placed on its own node stays pending.",
            }),
            masterKeyRotation: int("litellmMasterKeyRotation", "safe", v.atLeast(0), {
                default: 0,
                description:
                    "Raise it by one to rotate the proxy's master key: the next up generates a new key, writes it to " +
                    `the ${LITELLM.masterKeySecret} Secret and rolls the proxy, after which the old key is refused ` +
                    '(docs/operations.md, "Rotating the keys").',
            }),
        },
    },
    storage: {
        workspace: volume("workspace", "Workspace", "20Gi"),
        deadLetter: volume("deadLetter", "Dead-letter", "5Gi"),
        protect: bool("protectVolumes", {
            default: false,
            description:
                "Also mark the PVCs protect, so Pulumi refuses any plan that deletes them. Volumes are retained on delete regardless.",
        }),
        adoptExisting: bool("adoptExistingVolumes", {
            default: false,
            description:
                "The claims may already exist and be bound (a namespace migrated with npm run migrate, or retained by " +
                "an earlier destroy after the cleanup job had bound the dead-letter claim); pulumi up then adopts them without " +
                "the provider's bind wait, which on a WaitForFirstConsumer class waits for Pending and times out on a bound claim.",
        }),
    },
    cleanup: {
        image: str("cleanupImage", v.digestPinnedImage, {
            default:
                "registry.access.redhat.com/ubi9/nodejs-20-minimal@sha256:9711ea3b74ca3cfb4278465d7203870d742441c7a21c5e22efa458a28e6d0fae",
            description: "Image that runs cleanup/cleanup.js (any Node.js 20+ image), pinned by digest.",
        }),
        schedule: str("cleanupSchedule", v.cronSchedule, {
            default: "0 3 * * *",
            description:
                "CronJob schedule as Kubernetes parses it: five cron fields (day of week 0-6 or SUN-SAT) or a " +
                "descriptor such as @daily or @every 6h; no TZ= prefix (see cleanupTimeZone).",
        }),
        timeZone: str("cleanupTimeZone", v.timeZone, {
            default: "Etc/UTC",
            description:
                "CronJob time zone: a name of Go's tz database (components/timeZones.json), spelt exactly, such as " +
                "Europe/Berlin or EST5EDT.",
        }),
        // Read by cleanup.js from the environment; ages count in milliseconds, exact only below 2^53.
        trialPodMaxAgeHours: int("cleanupTrialPodMaxAgeHours", "int32", v.atLeast(1), {
            default: 24,
            description: "Finished trial pods older than this many hours are deleted.",
        }),
        pipelineRunMaxAgeHours: int("cleanupPipelineRunMaxAgeHours", "int32", v.atLeast(1), {
            default: 168,
            description: "PipelineRuns completed longer ago than this many hours are deleted.",
        }),
        pipelineRunKeepRecent: int("cleanupPipelineRunKeepRecent", "int32", v.atLeast(0), {
            default: 0,
            description: "Always keep at least this many most recent completed PipelineRuns, whatever their age.",
        }),
        imageStreamMaxAgeHours: int("cleanupImageStreamMaxAgeHours", "int32", v.atLeast(1), {
            default: 336,
            description:
                "ImageStreams whose newest image is older than this many hours are deleted; a stream with no images " +
                "yet is aged by its creation time, so a build's new stream survives until its first push.",
        }),
        deadLetter: bool("cleanupDeadLetter", {
            default: true,
            description: "Copy the record of each failed PipelineRun to the dead-letter volume before pruning it.",
        }),
        deadLetterRetentionDays: int("cleanupDeadLetterRetentionDays", "int32", v.atLeast(1), {
            default: 30,
            description: "Dead-letter entries older than this many days are removed.",
        }),
        dryRun: bool("cleanupDryRun", {
            default: false,
            description: "List what would be deleted and delete nothing.",
        }),
        concurrency: int("cleanupConcurrency", "int32", v.atLeast(1), {
            default: 8,
            description: "Deletes in flight at once.",
        }),
        // int64 fields of the CronJob and the Job.
        startingDeadlineSeconds: int("cleanupStartingDeadlineSeconds", "safe", v.atLeast(10), {
            default: 3600,
            description: "CronJob startingDeadlineSeconds.",
        }),
        activeDeadlineSeconds: int("cleanupActiveDeadlineSeconds", "safe", v.atLeast(1), {
            default: 1800,
            description: "Job activeDeadlineSeconds.",
        }),
        // int32 fields.
        backoffLimit: int("cleanupBackoffLimit", "int32", v.atLeast(0), {
            default: 2,
            description: "Job backoffLimit (retries of a failed run).",
        }),
        ttlSecondsAfterFinished: int("cleanupTtlSecondsAfterFinished", "int32", v.atLeast(0), {
            default: 86400,
            description: "Job ttlSecondsAfterFinished.",
        }),
        successfulJobsHistory: int("cleanupSuccessfulJobsHistory", "int32", v.atLeast(0), {
            default: 3,
            description: "CronJob successfulJobsHistoryLimit.",
        }),
        failedJobsHistory: int("cleanupFailedJobsHistory", "int32", v.atLeast(0), {
            default: 3,
            description: "CronJob failedJobsHistoryLimit.",
        }),
        resources: resources("cleanup", "Cleanup container", {
            cpuRequest: "100m",
            cpuLimit: "500m",
            memoryRequest: "128Mi",
            memoryLimit: "256Mi",
        }),
        imageStreamSelector: str("cleanupImageStreamSelector", v.optional(v.labelSelector), {
            default: "",
            description:
                "Label selector (key=value[, key=value]) of the ImageStreams the cleanup may prune; empty (the " +
                "default) prunes no ImageStream, so imported base images are never deleted.",
        }),
        apiServer: {
            cidrs: strings("apiServerCidrs", v.eachOf(v.exceptCidr), {
                default: [],
                description:
                    "Addresses (CIDRs) of the API server endpoints the cleanup pod may reach. Empty: taken at deploy " +
                    "time from the endpoints of Service default/kubernetes.",
            }),
            ports: ports("apiServerPorts", v.uniquePorts, {
                default: [6443],
                description:
                    "Ports of the API server endpoints (6443 on OpenShift; egress is checked after the kubernetes " +
                    "Service's address translation, so the Service port 443 alone does not work).",
            }),
        },
    },
} as const;

/** The heading Pulumi.yaml's config block gives each group of keys, by the group's first key. */
export const HEADINGS: Readonly<Partial<Record<KeyName, string>>> = {
    namespace: "identity",
    podSecurityEnforce: "pod security admission",
    quotaPods: "quota and container defaults",
    trialPodLabels: "trial pods",
    admissionPolicy: "admission of the pipeline's pods",
    pipelineServiceAccount: "pipeline RBAC",
    previewIdentity: "pull-request preview",
    dnsNamespace: "DNS egress",
    directApiExtraExceptCidrs: "direct-api mode",
    selfHostedNamespace: "self-hosted mode",
    litellmImage: "litellm mode",
    workspaceSize: "storage",
    cleanupImage: "cleanup job",
};

// ---------------------------------------------------------------------------------------
// Types derived from SCHEMA

/** The object a schema node builds. */
export type Built<S> =
    S extends Key<string, infer _P, infer T>
        ? T
        : S extends Optional<infer Inner>
          ? Built<Inner> | undefined
          : { -readonly [K in keyof S]: Built<S[K]> };

type Leaves<S> =
    S extends Key<infer N, infer P, unknown>
        ? { name: N; parsed: P }
        : S extends Optional<infer Inner>
          ? Leaves<Inner>
          : S extends object
            ? { [K in keyof S]: Leaves<S[K]> }[keyof S]
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

/** Every key of SCHEMA by name, in SCHEMA's order (Pulumi.yaml's and the README table's). */
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

/** Keys whose value must be a Pulumi secret (Key.secret). */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
    [...KEYS.values()].filter((k) => k.secret === true).map((k) => k.name),
);

/** A key as Pulumi.yaml's `config:` block declares it (Pulumi's project config schema). */
export interface KeyDeclaration {
    type: "string" | "integer" | "boolean" | "array";
    items?: { type: "string" | "integer" };
    default?: Raw;
    description: string;
}

/** Pulumi.yaml's `config:` block as data: every key of SCHEMA, in its order, without the project prefix. */
export function projectConfigDeclarations(): Record<string, KeyDeclaration> {
    return Object.fromEntries(
        [...KEYS.values()].map((k) => {
            const list = k.kind.endsWith("[]");
            const declaration: KeyDeclaration = {
                type: list ? "array" : (k.kind as KeyDeclaration["type"]),
                ...(list ? { items: { type: k.kind.slice(0, -2) as "string" | "integer" } } : {}),
                ...(k.default === undefined ? {} : { default: k.default }),
                description: k.description,
            };
            return [k.name, declaration];
        }),
    );
}

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
