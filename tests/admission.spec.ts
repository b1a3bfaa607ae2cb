// The admission policy for the pods the pipeline creates, as the program registers it under
// mocks: present by default in every stack and mode, absent when admissionPolicy is false,
// its CEL built from the configured names, its binding held to the pipeline namespace.
// tests/e2e/admission.e2e.ts shows the real API server enforcing it.
import { assert, expect } from "chai";
import { trialAdmissionName } from "../components/admission";
import { LITELLM, PART_OF, PATCH_FIELD_MANAGER, PATCH_FORCE, VOLUMES } from "../components/names";
import { field, LLM_MODES, ofType, RecordedResource, runProgram, stackConfig, withMode } from "./harness";

const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const COMPONENT = "abevalflow:security:TrialAdmission";

interface Validation {
    expression: string;
    message: string;
    messageExpression: string;
    reason: string;
}
interface Spec {
    failurePolicy: string;
    matchConstraints: {
        resourceRules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
    };
    matchConditions: { name: string; expression: string }[];
    variables: { name: string; expression: string }[];
    validations: Validation[];
}

function only(run: Awaited<ReturnType<typeof runProgram>>, type: string): RecordedResource {
    const found = ofType(run, type);
    expect(found, type).to.have.length(1);
    return found[0];
}

function spec(policy: RecordedResource): Spec {
    return field(policy, "spec") as Spec;
}

function variable(policy: RecordedResource, name: string): string {
    const found = spec(policy).variables.find((v) => v.name === name);
    assert.exists(found, `variable ${name}`);
    return found.expression;
}

function validation(policy: RecordedResource, rule: string): Validation {
    const found = spec(policy).validations.find((v) => v.message.startsWith(`rule ${rule}:`));
    assert.exists(found, `rule ${rule}`);
    return found;
}

