// One case or more per rule of components/configRules.ts: a change to the dev stack after which
// exactly that rule fires, with its exact message, and nothing fires without the rule.
import { expect } from "chai";
import { committedStacks, ConfigValidationError, loadConfig, objectConfigSource, PROJECT } from "../components/config";
import { KeyName } from "../components/configKeys";
import { CONFIG_RULES, ConfigRule } from "../components/configRules";
import { stackConfig } from "./harness";

interface Case {
    readonly what: string;
    /** Keys set on top of the dev stack's values. */
    readonly set: Readonly<Partial<Record<KeyName, unknown>>>;
    /** Keys set as secrets (pulumi config set --secret); none when absent. */
    readonly secret?: readonly KeyName[];
    /** The one problem of the whole configuration. */
    readonly problem: string;
}

const SERVICE_ACCOUNT_JSON = JSON.stringify({
    type: "service_account",
    project_id: "abevalflow-dev",
    private_key: "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    client_email: "litellm@abevalflow-dev.iam.gserviceaccount.com",
});
const MODELS_EXPECTED =
    "a non-empty list of Vertex AI model ids (such as gemini-2.5-flash or meta/llama3-405b-instruct-maas), each 'model' " +
    "or 'publicName=model', with distinct public names in litellm mode";
const CREDENTIALS_SOURCE_EXPECTED =
    "exactly one of litellmVertexCredentials (set with --secret) and litellmVertexCredentialsSecretName in litellm mode";
const NAMESPACE_EXPECTED =
    "a namespace of its own: default, kube-* and openshift-* belong to the cluster, whose own pods the quota, " +
    "the egress policies and the cleanup would reach";

