// The cleanup component under Pulumi mocks: the objects it registers, read back as the
// provider would receive them.
import * as crypto from "crypto";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseConfig } from "../cleanup/cleanup";
import {
    Cleanup,
    CLEANUP_NAME,
    CLEANUP_SCRIPT_CONFIGMAP,
    SCRIPT_HASH_ANNOTATION,
    cleanupRoleRules,
    cleanupScriptPath,
} from "../components/cleanup";
import { CleanupConfig, loadConfig, objectConfigSource, stackFileConfig } from "../components/config";

interface Recorded {
    type: string;
    inputs: Record<string, unknown>;
    parent?: pulumi.Resource;
}

interface Built {
    component: Cleanup;
    resources: Recorded[];
    outputs: { serviceAccountName?: string; cronJobName?: string; roleName?: string };
}

type Json = Record<string, unknown>;
type EnvVar = { name: string; value?: string; valueFrom?: Json };

function resolved<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

const DEV = loadConfig(objectConfigSource(stackFileConfig("dev")));

async function build(over: Partial<CleanupConfig> = {}, extra: { claim?: string | null } = {}): Promise<Built> {
    const inputsByName = new Map<string, Json>();
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            inputsByName.set(`${args.type}::${args.name}`, args.inputs as Json);
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    }, "abevalflow", "test", false);
    const children: { type: string; name: string; resource: pulumi.Resource; parent?: pulumi.Resource }[] = [];
    const component = new Cleanup("cleanup", {
        namespace: "ab-eval-flow-dev",
        config: { ...DEV.cleanup, ...over },
        trialPodLabels: DEV.trial.podLabels,
        deadLetterClaimName: extra.claim === null ? undefined : (extra.claim ?? "abevalflow-dead-letter"),
    }, {
        transformations: [(args) => {
            children.push({ type: args.type, name: args.name, resource: args.resource, parent: args.opts.parent });
            return undefined;
        }],
    });
    const outputs = {
        serviceAccountName: await resolved(component.serviceAccountName),
        cronJobName: await resolved(component.cronJobName),
        roleName: await resolved(component.roleName),
    };
    await Promise.all(children.map((c) => resolved(c.resource.urn)));
    // Transformations also see the component itself; only its children are of interest.
    const resources = children.filter((c) => c.resource !== component).map((c) => ({ type: c.type, inputs: inputsByName.get(`${c.type}::${c.name}`) ?? {}, parent: c.parent }));
    return { component, resources, outputs };
}

function one(built: Built, type: string): Json {
    const found = built.resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0].inputs;
}

const at = (obj: unknown, ...keys: (string | number)[]): unknown =>
    keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], obj);

function podSpec(built: Built): Json {
    return at(one(built, "kubernetes:batch/v1:CronJob"), "spec", "jobTemplate", "spec", "template", "spec") as Json;
}

function container(built: Built): Json {
    return (podSpec(built).containers as Json[])[0];
}