describe("admission of the pods the pipeline creates", () => {
    for (const stack of ["dev", "prod"]) {
        for (const mode of LLM_MODES) {
            it(`${stack}/${mode}: one policy and one binding by default, cluster-scoped and named after the namespace`, async () => {
                const run = await runProgram(withMode(stack, mode));
                const name = trialAdmissionName(run.config.namespace);
                expect(name).to.equal(`abevalflow-trial-pods-${run.config.namespace}`);
                for (const r of [only(run, POLICY), only(run, BINDING)]) {
                    expect(field(r, "metadata", "name"), r.type).to.equal(name);
                    expect(field(r, "metadata", "namespace"), "cluster-scoped").to.equal(undefined);
                    expect(field(r, "metadata", "annotations")).to.deep.equal({
                        ...PATCH_FORCE,
                        ...PATCH_FIELD_MANAGER,
                    });
                    expect(field(r, "metadata", "labels")).to.include({
                        ...PART_OF,
                        "abevalflow/namespace": run.config.namespace,
                    });
                    expect(r.parentType).to.equal(COMPONENT);
                }
                expect(ofType(run, COMPONENT)).to.have.length(1);
            });
        }
    }

    it("the pipeline may create pods only once the policy and its binding exist: its Role's binding waits for them", async () => {
        const bindingOf = (run: Awaited<ReturnType<typeof runProgram>>) =>
            run.resources.find(
                (r) =>
                    r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" &&
                    field(r, "metadata", "name") === "pipeline-trial-manager",
            );
        const guarded = bindingOf(await runProgram(withMode("prod", "litellm")));
        expect(guarded?.opts.dependsOn).to.deep.equal([`${COMPONENT}::trial-admission`]);
        const others = (await runProgram(withMode("prod", "litellm"))).resources.filter(
            (r) => r.type.endsWith("RoleBinding") && field(r, "metadata", "name") !== "pipeline-trial-manager",
        );
        expect(others.map((r) => r.opts.dependsOn)).to.deep.equal(others.map(() => []));
        expect(
            bindingOf(await runProgram(withMode("prod", "litellm", { admissionPolicy: false })))?.opts.dependsOn,
        ).to.deep.equal([]);
    });

    it("creates nothing with admissionPolicy false", async () => {
        const run = await runProgram(withMode("dev", "litellm", { admissionPolicy: false }));
        expect(ofType(run, POLICY)).to.deep.equal([]);
        expect(ofType(run, BINDING)).to.deep.equal([]);
        expect(ofType(run, COMPONENT)).to.deep.equal([]);
        expect(run.resources.filter((r) => r.type.includes("admissionregistration"))).to.deep.equal([]);
    });

    it("checks CREATE and UPDATE of pods, ephemeral containers included, CONNECT to exec, attach and port-forward, and refuses when it cannot decide", async () => {
        const policy = only(await runProgram(stackConfig("dev")), POLICY);
        expect(spec(policy).failurePolicy).to.equal("Fail");
        expect(spec(policy).matchConstraints.resourceRules).to.deep.equal([
            {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["pods", "pods/ephemeralcontainers"],
            },
            {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CONNECT"],
                resources: ["pods/exec", "pods/attach", "pods/portforward"],
            },
        ]);
    });

    it("lets the pipeline connect only to pods named with trialPodNamePrefix, and holds its pods to that name", async () => {
        const policy = only(
            await runProgram(withMode("dev", "litellm", { trialPodNamePrefix: "eval-trial-" })),
            POLICY,
        );
        const connect = validation(policy, "connect-trial-pods-only");
        expect(connect.expression).to.equal(
            '!(request.operation == "CONNECT") || request.name.startsWith("eval-trial-")',
        );
        expect(connect.message).to.contain("named eval-trial-...");
        const name = validation(policy, "trial-pod-name");
        expect(name.expression).to.equal(
            'request.operation == "CONNECT" || (object.metadata.name.startsWith("eval-trial-"))',
        );
        // Every rule about the Pod object stands aside for CONNECT, whose object is no Pod.
        for (const v of spec(policy).validations.filter(
            (x) => !x.message.startsWith("rule connect-trial-pods-only:"),
        )) {
            expect(v.expression.startsWith('request.operation == "CONNECT" || ('), v.message).to.equal(true);
        }
    });

    it("applies only to requests made with the pipeline's token", async () => {
        const run = await runProgram(withMode("dev", "litellm", { pipelineServiceAccount: "tekton-runner" }));
        expect(spec(only(run, POLICY)).matchConditions).to.deep.equal([
            {
                name: "pipeline-service-account",
                expression: 'request.userInfo.username == "system:serviceaccount:ab-eval-flow-dev:tekton-runner"',
            },
        ]);
    });

    it("the binding denies, in the pipeline namespace only, with the stack's policy", async () => {
        const run = await runProgram(stackConfig("prod"));
        const binding = only(run, BINDING);
        expect(field(binding, "spec")).to.deep.equal({
            policyName: "abevalflow-trial-pods-ab-eval-flow",
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ab-eval-flow" } } },
        });
        expect(field(binding, "spec", "policyName")).to.equal(field(only(run, POLICY), "metadata", "name"));
    });

    it("writes the configured labels, ServiceAccounts and Secrets into the CEL", async () => {
        const run = await runProgram(
            withMode("dev", "litellm", {
                trialPodLabels: ["abevalflow/role=trial", "team=evals"],
                trialServiceAccounts: ["default", "trial-runner"],
                trialSecretNames: ["trial-db-credentials"],
            }),
        );
        const policy = only(run, POLICY);
        expect(variable(policy, "trialLabels")).to.equal('{"abevalflow/role": "trial", "team": "evals"}');
        expect(validation(policy, "service-account").expression).to.equal(
            'request.operation == "CONNECT" || (variables.serviceAccount in ["default", "trial-runner"])',
        );
        // In litellm mode the trial pods may also read the proxy's master key.
        expect(variable(policy, "allowedSecrets")).to.equal(`["trial-db-credentials", "${LITELLM.masterKeySecret}"]`);
        expect(validation(policy, "trial-labels").message).to.contain("abevalflow/role=trial, team=evals");
        expect(validation(policy, "service-account").message).to.contain("default, trial-runner");
        expect(validation(policy, "secret-allow-list").message).to.contain(
            `only the Secrets trial-db-credentials, ${LITELLM.masterKeySecret}`,
        );
    });

    it("adds the LiteLLM master key only in litellm mode", async () => {
        for (const mode of LLM_MODES) {
            const policy = only(await runProgram(withMode("dev", mode)), POLICY);
            expect(variable(policy, "allowedSecrets"), mode).to.equal(
                mode === "litellm" ? `["${LITELLM.masterKeySecret}"]` : "[]",
            );
            if (mode !== "litellm") {
                expect(validation(policy, "secret-allow-list").message).to.contain("may reference no Secret");
            }
        }
    });

    it("has one validation per rule, each with a message naming its rule and a message expression naming the offence", async () => {
        const policy = only(await runProgram(stackConfig("dev")), POLICY);
        const rules = spec(policy).validations.map((v) => /^rule ([a-z-]+): /.exec(v.message)?.[1]);
        expect(rules).to.deep.equal([
            "connect-trial-pods-only",
            "trial-labels",
            "own-pod-labels",
            "trial-pod-name",
            "service-account",
            "no-token-automount",
            "no-projected-token",
            "no-host-namespaces",
            "no-host-path",
            "claim-allow-list",
            "secret-allow-list",
        ]);
        for (const v of spec(policy).validations) {
            expect(v.reason).to.equal("Forbidden");
            expect(v.messageExpression.startsWith(JSON.stringify(`${v.message}; `).slice(0, -1)), v.message).to.equal(
                true,
            );
            expect(v.message, "a message with a line break is not shown").to.not.match(/\n/);
        }
    });

    it("looks for Secrets in volumes, projected volumes, and env and envFrom of containers, init and ephemeral containers", async () => {
        const policy = only(await runProgram(stackConfig("dev")), POLICY);
        const refs = variable(policy, "secretRefs");
        expect(refs).to.equal(
            [
                "volumeSecretRefs",
                "projectedSecretRefs",
                "containersSecretRefs",
                "initContainersSecretRefs",
                "ephemeralContainersSecretRefs",
            ]
                .map((v) => `variables.${v}`)
                .join(" + "),
        );
        expect(variable(policy, "volumeSecretRefs")).to.contain("v.secret.secretName");
        expect(variable(policy, "projectedSecretRefs")).to.contain("v.projected.sources").and.contain("s.secret.name");
        for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
            expect(variable(policy, `${list}SecretRefs`))
                .to.contain(`object.spec.${list}`)
                .and.contain("secretKeyRef")
                .and.contain("secretRef");
        }
        expect(variable(policy, "tokenVolumes")).to.contain("serviceAccountToken");
        expect(variable(policy, "hostNamespaces"))
            .to.contain("hostNetwork")
            .and.contain("hostPID")
            .and.contain("hostIPC");
        expect(variable(policy, "hostPathVolumes")).to.contain("hostPath");
        expect(variable(policy, "claimRefs"))
            .to.contain("v.persistentVolumeClaim.claimName")
            .and.contain('["abevalflow-workspace"]')
            .and.not.contain(VOLUMES.deadLetter);
        expect(validation(policy, "claim-allow-list").message).to.contain(
            "may mount only the PersistentVolumeClaims abevalflow-workspace",
        );
        expect(variable(policy, "ownPodLabels"))
            .to.contain('"app.kubernetes.io/name": "litellm"')
            .and.contain('"app.kubernetes.io/name": "abevalflow-cleanup"');
    });
});