const CASES: Record<string, readonly Case[]> = {
    "pipeline-secret-names-when-needed": [
        {
            what: "no Secret names while the pipeline reads Secrets",
            set: { pipelineSecretNames: [] },
            problem:
                'abevalflow:pipelineSecretNames = "[]": expected at least one Secret name while pipelineNeedsSecrets is true ' +
                "(or set pipelineNeedsSecrets to false)",
        },
    ],
    "litellm-models": [
        {
            what: "no model",
            set: { litellmModels: [] },
            problem: `abevalflow:litellmModels = "[]": expected ${MODELS_EXPECTED}`,
        },
        {
            what: "two models under one public name",
            set: { litellmModels: ["fast=gemini-2.5-flash", "fast=gemini-2.5-pro"] },
            problem:
                'abevalflow:litellmModels = "[\\"fast=gemini-2.5-flash\\",\\"fast=gemini-2.5-pro\\"]": ' +
                `expected ${MODELS_EXPECTED}`,
        },
    ],
    "litellm-vertex-project": [
        {
            what: "no project",
            set: { litellmVertexProject: "" },
            problem: 'abevalflow:litellmVertexProject = "": expected a Google Cloud project id in litellm mode',
        },
        {
            what: "a project id too short",
            set: { litellmVertexProject: "ab" },
            problem:
                "abevalflow:litellmVertexProject = \"ab\": expected a Google Cloud project id: 6-30 lower-case letters, digits or '-', " +
                "starting with a letter",
        },
    ],
    "litellm-vertex-credentials-source": [
        {
            what: "both the inline key and a Secret name",
            set: { litellmVertexCredentials: SERVICE_ACCOUNT_JSON },
            secret: ["litellmVertexCredentials"],
            problem: `abevalflow:litellmVertexCredentialsSecretName = "vertex-service-account": expected ${CREDENTIALS_SOURCE_EXPECTED}`,
        },
        {
            what: "neither",
            set: { litellmVertexCredentialsSecretName: "" },
            problem: `abevalflow:litellmVertexCredentialsSecretName = "": expected ${CREDENTIALS_SOURCE_EXPECTED}`,
        },
    ],
    "litellm-vertex-credentials-secret": [
        {
            what: "the key in plaintext",
            set: { litellmVertexCredentials: SERVICE_ACCOUNT_JSON, litellmVertexCredentialsSecretName: "" },
            problem:
                "abevalflow:litellmVertexCredentials = <secret>: expected a secret: set it with " +
                '`pulumi config set --secret abevalflow:litellmVertexCredentials "$(cat sa.json)"`',
        },
        {
            what: "a secret that is no service-account key",
            set: { litellmVertexCredentials: "{}", litellmVertexCredentialsSecretName: "" },
            secret: ["litellmVertexCredentials"],
            problem:
                "abevalflow:litellmVertexCredentials = <secret>: expected a Google service-account key in JSON form (an object with " +
                "type, project_id, private_key and client_email)",
        },
    ],
    "prod-litellm-replicas": [
        {
            what: "one proxy replica in prod",
            set: { environment: "prod", litellmReplicas: 1 },
            problem:
                'abevalflow:litellmReplicas = "1": expected at least 2 when environment is prod, so the proxy survives a node drain',
        },
    ],
    "openshift-dns-pod-port": [
        {
            what: "only the Service's port 53",
            set: { dnsPorts: [53] },
            problem:
                'abevalflow:dnsPorts = "[53]": expected a list including 5353 while dnsNamespace is openshift-dns: its DNS pods listen ' +
                "on 5353 behind the Service's port 53, and egress is checked after the Service's address translation",
        },
    ],
    "dead-letter-outlives-runs": [
        {
            what: "a retention shorter than a run's age plus a day",
            set: { cleanupDeadLetterRetentionDays: 3 },
            problem:
                'abevalflow:cleanupDeadLetterRetentionDays = "3": expected at least 8 days with cleanupPipelineRunMaxAgeHours = 168: ' +
                "a shorter retention would remove a failed run's record in the same run that writes it",
        },
    ],
    "namespace-of-its-own": [
        {
            what: "default",
            set: { namespace: "default" },
            problem: `abevalflow:namespace = "default": expected ${NAMESPACE_EXPECTED}`,
        },
        {
            what: "a kube- namespace",
            set: { namespace: "kube-system" },
            problem: `abevalflow:namespace = "kube-system": expected ${NAMESPACE_EXPECTED}`,
        },
        {
            what: "an openshift- namespace",
            set: { namespace: "openshift-pipelines" },
            problem: `abevalflow:namespace = "openshift-pipelines": expected ${NAMESPACE_EXPECTED}`,
        },
    ],
    "pipeline-account-not-the-programs": [
        {
            what: "the proxy's account",
            set: { pipelineServiceAccount: "litellm" },
            problem:
                'abevalflow:pipelineServiceAccount = "litellm": expected a ServiceAccount other than abevalflow-cleanup, litellm and ' +
                "pulumi-preview, which this program creates for its own pods and for previews",
        },
    ],
    "trial-accounts-not-privileged": [
        {
            what: "the pipeline's own account",
            set: { trialServiceAccounts: ["default", "pipeline"] },
            problem:
                'abevalflow:trialServiceAccounts = "[\\"default\\",\\"pipeline\\"]": expected no account of the pipeline or the ' +
                "program's own pods (pipeline): a trial pod would carry its token, and with it the pipeline's right to create pods and " +
                "read its Secrets, the cleanup's to delete, the proxy's model credentials or the preview's reads",
        },
    ],
    "trial-secrets-without-vertex-key": [
        {
            what: "the Secret the stack names for the key",
            set: { trialSecretNames: ["vertex-service-account"] },
            problem:
                'abevalflow:trialSecretNames = "[\\"vertex-service-account\\"]": expected a list without vertex-service-account, the ' +
                "Secret holding the Vertex AI key: trial pods reach the model through the LiteLLM proxy and must never hold the key itself",
        },
    ],
    "pipeline-secrets-without-vertex-key": [
        {
            what: "the Secret the program writes for the key",
            set: { pipelineSecretNames: ["ab-eval-db-credentials", "litellm-vertex-credentials"] },
            problem:
                'abevalflow:pipelineSecretNames = "[\\"ab-eval-db-credentials\\",\\"litellm-vertex-credentials\\"]": expected a list ' +
                "without litellm-vertex-credentials, the Secret holding the Vertex AI key: only the LiteLLM proxy reads it, and the " +
                "pipeline runs the trials' code",
        },
    ],
    "claims-quota-covers-own-claims": [
        {
            what: "room for one claim",
            set: { quotaPersistentVolumeClaims: 1 },
            problem:
                'abevalflow:quotaPersistentVolumeClaims = "1": expected at least 2, the claims the program itself creates ' +
                "(abevalflow-workspace, abevalflow-dead-letter); the pipeline's own claims count on top",
        },
    ],
    "trial-claims-without-dead-letter": [
        {
            what: "the dead-letter claim",
            set: { trialClaimNames: ["abevalflow-workspace", "abevalflow-dead-letter"] },
            problem:
                'abevalflow:trialClaimNames = "[\\"abevalflow-workspace\\",\\"abevalflow-dead-letter\\"]": expected a list without ' +
                "abevalflow-dead-letter, the dead-letter claim: only the cleanup job may mount it",
        },
    ],
    "trial-pod-name-prefix-distinct": [
        {
            what: "the start of the proxy's pod names",
            set: { trialPodNamePrefix: "lite" },
            problem:
                'abevalflow:trialPodNamePrefix = "lite": expected a prefix that no pod of the program can be named with (its pods are ' +
                "named litellm-... and abevalflow-cleanup-...): the pipeline may exec into pods with this prefix, and the proxy's and the " +
                "cleanup's hold keys and a token that can delete",
        },
        {
            what: "a name inside the cleanup's pod names",
            set: { trialPodNamePrefix: "abevalflow-cleanup-trial-" },
            problem:
                'abevalflow:trialPodNamePrefix = "abevalflow-cleanup-trial-": expected a prefix that no pod of the program can be ' +
                "named with (its pods are named litellm-... and abevalflow-cleanup-...): the pipeline may exec into pods with this " +
                "prefix, and the proxy's and the cleanup's hold keys and a token that can delete",
        },
    ],
    "trial-labels-select-only-trials": [
        {
            what: "the label every pod of the program carries",
            set: { trialPodLabels: ["app.kubernetes.io/part-of=abevalflow"] },
            problem:
                'abevalflow:trialPodLabels = "[\\"app.kubernetes.io/part-of=abevalflow\\"]": expected labels that select only trial ' +
                "pods: these also select the pods of the LiteLLM proxy and the cleanup job, which would get the trial egress policies",
        },
    ],
    "requests-within-limits": [
        {
            what: "a proxy cpu request above its limit",
            set: { litellmCpuRequest: "3" },
            problem:
                'abevalflow:litellmCpuRequest = "3": expected at most litellmCpuLimit (2): the API server refuses a LiteLLM container ' +
                "whose request is above its limit",
        },
        {
            what: "a LimitRange default memory request above the default limit",
            set: { containerDefaultMemoryRequest: "2Gi" },
            problem:
                'abevalflow:containerDefaultMemoryRequest = "2Gi": expected at most containerDefaultMemoryLimit (1Gi): the API ' +
                "server refuses a LimitRange default whose request is above its limit",
        },
    ],
    "self-hosted-namespace-not-dns": [
        {
            what: "the model server in the DNS namespace",
            set: { llmMode: "self-hosted", selfHostedNamespace: "openshift-dns" },
            problem:
                'abevalflow:selfHostedNamespace = "openshift-dns": expected a namespace other than the DNS namespace',
        },
    ],
};

