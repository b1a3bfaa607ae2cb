// The rules that relate stack keys, shaped like the policy pack's rules (policy/lib/rule.ts):
// a name, what the rule requires, and a pure check of plain values that returns its problems.
// config.ts runs every rule after the per-key checks, on the values that passed them, and
// reports what all of them find in one error with the per-key problems.
import {
    KeyName,
    OPENSHIFT_DNS,
    ParsedValues,
    PROD_MIN_LITELLM_REPLICAS,
    PROJECT,
    RESOURCE_HOLDERS,
} from "./configKeys";
import { CLEANUP, LITELLM, OWN_POD_NAME_PREFIXES, PART_OF, PREVIEW_IDENTITY, VOLUMES } from "./names";
import * as v from "./validation";

/** What a rule reads. */
export interface RuleInput {
    /** Every key's parsed value that passed its own check; a key whose value did not is absent. */
    readonly values: Partial<ParsedValues>;
    /** Every key's value as the engine passes it (the stack's, else the default), checked or not. */
    readonly raw: Partial<Record<KeyName, string>>;
    /** The keys whose value was set as a secret (pulumi config set --secret). */
    readonly secret: ReadonlySet<string>;
}

/** One problem: the key an operator would change, and the form expected (completing "expected ..."). */
export interface RuleProblem {
    readonly key: KeyName;
    readonly expected: string;
}

export interface ConfigRule {
    /** Unique among the rules; tests/config-rules.spec.ts has a case for each by this name. */
    readonly name: string;
    /** What the rule requires, for the README's table of rules (generated). */
    readonly description: string;
    /** The problems found; an empty list when the values keep the rule. */
    check(input: RuleInput): RuleProblem[];
}

/** The cluster's own namespaces: these names, and any name with one of these prefixes. */
const RESERVED_NAMESPACES = ["default", "openshift"];
const RESERVED_NAMESPACE_PREFIXES = ["kube-", "openshift-"];
/** The ServiceAccounts the program creates for its own pods and for previews. */
const PROGRAM_ACCOUNTS: readonly string[] = [CLEANUP.name, LITELLM.name, PREVIEW_IDENTITY.name];
const problem = (key: KeyName, expected: string): RuleProblem[] => [{ key, expected }];
const inLitellmMode = (values: Partial<ParsedValues>): boolean => values.llmMode === "litellm";