describe("cleanup component", () => {
    let built: Built;
    before(async () => {
        built = await build();
    });

    it("registers its ServiceAccount, Role, RoleBinding, script ConfigMap and CronJob, each named and parented", () => {
        expect(built.resources.map((r) => r.type).sort()).to.deep.equal([
            "kubernetes:batch/v1:CronJob",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        ]);
        for (const r of built.resources) {
            expect(r.parent, r.type).to.equal(built.component);
            expect(at(r.inputs, "metadata", "name"), r.type).to.be.a("string").and.not.equal("");
            expect(at(r.inputs, "metadata", "namespace"), r.type).to.equal("ab-eval-flow-dev");
        }
        expect(built.outputs).to.deep.equal({ serviceAccountName: CLEANUP_NAME, cronJobName: CLEANUP_NAME, roleName: CLEANUP_NAME });
    });

    it("grants exactly the calls the program makes: list and delete, TaskRun list for the dead letter", () => {
        const expected = [
            { apiGroups: [""], resources: ["pods"], verbs: ["list", "delete"] },
            { apiGroups: ["tekton.dev"], resources: ["pipelineruns"], verbs: ["list", "delete"] },
            { apiGroups: ["tekton.dev"], resources: ["taskruns"], verbs: ["list"] },
            { apiGroups: ["image.openshift.io"], resources: ["imagestreams"], verbs: ["list", "delete"] },
        ];
        expect(one(built, "kubernetes:rbac.authorization.k8s.io/v1:Role").rules).to.deep.equal(expected);
        expect(cleanupRoleRules(false)).to.deep.equal(expected.filter((r) => r.resources[0] !== "taskruns"));
    });

    it("binds the Role to its own ServiceAccount, which mounts a token", () => {
        const binding = one(built, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        expect(binding.roleRef).to.deep.equal({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CLEANUP_NAME });
        expect(binding.subjects).to.deep.equal([{ kind: "ServiceAccount", name: CLEANUP_NAME, namespace: "ab-eval-flow-dev" }]);
        expect(one(built, "kubernetes:core/v1:ServiceAccount").automountServiceAccountToken).to.equal(true);
        expect(podSpec(built).serviceAccountName).to.equal(CLEANUP_NAME);
    });

    it("ships the one cleanup.js byte for byte, and rolls the pod template when it changes", () => {
        const script = fs.readFileSync(cleanupScriptPath(), "utf8");
        const configMap = one(built, "kubernetes:core/v1:ConfigMap");
        expect(at(configMap, "metadata", "name")).to.equal(CLEANUP_SCRIPT_CONFIGMAP);
        expect(configMap.data).to.deep.equal({ "cleanup.js": script });
        const template = at(one(built, "kubernetes:batch/v1:CronJob"), "spec", "jobTemplate", "spec", "template", "metadata", "annotations");
        expect(template).to.deep.equal({ [SCRIPT_HASH_ANNOTATION]: crypto.createHash("sha256").update(script).digest("hex") });
        expect(container(built).command).to.deep.equal(["node", "/opt/cleanup/cleanup.js"]);
        expect(container(built).volumeMounts).to.deep.include({ name: "script", mountPath: "/opt/cleanup", readOnly: true });
    });

    it("takes every CronJob and Job knob from stack config", async () => {
        const custom = await build({
            schedule: "30 4 * * 1", timeZone: "Europe/Madrid", startingDeadlineSeconds: 600, activeDeadlineSeconds: 900,
            backoffLimit: 5, ttlSecondsAfterFinished: 3600, successfulJobsHistory: 7, failedJobsHistory: 9,
        });
        const spec = one(custom, "kubernetes:batch/v1:CronJob").spec as Json;
        expect(spec).to.include({
            schedule: "30 4 * * 1", timeZone: "Europe/Madrid", concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 7, failedJobsHistoryLimit: 9,
        });
        expect(at(spec, "jobTemplate", "spec")).to.include({ activeDeadlineSeconds: 900, backoffLimit: 5, ttlSecondsAfterFinished: 3600 });
    });

    it("defaults to daily at 03:00 UTC", () => {
        expect(one(built, "kubernetes:batch/v1:CronJob").spec).to.include({ schedule: "0 3 * * *", timeZone: "Etc/UTC" });
    });

    it("fails the Job at once on exit 2 (bad configuration) and retries only other failures", () => {
        expect(at(one(built, "kubernetes:batch/v1:CronJob"), "spec", "jobTemplate", "spec", "podFailurePolicy")).to.deep.equal({
            rules: [{ action: "FailJob", onExitCodes: { containerName: "cleanup", operator: "In", values: [2] } }],
        });
        expect(podSpec(built).restartPolicy).to.equal("Never");
    });

    it("runs restricted, with requests and limits, from a digest-pinned image", () => {
        expect(podSpec(built).securityContext).to.deep.equal({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(container(built).securityContext).to.deep.equal({
            allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container(built).resources).to.deep.equal({
            requests: { cpu: DEV.cleanup.resources.cpuRequest, memory: DEV.cleanup.resources.memoryRequest },
            limits: { cpu: DEV.cleanup.resources.cpuLimit, memory: DEV.cleanup.resources.memoryLimit },
        });
        expect(container(built).image).to.equal(DEV.cleanup.image).and.match(/@sha256:[0-9a-f]{64}$/);
    });

    it("sets an environment the program accepts, carrying the stack's values", () => {
        const env = container(built).env as EnvVar[];
        expect(env.find((e) => e.name === "NAMESPACE")?.valueFrom).to.deep.equal({ fieldRef: { fieldPath: "metadata.namespace" } });
        const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
        const { config, problems } = parseConfig({ ...plain, NAMESPACE: "ab-eval-flow-dev", KUBE_API_URL: "https://127.0.0.1:1", KUBE_TOKEN: "t", KUBE_INSECURE_SKIP_TLS_VERIFY: "true" });
        expect(problems).to.deep.equal([]);
        expect(config).to.include({
            trialPodMaxAgeMs: DEV.cleanup.trialPodMaxAgeHours * 3_600_000,
            pipelineRunMaxAgeMs: DEV.cleanup.pipelineRunMaxAgeHours * 3_600_000,
            pipelineRunKeepRecent: DEV.cleanup.pipelineRunKeepRecent,
            imageStreamMaxAgeMs: DEV.cleanup.imageStreamMaxAgeHours * 3_600_000,
            deadLetterDir: "/dead-letter",
            deadLetterRetentionDays: DEV.cleanup.deadLetterRetentionDays,
            dryRun: DEV.cleanup.dryRun,
            concurrency: DEV.cleanup.concurrency,
        });
        expect(config?.trialPodLabels).to.deep.equal(DEV.trial.podLabels);
    });

    it("mounts the dead-letter claim only when the dead letter is on", async () => {
        expect(podSpec(built).volumes).to.deep.include({ name: "dead-letter", persistentVolumeClaim: { claimName: "abevalflow-dead-letter" } });
        expect(container(built).volumeMounts).to.deep.include({ name: "dead-letter", mountPath: "/dead-letter" });

        const off = await build({ deadLetter: false }, { claim: null });
        expect((podSpec(off).volumes as Json[]).map((v) => v.name)).to.deep.equal(["script"]);
        expect((container(off).env as EnvVar[]).map((e) => e.name)).to.not.include.members(["DEAD_LETTER_DIR", "DEAD_LETTER_RETENTION_DAYS"]);
        expect(one(off, "kubernetes:rbac.authorization.k8s.io/v1:Role").rules).to.deep.equal(cleanupRoleRules(false));
    });

    it("refuses a dead letter without a claim to write to", async () => {
        let error: Error | undefined;
        await build({ deadLetter: true }, { claim: null }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/cleanupDeadLetter is true but no deadLetterClaimName/);
    });

    it("marks every object patchForce and none skipAwait (nothing here has a readiness to wait for)", async () => {
        for (const r of built.resources) {
            expect(at(r.inputs, "metadata", "annotations"), r.type).to.deep.equal({ "pulumi.com/patchForce": "true" });
        }
    });
});