/** The problems of the stack's values with `set` on top, checked with `rules`. */
function problems(
    rules: readonly ConfigRule[],
    stack: string,
    set: Case["set"] = {},
    secret: Case["secret"] = [],
): string[] {
    const values: Record<string, unknown> = { ...stackConfig(stack) };
    for (const [key, value] of Object.entries(set)) {
        values[`${PROJECT}:${key}`] = value;
    }
    try {
        loadConfig(objectConfigSource(values, secret), rules);
        return [];
    } catch (e) {
        if (e instanceof ConfigValidationError) {
            return e.problems;
        }
        throw e;
    }
}

describe("config rules (components/configRules.ts)", () => {
    it("have unique names in kebab-case, each with a description", () => {
        const names = CONFIG_RULES.map((rule) => rule.name);
        expect(new Set(names).size, "rule names").to.equal(names.length);
        for (const rule of CONFIG_RULES) {
            expect(rule.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
            expect(rule.description, rule.name).to.match(/\w{3}.*\.$/);
        }
    });

    it("each have a case here, and every case a rule", () => {
        const names = CONFIG_RULES.map((rule) => rule.name);
        expect(
            names.filter((name) => !(name in CASES)),
            "rules without a case in tests/config-rules.spec.ts",
        ).to.deep.equal([]);
        expect(
            Object.keys(CASES).filter((name) => !names.includes(name)),
            "cases of no rule",
        ).to.deep.equal([]);
        for (const [name, cases] of Object.entries(CASES)) {
            expect(cases, name).to.not.have.lengthOf(0);
        }
    });

    it("find nothing in the committed stacks", () => {
        for (const stack of committedStacks()) {
            expect(problems(CONFIG_RULES, stack), stack).to.deep.equal([]);
        }
    });

    for (const rule of CONFIG_RULES) {
        for (const c of CASES[rule.name] ?? []) {
            it(`${rule.name}: refuses ${c.what}, and only this rule does`, () => {
                expect(problems(CONFIG_RULES, "dev", c.set, c.secret)).to.deep.equal([c.problem]);
                expect(
                    problems(
                        CONFIG_RULES.filter((other) => other !== rule),
                        "dev",
                        c.set,
                        c.secret,
                    ),
                ).to.deep.equal([]);
            });
        }
    }
});
