import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import {
    ConfigValidationError,
    declarations,
    engineConfig,
    loadConfig,
    objectConfigSource,
    pulumiConfigSource,
    SECRET_KEYS,
} from "../components/config";
import { LiteLLMConfig, LLM_MODES } from "../components/configKeys";
import { renderLiteLLMConfig } from "../components/litellmConfig";
import { goZoneList, ZONE_FILE, ZoneList } from "../scripts/tzdata/names";
import { REPO_ROOT, stackConfig } from "./harness";

const SERVICE_ACCOUNT_JSON = JSON.stringify({
    type: "service_account",
    project_id: "abevalflow-dev",
    private_key: "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    client_email: "litellm@abevalflow-dev.iam.gserviceaccount.com",
});

function problemsFor(values: Record<string, unknown>, secretKeys: string[] = ["litellmVertexCredentials"]): string[] {
    try {
        loadConfig(objectConfigSource(values, secretKeys));
    } catch (e) {
        if (e instanceof ConfigValidationError) {
            return e.problems;
        }
        throw e;
    }
    return [];
}

describe("stack configuration", () => {
    it("suggests the nearest key by edit distance, and nothing when no key is near", () => {
        const problems = (extra: Record<string, unknown>): string[] => problemsFor({ ...stackConfig("dev"), ...extra });
        expect(problems({ litellmReplica: 2 })).to.deep.include(
            "abevalflow:litellmReplica = <not shown>: expected a key declared in Pulumi.yaml; there is no such key; did you mean abevalflow:litellmReplicas?",
        );
        expect(problems({ quotaPod: 5 })[0]).to.match(/did you mean abevalflow:quotaPods\?$/);
        expect(problems({ completelyUnrelated: 1 })[0]).to.match(/there is no such key$/);
    });

    it("declares a type and a description for every key", () => {
        for (const [key, decl] of Object.entries(declarations())) {
            expect(decl.type, key).to.be.oneOf(["string", "integer", "boolean", "array"]);
            expect(decl.description, key).to.be.a("string").and.not.equal("");
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`loads and validates Pulumi.${stack}.yaml`, () => {
            const cfg = loadConfig(objectConfigSource(stackConfig(stack)));
            expect(cfg.environment).to.equal(stack);
            expect(cfg.namespace).to.equal(stackConfig(stack)["abevalflow:namespace"]);
        });
    }

    it("gives prod protected volumes and at least two proxy replicas", () => {
        const prod = loadConfig(objectConfigSource(stackConfig("prod")));
        expect(prod.storage.protect).to.equal(true);
        expect(prod.litellm?.replicas).to.be.at.least(2);
    });

    it("accepts IPv4 and IPv6 networks as extra direct-api excepts", () => {
        const values = {
            ...stackConfig("dev"),
            "abevalflow:directApiExtraExceptCidrs": ["203.0.113.0/24", "fd00:10::/64", "2001:db8::/32"],
        };
        expect(problemsFor(values)).to.deep.equal([]);
        expect(loadConfig(objectConfigSource(values)).directApi.extraExceptCidrs).to.deep.equal([
            "203.0.113.0/24",
            "fd00:10::/64",
            "2001:db8::/32",
        ]);
    });

    it("applies the Pulumi.yaml defaults when a stack sets only the required keys", () => {
        const cfg = loadConfig(objectConfigSource({ namespace: "team-a", llmMode: "direct-api" }));
        expect(cfg.quota.pods).to.equal(declarations().quotaPods.default);
        expect(cfg.dns.ports).to.deep.equal([5353, 53]);
        expect(cfg.trial.podLabels).to.deep.equal({ "abevalflow/role": "trial" });
        expect(cfg.litellm).to.equal(undefined);
        expect(cfg.selfHosted.namespace).to.equal("team-a");
    });

    it("accepts inline Vertex credentials set as a secret", () => {
        const cfg = loadConfig(
            objectConfigSource(
                {
                    ...stackConfig("dev"),
                    "abevalflow:litellmVertexCredentialsSecretName": "",
                    "abevalflow:litellmVertexCredentials": SERVICE_ACCOUNT_JSON,
                },
                ["litellmVertexCredentials"],
            ),
        );
        expect(cfg.litellm?.vertexCredentials).to.not.equal(undefined);
        expect(cfg.litellm?.vertexCredentialsSecretName).to.equal(undefined);
    });

    it("refuses inline Vertex credentials set in plaintext, without echoing them", () => {
        const problems = problemsFor(
            {
                ...stackConfig("dev"),
                "abevalflow:litellmVertexCredentialsSecretName": "",
                "abevalflow:litellmVertexCredentials": SERVICE_ACCOUNT_JSON,
            },
            [],
        );
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            /^abevalflow:litellmVertexCredentials = <secret>: expected a secret: set it with `pulumi config set --secret/,
        );
    });

    describe("credentials and keys the program does not read", () => {
        const KUBECONFIG = YAML.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "prod", cluster: { server: "https://api.prod.example:6443" } }],
            contexts: [{ name: "prod-admin", context: { cluster: "prod", user: "admin" } }],
            users: [{ name: "admin", user: { token: "deploy-token-material" } }],
        });
        const problemsWith = (extra: Record<string, unknown>, secretKeys: string[] = []): string[] =>
            problemsFor({ ...stackConfig("dev"), ...extra }, secretKeys);

        it("refuses a kubeconfig in the stack's configuration, secret or not, and never echoes it", () => {
            for (const secretKeys of [["kubeconfig"], []]) {
                const problems = problemsWith({ "abevalflow:kubeconfig": KUBECONFIG }, secretKeys);
                expect(problems).to.have.length(1);
                expect(problems[0])
                    .to.match(
                        /^abevalflow:kubeconfig = <not shown>: expected no kubeconfig in the stack's configuration: every preview decrypts/,
                    )
                    .and.contain("KUBECONFIG")
                    .and.contain("pulumi config rm abevalflow:kubeconfig");
                expect(problems[0]).to.not.contain("deploy-token-material").and.not.contain("api.prod.example");
            }
        });
        it("refuses kubernetes: keys, which the program's own provider never reads", () => {
            const problems = problemsWith({ "kubernetes:kubeconfig": KUBECONFIG, "kubernetes:context": "prod-admin" });
            expect(problems).to.have.length(2);
            expect(problems[0])
                .to.match(
                    /^kubernetes:kubeconfig = <not shown>: expected no kubernetes: keys: every object goes through the program's own provider/,
                )
                .and.contain("a pull request's code runs in its preview")
                .and.contain("pulumi config rm kubernetes:kubeconfig");
            expect(problems[1])
                .to.match(/^kubernetes:context = <not shown>: expected no kubernetes: keys/)
                .and.not.contain("pull request");
            expect(problems.join("\n")).to.not.contain("deploy-token-material").and.not.contain("prod-admin");
        });
        it("refuses a misspelt project prefix with the key it meant, and any other namespace", () => {
            expect(problemsWith({ "abevalfow:quotaPods": "30" })).to.deep.equal([
                "abevalfow:quotaPods = <not shown>: expected a key of project abevalflow: the program reads no abevalfow: keys, " +
                    "so this one would be ignored; did you mean abevalflow:quotaPods?",
            ]);
            expect(problemsWith({ "aws:region": "us-east-1" })[0]).to.match(
                /^aws:region = <not shown>: .*pulumi config rm aws:region/,
            );
            expect(problemsWith({ "pulumi:disable-default-providers": ["*"] })).to.deep.equal([]);
        });
        it("never echoes the value of a key it does not declare", () => {
            const problems = problemsWith({
                "abevalflow:litellmVertexCredentails": '{"private_key": "-----BEGIN PRIVATE KEY-----"}',
            });
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(
                /^abevalflow:litellmVertexCredentails = <not shown>: .*did you mean abevalflow:litellmVertexCredentials\?/,
            );
            expect(problems[0]).to.not.contain("PRIVATE KEY");
        });
    });

    it("knows which runtime values were set as secrets, as the engine passes them", () => {
        const values = engineConfig(stackConfig("dev"));
        values["abevalflow:litellmVertexCredentialsSecretName"] = "";
        values["abevalflow:litellmVertexCredentials"] = SERVICE_ACCOUNT_JSON;
        try {
            pulumi.runtime.setAllConfig(values, ["abevalflow:litellmVertexCredentials"]);
            expect(loadConfig(pulumiConfigSource()).litellm?.vertexCredentials).to.not.equal(undefined);
            pulumi.runtime.setAllConfig(values, []);
            expect(() => loadConfig(pulumiConfigSource())).to.throw(ConfigValidationError, /expected a secret/);
        } finally {
            pulumi.runtime.setAllConfig({});
        }
    });

    it("keeps values out of the message for secret keys", () => {
        const problems = problemsFor({
            ...stackConfig("dev"),
            "abevalflow:litellmVertexCredentialsSecretName": "",
            "abevalflow:litellmVertexCredentials": '{"private_key": "hunter2"}',
        });
        expect(problems.join("\n")).to.contain("abevalflow:litellmVertexCredentials").and.not.contain("hunter2");
    });

    it("masks any value set as a secret, even under a misspelt key", () => {
        const problems = problemsFor(
            { ...stackConfig("dev"), "abevalflow:litellmVertexCredential": "private-key-material" },
            ["litellmVertexCredential"],
        );
        expect(problems.join("\n"))
            .to.contain("abevalflow:litellmVertexCredential = <not shown>")
            .and.not.contain("private-key-material");
    });

    it("reports every problem in one error that says nothing was deployed", () => {
        let error: unknown;
        try {
            loadConfig(
                objectConfigSource({
                    ...stackConfig("dev"),
                    "abevalflow:llmMode": "gpt",
                    "abevalflow:quotaPods": "many",
                    "abevalflow:dnsPorts": [0],
                }),
            );
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(ConfigValidationError);
        const message = (error as Error).message;
        expect(message).to.contain("3 problems").and.contain("nothing was deployed");
        expect(message)
            .to.contain("abevalflow:llmMode")
            .and.contain("abevalflow:quotaPods")
            .and.contain("abevalflow:dnsPorts");
    });

    // Each row breaks one thing; the message must name the key, show the value and say what is expected.
    const base = stackConfig("dev");
    const badConfigs: { what: string; set: Record<string, unknown>; key: string; expected: RegExp }[] = [
        {
            what: "unknown llmMode",
            set: { llmMode: "openai" },
            key: "llmMode",
            expected: new RegExp(`one of ${LLM_MODES.join(", ")}`),
        },
        {
            what: "floating LiteLLM tag",
            set: { litellmImage: "ghcr.io/berriai/litellm:main-latest" },
            key: "litellmImage",
            expected: /pinned by digest/,
        },
        {
            what: "tag without digest",
            set: { litellmImage: "ghcr.io/berriai/litellm:v1.84.10" },
            key: "litellmImage",
            expected: /@sha256/,
        },
        {
            what: "short digest",
            set: { cleanupImage: "registry.access.redhat.com/ubi9/nodejs-20-minimal@sha256:abc" },
            key: "cleanupImage",
            expected: /64 lower-case hex/,
        },
        {
            what: "prod proxy with one replica",
            set: { environment: "prod", litellmReplicas: 1 },
            key: "litellmReplicas",
            expected: /at least 2 when environment is prod/,
        },
        {
            what: "quota that is not a quantity",
            set: { quotaRequestsMemory: "64 gigs" },
            key: "quotaRequestsMemory",
            expected: /Kubernetes quantity/,
        },
        {
            what: "volume size that is not a quantity",
            set: { workspaceSize: "10GB" },
            key: "workspaceSize",
            expected: /Kubernetes quantity/,
        },
        {
            what: "malformed CIDR",
            set: { directApiExtraExceptCidrs: ["100.64.0.0/33"] },
            key: "directApiExtraExceptCidrs",
            expected: /CIDR/,
        },
        {
            what: "CIDR with host bits",
            set: { directApiExtraExceptCidrs: ["10.1.2.3/8"] },
            key: "directApiExtraExceptCidrs",
            expected: /no host bits/,
        },
        {
            what: "IPv6 CIDR with host bits",
            set: { directApiExtraExceptCidrs: ["fd00:10::1/64"] },
            key: "directApiExtraExceptCidrs",
            expected: /IPv4 or IPv6 network.*no host bits/,
        },
        {
            what: "IPv6 address with a zone",
            set: { directApiExtraExceptCidrs: ["fe80::1%eth0/128"] },
            key: "directApiExtraExceptCidrs",
            expected: /IPv4 or IPv6 network/,
        },
        {
            what: "except of a whole address family",
            set: { directApiExtraExceptCidrs: ["::/0"] },
            key: "directApiExtraExceptCidrs",
            expected: /prefix of at least 1/,
        },
        { what: "port above 65535", set: { litellmPort: 70000 }, key: "litellmPort", expected: /1 to 65535/ },
        { what: "port zero", set: { selfHostedPort: 0 }, key: "selfHostedPort", expected: /1 to 65535/ },
        {
            what: "DNS port out of range",
            set: { dnsPorts: [5353, 65536] },
            key: "dnsPorts",
            expected: /port numbers from 1 to 65535/,
        },
        {
            what: "namespace that is not DNS-1123",
            set: { namespace: "AB_Eval" },
            key: "namespace",
            expected: /DNS-1123 label/,
        },
        {
            what: "secret name that is not DNS-1123",
            set: { pipelineSecretNames: ["Db Credentials"] },
            key: "pipelineSecretNames",
            expected: /DNS-1123/,
        },
        {
            what: "no secret names though the pipeline needs secrets",
            set: { pipelineSecretNames: [] },
            key: "pipelineSecretNames",
            expected: /at least one Secret name/,
        },
        {
            what: "empty model list in litellm mode",
            set: { litellmModels: [] },
            key: "litellmModels",
            expected: /non-empty list of Vertex AI model ids/,
        },
        {
            what: "duplicate public model names",
            set: { litellmModels: ["fast=gemini-2.5-flash", "fast=gemini-2.5-pro"] },
            key: "litellmModels",
            expected: /distinct public names/,
        },
        {
            what: "no Vertex project in litellm mode",
            set: { litellmVertexProject: "" },
            key: "litellmVertexProject",
            expected: /Google Cloud project/,
        },
        {
            what: "both credential sources",
            set: { litellmVertexCredentials: SERVICE_ACCOUNT_JSON },
            key: "litellmVertexCredentialsSecretName",
            expected: /exactly one of/,
        },
        {
            what: "unknown pod security level",
            set: { podSecurityEnforce: "strict" },
            key: "podSecurityEnforce",
            expected: /privileged, baseline, restricted/,
        },
        {
            what: "trial labels without '='",
            set: { trialPodLabels: ["abevalflow/role"] },
            key: "trialPodLabels",
            expected: /key=value/,
        },
        { what: "integer that is not one", set: { quotaPods: "fifty" }, key: "quotaPods", expected: /an integer/ },
        {
            what: "boolean that is not one",
            set: { protectVolumes: "yes" },
            key: "protectVolumes",
            expected: /true or false/,
        },
        {
            what: "list that is not one",
            set: { litellmModels: "gemini-2.5-flash" },
            key: "litellmModels",
            expected: /a list of strings/,
        },
        {
            what: "bad cron schedule",
            set: { cleanupSchedule: "daily" },
            key: "cleanupSchedule",
            expected: /Kubernetes CronJob schedule.*\(expected exactly 5 fields, found 1: \[daily\]\)/,
        },
        {
            what: "cron fields out of range",
            set: { cleanupSchedule: "61 25 * * *" },
            key: "cleanupSchedule",
            expected: /CronJob schedule.*\(end of range \(61\) above maximum \(59\): 61\)/,
        },
        {
            what: "a seconds field Kubernetes does not parse",
            set: { cleanupSchedule: "0 0 3 * * *" },
            key: "cleanupSchedule",
            expected: /expected exactly 5 fields, found 6/,
        },
        {
            what: "Quartz-only L in day-of-month",
            set: { cleanupSchedule: "0 3 L * *" },
            key: "cleanupSchedule",
            expected: /failed to parse int from L/,
        },
        {
            what: "bad time zone",
            set: { cleanupTimeZone: "Mars/Olympus" },
            key: "cleanupTimeZone",
            expected:
                /a time-zone name of the tz database as Go [0-9.]+ has it \(tzdata 20[0-9]{2}[a-z]\), spelt exactly/,
        },
        {
            what: "access mode typo",
            set: { deadLetterAccessMode: "ReadWriteMost" },
            key: "deadLetterAccessMode",
            expected: /ReadWriteOnce/,
        },
        {
            what: "misspelt key",
            set: { litellmReplica: 2 },
            key: "litellmReplica",
            expected: /no such key; did you mean abevalflow:litellmReplicas\?/,
        },
        {
            what: "a LiteLLM cpu request above its limit",
            set: { litellmCpuRequest: "3", litellmCpuLimit: "2" },
            key: "litellmCpuRequest",
            expected: /at most litellmCpuLimit \(2\)/,
        },
        {
            what: "a trial memory request above its limit",
            set: { trialMemoryRequest: "4Gi" },
            key: "trialMemoryRequest",
            expected: /at most trialMemoryLimit \(2Gi\)/,
        },
        {
            what: "a LimitRange default request above the default limit",
            set: { containerDefaultCpuRequest: "1500m" },
            key: "containerDefaultCpuRequest",
            expected: /LimitRange default/,
        },
        { what: "an empty YAML value", set: { namespace: null }, key: "namespace", expected: /YAML null/ },
        {
            what: "the cleanup account as the pipeline's",
            set: { pipelineServiceAccount: "abevalflow-cleanup" },
            key: "pipelineServiceAccount",
            expected: /other than abevalflow-cleanup, litellm and pulumi-preview/,
        },
        {
            what: "the LiteLLM account as the pipeline's",
            set: { pipelineServiceAccount: "litellm" },
            key: "pipelineServiceAccount",
            expected: /other than/,
        },
        {
            what: "the LiteLLM account for pods the pipeline creates",
            set: { trialServiceAccounts: ["default", "litellm"] },
            key: "trialServiceAccounts",
            expected: /no account of the pipeline or the program's own pods \(litellm\)/,
        },
        {
            what: "the pipeline's own account for pods the pipeline creates",
            set: { trialServiceAccounts: ["pipeline"] },
            key: "trialServiceAccounts",
            expected: /\(pipeline\).*create pods and read its Secrets/,
        },
        {
            what: "the preview identity for pods the pipeline creates",
            set: { trialServiceAccounts: ["pulumi-preview"] },
            key: "trialServiceAccounts",
            expected: /\(pulumi-preview\)/,
        },
        {
            what: "the preview identity as the pipeline's account",
            set: { pipelineServiceAccount: "pulumi-preview" },
            key: "pipelineServiceAccount",
            expected: /other than abevalflow-cleanup, litellm and pulumi-preview/,
        },
        {
            what: "the Vertex credentials Secret for trial pods",
            set: { trialSecretNames: ["litellm-master-key", "vertex-service-account"] },
            key: "trialSecretNames",
            expected: /without vertex-service-account, the Secret holding the Vertex AI key/,
        },
        {
            what: "the dead-letter claim for trial pods",
            set: { trialClaimNames: ["abevalflow-workspace", "abevalflow-dead-letter"] },
            key: "trialClaimNames",
            expected: /a list without abevalflow-dead-letter, the dead-letter claim: only the cleanup job may mount it/,
        },
        {
            what: "a pod name prefix the proxy's pods start with",
            set: { trialPodNamePrefix: "lite" },
            key: "trialPodNamePrefix",
            expected:
                /no pod of the program can be named with \(its pods are named litellm-\.\.\. and abevalflow-cleanup-\.\.\.\)/,
        },
        {
            what: "a pod name prefix inside the cleanup's pod names",
            set: { trialPodNamePrefix: "abevalflow-cleanup-trial-" },
            key: "trialPodNamePrefix",
            expected: /no pod of the program can be named with/,
        },
        {
            what: "an empty pod name prefix (every pod)",
            set: { trialPodNamePrefix: "" },
            key: "trialPodNamePrefix",
            expected: /a name prefix: 1 to 58/,
        },
        {
            what: "a pod name prefix with an upper-case letter",
            set: { trialPodNamePrefix: "Trial-" },
            key: "trialPodNamePrefix",
            expected: /a name prefix/,
        },
        {
            what: "trial labels that select the program's own pods",
            set: { trialPodLabels: ["app.kubernetes.io/part-of=abevalflow"] },
            key: "trialPodLabels",
            expected: /LiteLLM proxy and the cleanup job/,
        },
        {
            what: "the default namespace",
            set: { namespace: "default" },
            key: "namespace",
            expected: /belong to the cluster/,
        },
        {
            what: "a kube- namespace",
            set: { namespace: "kube-system" },
            key: "namespace",
            expected: /belong to the cluster/,
        },
        {
            what: "an openshift- namespace",
            set: { namespace: "openshift-pipelines" },
            key: "namespace",
            expected: /belong to the cluster/,
        },
        {
            what: "DNS to OpenShift's DNS pods without 5353",
            set: { dnsPorts: [53] },
            key: "dnsPorts",
            expected: /including 5353 while dnsNamespace is openshift-dns/,
        },
        {
            what: "dead-letter retention shorter than the run age",
            set: { cleanupDeadLetterRetentionDays: 3, cleanupPipelineRunMaxAgeHours: 168 },
            key: "cleanupDeadLetterRetentionDays",
            expected: /at least 8 days/,
        },
    ];

    for (const row of badConfigs) {
        it(`rejects ${row.what}`, () => {
            const values = { ...base };
            for (const [key, value] of Object.entries(row.set)) {
                values[`abevalflow:${key}`] = value;
            }
            const problems = problemsFor(values);
            const mine = problems.filter((p) => p.startsWith(`abevalflow:${row.key} = `));
            expect(mine, `problems were: ${problems.join(" | ")}`).to.have.length(1);
            expect(mine[0]).to.match(row.expected);
            const shownValue =
                row.key === "litellmVertexCredentialsSecretName" ? "vertex-service-account" : row.set[row.key];
            if (shownValue !== undefined && typeof shownValue === "string" && shownValue !== "") {
                expect(mine[0]).to.contain(JSON.stringify(shownValue));
            }
        });
    }

    for (const schedule of ["@daily", "@hourly", "0 3 * * MON", "0 3 * JAN-MAR *", "*/15 * * * *", "0 3 ? * SUN"]) {
        it(`accepts the schedule ${JSON.stringify(schedule)}, as Kubernetes does`, () => {
            expect(problemsFor({ ...base, "abevalflow:cleanupSchedule": schedule })).to.deep.equal([]);
        });
    }

    // Checks that once disagreed with the API server or with what reads the value at run time.
    describe("checks held to the API server and the runtime", () => {
        const problemsWith = (extra: Record<string, unknown>): string[] =>
            problemsFor({
                ...base,
                ...Object.fromEntries(Object.entries(extra).map(([k, val]) => [`abevalflow:${k}`, val])),
            });
        const problemOf = (key: string, extra: Record<string, unknown>): string | undefined =>
            problemsWith(extra).find((p) => p.startsWith(`abevalflow:${key} = `));

        it("refuses memory and storage in fractions of a byte (128m is 0.128 bytes), stricter than the API server", () => {
            for (const [key, value] of [
                ["trialMemoryRequest", "128m"],
                ["litellmMemoryLimit", "1000m"],
                ["quotaLimitsMemory", "64u"],
                ["cleanupMemoryRequest", "0.5"],
                ["trialTmpSizeLimit", "1n"],
                ["workspaceSize", "1.5"],
            ]) {
                expect(problemOf(key, { [key]: value }), `${key} ${value}`).to.match(
                    /expected a whole number of bytes such as 512Mi, 2Gi or 1000000: no m, u or n suffix and no fraction of a byte/,
                );
            }
            expect(
                problemsWith({ trialMemoryRequest: "1.5Ki", trialTmpSizeLimit: "1e3", quotaLimitsMemory: "0.5Gi" }),
            ).to.deep.equal([]);
            expect(problemOf("deadLetterSize", { deadLetterSize: "0" })).to.match(
                /whole number of bytes.*more than 0$/,
            );
        });

        it("refuses a request above its limit however the two are written (exact comparison)", () => {
            const cases: [string, string, string, string][] = [
                ["litellmMemoryRequest", "1E", "litellmMemoryLimit", "1Gi"],
                ["litellmMemoryRequest", "1Ei", "litellmMemoryLimit", "1Gi"],
                ["trialCpuRequest", "1e3", "trialCpuLimit", "2"],
                ["cleanupMemoryRequest", "1.5e9", "cleanupMemoryLimit", "1Gi"],
                // Equal as JavaScript numbers, one apart for the API server.
                ["containerDefaultCpuRequest", "9007199254740993", "containerDefaultCpuLimit", "9007199254740992"],
            ];
            for (const [requestKey, request, limitKey, limit] of cases) {
                expect(
                    problemOf(requestKey, { [requestKey]: request, [limitKey]: limit }),
                    `${request} <= ${limit}`,
                ).to.match(new RegExp(`expected at most ${limitKey} \\(${limit}\\)`));
            }
            expect(
                problemsWith({
                    trialMemoryRequest: "1073741824",
                    trialMemoryLimit: "1Gi",
                    trialCpuRequest: "0.5",
                    trialCpuLimit: "500m",
                }),
            ).to.deep.equal([]);
        });

        it("refuses quantities the API server would cap or round: from 2^63 on, finer than 1n", () => {
            expect(problemOf("quotaLimitsCpu", { quotaLimitsCpu: "9223372036854775808" })).to.match(/below 2\^63/);
            expect(problemOf("quotaLimitsMemory", { quotaLimitsMemory: "8Ei" })).to.match(/below 2\^63/);
            expect(problemOf("quotaLimitsCpu", { quotaLimitsCpu: "1e400" })).to.match(/below 2\^63/);
            expect(problemOf("quotaLimitsCpu", { quotaLimitsCpu: "0.0000000001" })).to.match(/in steps of 1n/);
            expect(problemsWith({ quotaLimitsCpu: "9223372036854775807", quotaRequestsCpu: "1n" })).to.deep.equal([]);
        });

        it("holds CronJob schedules to robfig/cron v3.0.1's standard parser and the API server's refusal of TZ", () => {
            const refused: [string, RegExp][] = [
                ["0 3 * * 7", /end of range \(7\) above maximum \(6\): 7/],
                ["0 3 * * SUN-7", /end of range \(7\) above maximum \(6\)/],
                ["0 3 * * MON-SUN", /beginning of range \(1\) beyond end of range \(0\)/],
                ["0 3 * * 1#2", /failed to parse int from 1#2/],
                ["0 3 L * *", /failed to parse int from L/],
                ["0 0 3 * * *", /expected exactly 5 fields, found 6/],
                [" @daily", /expected exactly 5 fields, found 1/],
                ["@daily ", /unrecognized descriptor: @daily /],
                ["@reboot", /unrecognized descriptor/],
                ["@every 1d", /unknown unit "d" in duration "1d"/],
                ["*/0 * * * *", /step of range should be a positive number/],
                ["TZ=UTC 0 3 * * *", /without TZ= or CRON_TZ=.*set cleanupTimeZone/],
                ["CRON_TZ=Europe/Berlin 0 3 * * *", /without TZ= or CRON_TZ=/],
                // Deliberately stricter than the API server, which accepts these three.
                ["@every 30s", /an @every period of at least 1m/],
                ["0 3 * * 1,,5", /without an empty entry between commas \(1,,5\)/],
                ["*-5 3 * * *", /\*-5 is read as \*, ignoring the range after it/],
            ];
            for (const [schedule, expected] of refused) {
                expect(problemOf("cleanupSchedule", { cleanupSchedule: schedule }), schedule).to.match(expected);
            }
            for (const schedule of [
                "0 3 * * 0-6",
                "0 3 * * sun",
                "0 3 * * Sat",
                "@midnight",
                "@annually",
                "@every 1h30m",
                "@every 1.5h",
                "5/15 * * * *",
                "0 3 1,15 * *",
                "0 3 * * +1",
                "0\t3 * * *",
                "? ? ? ? ?",
                "0 3 31 2 *",
            ]) {
                expect(problemOf("cleanupSchedule", { cleanupSchedule: schedule }), schedule).to.equal(undefined);
            }
        });

        it("holds time zones to Go's tz database as the API server loads them: case, old names, not Local", () => {
            expect(problemOf("cleanupTimeZone", { cleanupTimeZone: "europe/berlin" })).to.match(
                /spelt exactly.*; did you mean Europe\/Berlin\?$/,
            );
            expect(problemOf("cleanupTimeZone", { cleanupTimeZone: "Local" })).to.match(
                /not Local, which the API server refuses/,
            );
            expect(problemOf("cleanupTimeZone", { cleanupTimeZone: "posix/Europe/Berlin" })).to.match(
                /a time-zone name of the tz database/,
            );
            expect(problemOf("cleanupTimeZone", { cleanupTimeZone: "Europe/Berlin " })).to.match(
                /a time-zone name of the tz database/,
            );
            for (const zone of [
                "EST5EDT",
                "UTC",
                "Etc/GMT+5",
                "America/Argentina/ComodRivadavia",
                "America/Port-au-Prince",
                "Factory",
            ]) {
                expect(problemOf("cleanupTimeZone", { cleanupTimeZone: zone }), zone).to.equal(undefined);
            }
        });

        it("keeps components/timeZones.json equal to the names in the zoneinfo.zip of the Go on PATH", function () {
            const list = goZoneList();
            if (!list) {
                this.skip();
            }
            const committed = JSON.parse(fs.readFileSync(ZONE_FILE, "utf8")) as ZoneList;
            expect(
                committed.names,
                `regenerate with npx ts-node --transpile-only scripts/tzdata/names.ts (${list?.go}, tzdata ${list?.tzdata})`,
            ).to.deep.equal(list?.names);
            expect(committed.tzdata).to.equal(list?.tzdata);
        });

        it("refuses a claims quota below the claims the program creates", () => {
            expect(problemOf("quotaPersistentVolumeClaims", { quotaPersistentVolumeClaims: 1 })).to.equal(
                'abevalflow:quotaPersistentVolumeClaims = "1": expected at least 2, the claims the program itself creates (abevalflow-workspace, abevalflow-dead-letter); the pipeline\'s own claims count on top',
            );
            expect(problemsWith({ quotaPersistentVolumeClaims: 2 })).to.deep.equal([]);
        });

        it("refuses the Vertex key's Secret among those the pipeline may read", () => {
            expect(
                problemOf("pipelineSecretNames", {
                    pipelineSecretNames: ["ab-eval-db-credentials", "vertex-service-account"],
                }),
            ).to.match(
                /expected a list without vertex-service-account, the Secret holding the Vertex AI key: only the LiteLLM proxy reads it/,
            );
            expect(problemOf("pipelineSecretNames", { pipelineSecretNames: ["litellm-vertex-credentials"] })).to.match(
                /without litellm-vertex-credentials, the Secret holding the Vertex AI key/,
            );
            expect(
                problemsWith({ pipelineSecretNames: ["vertex-service-account"], pipelineNeedsSecrets: false }),
            ).to.deep.equal([]);
        });

        it("refuses integers beyond their field's range, read from the text (beyond 2^53 a number is not what was written)", () => {
            const refused: [string, unknown, RegExp][] = [
                ["litellmReplicas", "2147483648", /expected an integer within int32, -2147483648 to 2147483647$/],
                ["cleanupSuccessfulJobsHistory", "4294967299", /within int32/],
                ["cleanupDeadLetterRetentionDays", "99999999999999999999", /within int32/],
                ["quotaPods", "9007199254740992", /within -9007199254740991 to 9007199254740991 \(2\^53 - 1/],
                [
                    "cleanupStartingDeadlineSeconds",
                    "9223372036854775808",
                    /within -9007199254740991 to 9007199254740991/,
                ],
                // 4294967349 is 53 modulo 2^32.
                ["dnsPorts", "[5353, 4294967349]", /expected a list of integers, each within int32/],
                ["apiServerPorts", "[6443.0]", /expected a list of integers$/],
            ];
            for (const [key, value, expected] of refused) {
                expect(problemOf(key, { [key]: value }), `${key} ${String(value)}`).to.match(expected);
            }
            expect(
                problemsWith({
                    cleanupBackoffLimit: "2147483647",
                    quotaPods: "9007199254740991",
                    cleanupActiveDeadlineSeconds: "9007199254740991",
                }),
            ).to.deep.equal([]);
        });

        it("accepts selectors with spaces around the commas, as labels.Parse and cleanup.js do, and refuses what cleanup.js cannot read", () => {
            for (const selector of ["a=b, c=d", "a=b ,c=d", " app=x ", "a=b,\tc=", "example.com/team=ml"]) {
                expect(
                    problemOf("cleanupImageStreamSelector", { cleanupImageStreamSelector: selector }),
                    selector,
                ).to.equal(undefined);
            }
            for (const selector of [
                "a = b",
                "a==b",
                "a!=b",
                "a in (b)",
                "a",
                "!a",
                "  ",
                "a=b,",
                "a=b,a=c",
                "a=b c=d",
            ]) {
                expect(
                    problemOf("cleanupImageStreamSelector", { cleanupImageStreamSelector: selector }),
                    selector,
                ).to.match(
                    /expected a label selector of key=value terms joined by commas \(spaces allowed around the commas\), each key once/,
                );
            }
        });

        it("accepts Model Garden ids with '/' and puts them in LiteLLM's config as vertex_ai/<id>", () => {
            const models = [
                "publishers/meta/models/llama-3.1-405b-instruct-maas",
                "llama=meta/llama3-405b-instruct-maas",
                "claude-sonnet-4@20250514",
            ];
            expect(problemsWith({ litellmModels: models })).to.deep.equal([]);
            const cfg = loadConfig(objectConfigSource({ ...base, "abevalflow:litellmModels": models }));
            const config = YAML.parse(renderLiteLLMConfig(cfg.litellm as LiteLLMConfig)) as {
                model_list: { model_name: string; litellm_params: { model: string } }[];
            };
            expect(config.model_list.map((m) => [m.model_name, m.litellm_params.model])).to.deep.equal([
                [
                    "publishers/meta/models/llama-3.1-405b-instruct-maas",
                    "vertex_ai/publishers/meta/models/llama-3.1-405b-instruct-maas",
                ],
                ["llama", "vertex_ai/meta/llama3-405b-instruct-maas"],
                ["claude-sonnet-4@20250514", "vertex_ai/claude-sonnet-4@20250514"],
            ]);
            for (const bad of ["meta//llama", "/meta", "meta/", "a=b=c"]) {
                expect(problemOf("litellmModels", { litellmModels: [bad] }), bad).to.match(/Vertex AI model ids/);
            }
        });
    });

    it("keeps the committed stack files free of plaintext secrets", () => {
        for (const file of fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
            const cfg =
                (
                    YAML.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) as {
                        config?: Record<string, unknown>;
                    }
                ).config ?? {};
            for (const [key, value] of Object.entries(cfg)) {
                if (SECRET_KEYS.has(key.replace(/^abevalflow:/, ""))) {
                    expect(value, `${file} ${key}`).to.have.property("secure");
                }
            }
        }
    });
});