/** In the order their problems are reported. */
export const CONFIG_RULES: readonly ConfigRule[] = [
    {
        name: "pipeline-secret-names-when-needed",
        description: "While pipelineNeedsSecrets is true, pipelineSecretNames names at least one Secret.",
        check: ({ values }) =>
            values.pipelineNeedsSecrets === true && values.pipelineSecretNames?.length === 0
                ? problem(
                      "pipelineSecretNames",
                      "at least one Secret name while pipelineNeedsSecrets is true (or set pipelineNeedsSecrets to false)",
                  )
                : [],
    },
    {
        name: "litellm-models",
        description:
            "In litellm mode, litellmModels is a non-empty list of Vertex AI model ids with distinct public names.",
        check: ({ values }) => {
            const models = values.litellmModels;
            const modelProblem = inLitellmMode(values) && models ? v.modelList(models) : undefined;
            return modelProblem ? problem("litellmModels", `${modelProblem} in litellm mode`) : [];
        },
    },
    {
        name: "litellm-vertex-project",
        description: "In litellm mode, litellmVertexProject is a Google Cloud project id.",
        check: ({ values }) => {
            if (!inLitellmMode(values)) {
                return [];
            }
            if (!values.litellmVertexProject) {
                return problem("litellmVertexProject", "a Google Cloud project id in litellm mode");
            }
            return /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(values.litellmVertexProject)
                ? []
                : problem(
                      "litellmVertexProject",
                      "a Google Cloud project id: 6-30 lower-case letters, digits or '-', starting with a letter",
                  );
        },
    },
    {
        name: "litellm-vertex-credentials-source",
        description:
            "In litellm mode, exactly one of litellmVertexCredentials and litellmVertexCredentialsSecretName is set.",
        check: ({ values, raw }) => {
            const inline = (raw.litellmVertexCredentials ?? "") !== "";
            const named = (values.litellmVertexCredentialsSecretName ?? "") !== "";
            return inLitellmMode(values) && inline === named
                ? problem(
                      "litellmVertexCredentialsSecretName",
                      "exactly one of litellmVertexCredentials (set with --secret) and litellmVertexCredentialsSecretName in litellm mode",
                  )
                : [];
        },
    },
    {
        name: "litellm-vertex-credentials-secret",
        description:
            "In litellm mode, litellmVertexCredentials, when set, is set as a secret and holds a Google service-account key in JSON form.",
        check: ({ values, raw, secret }) => {
            const json = raw.litellmVertexCredentials ?? "";
            if (!inLitellmMode(values) || json === "") {
                return [];
            }
            if (!secret.has("litellmVertexCredentials")) {
                return problem(
                    "litellmVertexCredentials",
                    `a secret: set it with \`pulumi config set --secret ${PROJECT}:litellmVertexCredentials "$(cat sa.json)"\``,
                );
            }
            return v.serviceAccountKeyProblem(json) === undefined
                ? []
                : problem(
                      "litellmVertexCredentials",
                      "a Google service-account key in JSON form (an object with type, project_id, private_key and client_email)",
                  );
        },
    },
    {
        name: "prod-litellm-replicas",
        description: `In litellm mode, a prod stack runs at least ${PROD_MIN_LITELLM_REPLICAS} proxy replicas, so the proxy survives a node drain.`,
        check: ({ values }) =>
            inLitellmMode(values) &&
            values.environment === "prod" &&
            typeof values.litellmReplicas === "number" &&
            values.litellmReplicas < PROD_MIN_LITELLM_REPLICAS
                ? problem(
                      "litellmReplicas",
                      `at least ${PROD_MIN_LITELLM_REPLICAS} when environment is prod, so the proxy survives a node drain`,
                  )
                : [],
    },
    {
        name: "openshift-dns-pod-port",
        description: `While dnsNamespace is ${OPENSHIFT_DNS.namespace}, dnsPorts includes ${OPENSHIFT_DNS.podPort}, the port its DNS pods listen on.`,
        check: ({ values }) =>
            values.dnsNamespace === OPENSHIFT_DNS.namespace &&
            values.dnsPorts &&
            !values.dnsPorts.includes(OPENSHIFT_DNS.podPort)
                ? problem(
                      "dnsPorts",
                      `a list including ${OPENSHIFT_DNS.podPort} while dnsNamespace is ${OPENSHIFT_DNS.namespace}: its DNS pods listen on ` +
                          `${OPENSHIFT_DNS.podPort} behind the Service's port 53, and egress is checked after the Service's address translation`,
                  )
                : [],
    },
    {
        name: "dead-letter-outlives-runs",
        description:
            "With cleanupDeadLetter on, dead-letter entries are kept at least a day longer than the PipelineRuns they record " +
            "(cleanupDeadLetterRetentionDays against cleanupPipelineRunMaxAgeHours).",
        check: ({ values }) => {
            const retentionDays = values.cleanupDeadLetterRetentionDays;
            const runMaxAge = values.cleanupPipelineRunMaxAgeHours;
            return values.cleanupDeadLetter === true &&
                retentionDays !== undefined &&
                runMaxAge !== undefined &&
                retentionDays * 24 < runMaxAge + 24
                ? problem(
                      "cleanupDeadLetterRetentionDays",
                      `at least ${Math.ceil((runMaxAge + 24) / 24)} days with cleanupPipelineRunMaxAgeHours = ${runMaxAge}: ` +
                          "a shorter retention would remove a failed run's record in the same run that writes it",
                  )
                : [];
        },
    },
    {
        name: "namespace-of-its-own",
        description:
            "namespace is not one of the cluster's own: " +
            `${[...RESERVED_NAMESPACES, ...RESERVED_NAMESPACE_PREFIXES.map((p) => `${p}*`)].join(", ")}.`,
        check: ({ values }) => {
            const namespace = values.namespace;
            return namespace !== undefined &&
                (RESERVED_NAMESPACES.includes(namespace) ||
                    RESERVED_NAMESPACE_PREFIXES.some((p) => namespace.startsWith(p)))
                ? problem(
                      "namespace",
                      "a namespace of its own: default, kube-* and openshift-* belong to the cluster, whose own pods " +
                          "the quota, the egress policies and the cleanup would reach",
                  )
                : [];
        },
    },
    {
        name: "pipeline-account-not-the-programs",
        description:
            "pipelineServiceAccount is none of the accounts the program creates for its own pods and for previews.",
        check: ({ values }) =>
            values.pipelineServiceAccount !== undefined && PROGRAM_ACCOUNTS.includes(values.pipelineServiceAccount)
                ? problem(
                      "pipelineServiceAccount",
                      `a ServiceAccount other than ${PROGRAM_ACCOUNTS.slice(0, -1).join(", ")} and ` +
                          `${PROGRAM_ACCOUNTS[PROGRAM_ACCOUNTS.length - 1]}, which this program creates for its own pods and for previews`,
                  )
                : [],
    },
    {
        name: "trial-accounts-not-privileged",
        description: "trialServiceAccounts holds neither the pipeline's account nor one the program creates.",
        check: ({ values }) => {
            const accounts =
                values.trialServiceAccounts?.filter(
                    (a) => PROGRAM_ACCOUNTS.includes(a) || a === values.pipelineServiceAccount,
                ) ?? [];
            return accounts.length > 0
                ? problem(
                      "trialServiceAccounts",
                      `no account of the pipeline or the program's own pods (${accounts.join(", ")}): a trial pod ` +
                          "would carry its token, and with it the pipeline's right to create pods and read its Secrets, the cleanup's to " +
                          "delete, the proxy's model credentials or the preview's reads",
                  )
                : [];
        },
    },
    {
        // The proxy exists so that trial pods never hold the Vertex key.
        name: "trial-secrets-without-vertex-key",
        description: "In litellm mode, trialSecretNames does not hold the Secret of the Vertex AI key.",
        check: ({ values }) => {
            if (!inLitellmMode(values)) {
                return [];
            }
            const vertexSecret =
                (values.litellmVertexCredentialsSecretName ?? "") !== ""
                    ? values.litellmVertexCredentialsSecretName
                    : LITELLM.credentialsSecret;
            return vertexSecret !== undefined && values.trialSecretNames?.includes(vertexSecret)
                ? problem(
                      "trialSecretNames",
                      `a list without ${vertexSecret}, the Secret holding the Vertex AI key: trial pods reach the ` +
                          "model through the LiteLLM proxy and must never hold the key itself",
                  )
                : [];
        },
    },
    {
        // The pipeline's Role may get these Secrets by name; the Vertex key belongs to the proxy alone,
        // whether the program writes its Secret or the stack names an existing one.
        name: "pipeline-secrets-without-vertex-key",
        description:
            `While pipelineNeedsSecrets is true, pipelineSecretNames holds neither ${LITELLM.credentialsSecret}, the Vertex AI ` +
            "key Secret the program writes, nor litellmVertexCredentialsSecretName.",
        check: ({ values }) => {
            const vertexSecrets = [LITELLM.credentialsSecret, values.litellmVertexCredentialsSecretName ?? ""].filter(
                (n) => n !== "",
            );
            const readable =
                values.pipelineNeedsSecrets === true
                    ? (values.pipelineSecretNames?.filter((n) => vertexSecrets.includes(n)) ?? [])
                    : [];
            return readable.length > 0
                ? problem(
                      "pipelineSecretNames",
                      `a list without ${readable.join(" and ")}, the Secret holding the Vertex AI key: only the ` +
                          "LiteLLM proxy reads it, and the pipeline runs the trials' code",
                  )
                : [];
        },
    },
    {
        // Below the program's own claims, the next claim it creates is refused by the quota.
        name: "claims-quota-covers-own-claims",
        description: "quotaPersistentVolumeClaims is at least the number of claims the program creates itself.",
        check: ({ values }) => {
            const ownClaims = Object.values(VOLUMES);
            return values.quotaPersistentVolumeClaims !== undefined &&
                values.quotaPersistentVolumeClaims < ownClaims.length
                ? problem(
                      "quotaPersistentVolumeClaims",
                      `at least ${ownClaims.length}, the claims the program itself creates ` +
                          `(${ownClaims.join(", ")}); the pipeline's own claims count on top`,
                  )
                : [];
        },
    },
    {
        // The records of failed runs must outlive any pod the pipeline starts: such a pod could read
        // or delete them, or hold the ReadWriteOnce claim so that the cleanup cannot write.
        name: "trial-claims-without-dead-letter",
        description: "trialClaimNames does not hold the dead-letter claim, which only the cleanup job mounts.",
        check: ({ values }) =>
            values.trialClaimNames?.includes(VOLUMES.deadLetter)
                ? problem(
                      "trialClaimNames",
                      `a list without ${VOLUMES.deadLetter}, the dead-letter claim: only the cleanup job may mount it`,
                  )
                : [],
    },
    {
        // The pipeline's exec, attach and port-forward are held to pods named with the prefix: a
        // prefix that the proxy's or the cleanup's pod names can start with would let them in.
        name: "trial-pod-name-prefix-distinct",
        description:
            `trialPodNamePrefix is not the start of ${OWN_POD_NAME_PREFIXES.join(" or ")}, the names of the program's own ` +
            "pods, and starts with neither.",
        check: ({ values }) => {
            const namePrefix = values.trialPodNamePrefix;
            const overlapping =
                namePrefix === undefined
                    ? []
                    : OWN_POD_NAME_PREFIXES.filter((own) => own.startsWith(namePrefix) || namePrefix.startsWith(own));
            return overlapping.length > 0
                ? problem(
                      "trialPodNamePrefix",
                      "a prefix that no pod of the program can be named with (its pods are named " +
                          `${OWN_POD_NAME_PREFIXES.map((p) => `${p}...`).join(" and ")}): the pipeline may exec into pods with this prefix, ` +
                          "and the proxy's and the cleanup's hold keys and a token that can delete",
                  )
                : [];
        },
    },
    {
        name: "trial-labels-select-only-trials",
        description: "trialPodLabels select neither the LiteLLM proxy's pods nor the cleanup job's.",
        check: ({ values }) => {
            const trialLabels = values.trialPodLabels ? v.parseLabels(values.trialPodLabels) : undefined;
            if (!trialLabels || typeof trialLabels === "string") {
                return [];
            }
            const ownPods: [string, Record<string, string>][] = [
                ["the LiteLLM proxy", { ...PART_OF, ...LITELLM.podLabels }],
                ["the cleanup job", { ...PART_OF, ...CLEANUP.podLabels }],
            ];
            const selected = ownPods
                .filter(([, labels]) => Object.entries(trialLabels).every(([k, val]) => labels[k] === val))
                .map(([who]) => who);
            return selected.length > 0
                ? problem(
                      "trialPodLabels",
                      `labels that select only trial pods: these also select the pods of ${selected.join(" and ")}, ` +
                          "which would get the trial egress policies",
                  )
                : [];
        },
    },
    {
        name: "requests-within-limits",
        description: `Every cpu and memory request (${Object.values(RESOURCE_HOLDERS).join(", ")}) is at most its limit, compared exactly.`,
        check: ({ values }) =>
            (Object.entries(RESOURCE_HOLDERS) as [keyof typeof RESOURCE_HOLDERS, string][]).flatMap(
                ([prefix, holder]) =>
                    (["Cpu", "Memory"] as const).flatMap((resource) => {
                        const requestKey = `${prefix}${resource}Request` as const;
                        const limitKey = `${prefix}${resource}Limit` as const;
                        const request = values[requestKey];
                        const limit = values[limitKey];
                        return request !== undefined && limit !== undefined && v.compareQuantities(request, limit) > 0
                            ? problem(
                                  requestKey,
                                  `at most ${limitKey} (${limit}): the API server refuses a ${holder} whose request is above its limit`,
                              )
                            : [];
                    }),
            ),
    },
    {
        name: "self-hosted-namespace-not-dns",
        description: "In self-hosted mode, selfHostedNamespace is not the DNS namespace.",
        check: ({ values }) =>
            values.llmMode === "self-hosted" &&
            values.selfHostedNamespace &&
            values.selfHostedNamespace === values.dnsNamespace
                ? problem("selfHostedNamespace", "a namespace other than the DNS namespace")
                : [],
    },
];
