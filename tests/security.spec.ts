import { expect } from "chai";
import { pipelineRoleRules } from "../components/rbac";
import { trialPodBaseline, TrialPodBaseline } from "../components/trialBaseline";
import { field, named, ofType, runProgram, stackConfig, withMode } from "./harness";

const NS = "kubernetes:core/v1:Namespace";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";

interface Rule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
}

describe("security slice", () => {
    it("labels the namespace with the stack's pod-security levels and keeps it on destroy", async () => {
        const run = await runProgram(
            withMode("dev", "litellm", { podSecurityEnforce: "restricted", podSecurityWarn: "baseline" }),
        );
        const [namespace] = ofType(run, NS);
        const labels = field(namespace, "metadata", "labels") as Record<string, string>;
        expect(labels["pod-security.kubernetes.io/enforce"]).to.equal("restricted");
        expect(labels["pod-security.kubernetes.io/warn"]).to.equal("baseline");
        expect(labels["pod-security.kubernetes.io/audit"]).to.equal("restricted");
        expect(labels["security.openshift.io/scc.podSecurityLabelSync"]).to.equal("false");
        expect(namespace.opts.retainOnDelete).to.equal(true);
    });

    it("tells OpenShift Pipelines' pruner to skip the namespace exactly when failed runs go to the dead letter", async () => {
        for (const deadLetter of [true, false]) {
            const [namespace] = ofType(
                await runProgram(withMode("dev", "litellm", { cleanupDeadLetter: deadLetter })),
                NS,
            );
            const annotations = field(namespace, "metadata", "annotations") as Record<string, string>;
            expect(annotations["operator.tekton.dev/prune.skip"], `cleanupDeadLetter ${deadLetter}`).to.equal(
                deadLetter ? "true" : undefined,
            );
        }
        const [patch] = ofType(
            await runProgram(withMode("dev", "litellm", { manageNamespace: false })),
            "kubernetes:core/v1:NamespacePatch",
        );
        expect(field(patch, "metadata", "annotations")).to.include({ "operator.tekton.dev/prune.skip": "true" });
    });

    it("binds the pipeline to the pipelines SCC's ClusterRole by default, and not when the key is empty", async () => {
        const bound = named(await runProgram(stackConfig("dev")), BINDING, "pipeline-pipelines-scc");
        expect(field(bound, "roleRef")).to.deep.equal({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "pipelines-scc-clusterrole",
        });
        expect(field(bound, "subjects")).to.deep.equal([
            { kind: "ServiceAccount", name: "pipeline", namespace: "ab-eval-flow-dev" },
        ]);
        const unbound = await runProgram(withMode("dev", "litellm", { pipelineSccClusterRole: "" }));
        expect(ofType(unbound, BINDING).map((b) => field(b, "metadata", "name"))).to.not.include(
            "pipeline-pipelines-scc",
        );
    });

    it("protects the namespace where the volumes are protected", async () => {
        const [namespace] = ofType(await runProgram(stackConfig("prod")), NS);
        expect(namespace.opts.protect).to.equal(true);
    });

    it("only patches the labels of a namespace it does not manage", async () => {
        const run = await runProgram(withMode("dev", "litellm", { manageNamespace: false }));
        expect(ofType(run, NS)).to.have.length(0);
        const [patch] = ofType(run, "kubernetes:core/v1:NamespacePatch");
        expect(field(patch, "metadata", "name")).to.equal("ab-eval-flow-dev");
        expect(field(patch, "metadata", "labels")).to.have.property("pod-security.kubernetes.io/enforce", "baseline");
    });

    it("sets the quota from config and LimitRange defaults for containers without requests", async () => {
        const run = await runProgram(stackConfig("prod"));
        const [quota] = ofType(run, "kubernetes:core/v1:ResourceQuota");
        expect(field(quota, "spec", "hard")).to.deep.equal({
            pods: "50",
            "requests.cpu": "32",
            "limits.cpu": "64",
            "requests.memory": "64Gi",
            "limits.memory": "128Gi",
            persistentvolumeclaims: "10",
        });
        const [limits] = ofType(run, "kubernetes:core/v1:LimitRange");
        const [container] = field(limits, "spec", "limits") as {
            type: string;
            defaultRequest: object;
            default: object;
        }[];
        expect(container.type).to.equal("Container");
        expect(container.defaultRequest).to.have.keys("cpu", "memory");
        expect(container.default).to.have.keys("cpu", "memory");
    });

    it("publishes the trial-pod baseline built from the one typed object", async () => {
        const run = await runProgram(stackConfig("dev"));
        const configMap = named(run, "kubernetes:core/v1:ConfigMap", "trial-pod-security-baseline");
        const published = JSON.parse(
            (field(configMap, "data") as Record<string, string>)["baseline.json"],
        ) as TrialPodBaseline;
        expect(published).to.deep.equal(
            JSON.parse(JSON.stringify(trialPodBaseline(run.config.trial.resources, run.config.trial.tmpSizeLimit))),
        );
        expect(published.containerSecurityContext).to.deep.include({
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
        });
        expect(published.containerSecurityContext).to.have.deep.nested.property("capabilities.drop", ["ALL"]);
        expect(published.containerSecurityContext).to.have.nested.property("seccompProfile.type", "RuntimeDefault");
        expect(published.volumes).to.deep.equal([{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }]);
        expect(published.resources.limits).to.have.keys("cpu", "memory");
        expect(field(configMap, "data")).to.include({ podNamePrefix: "trial-" });
        const custom = named(
            await runProgram(withMode("dev", "litellm", { trialPodNamePrefix: "eval-" })),
            "kubernetes:core/v1:ConfigMap",
            "trial-pod-security-baseline",
        );
        expect(field(custom, "data")).to.include({ podNamePrefix: "eval-" });
    });

    describe("pipeline RBAC", () => {
        it("gives the pipeline its own ServiceAccount bound to the image builder and its Role", async () => {
            const run = await runProgram(stackConfig("dev"));
            expect(() => named(run, "kubernetes:core/v1:ServiceAccount", "pipeline")).to.not.throw();
            const builder = named(run, BINDING, "pipeline-image-builder");
            expect(field(builder, "roleRef")).to.deep.equal({
                apiGroup: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: "system:image-builder",
            });
            const manager = named(run, BINDING, "pipeline-trial-manager");
            expect(field(manager, "roleRef")).to.deep.include({ kind: "Role", name: "pipeline-trial-manager" });
            expect(field(manager, "subjects")).to.deep.equal([
                { kind: "ServiceAccount", name: "pipeline", namespace: "ab-eval-flow-dev" },
            ]);
        });

        it("grants secrets get by name only, never list or watch", async () => {
            const run = await runProgram(
                withMode("dev", "litellm", { pipelineSecretNames: ["ab-eval-db-credentials", "registry-push"] }),
            );
            const rules = field(named(run, ROLE, "pipeline-trial-manager"), "rules") as Rule[];
            const secretRules = rules.filter((r) => r.resources.includes("secrets"));
            expect(secretRules).to.deep.equal([
                {
                    apiGroups: [""],
                    resources: ["secrets"],
                    verbs: ["get"],
                    resourceNames: ["ab-eval-db-credentials", "registry-push"],
                },
            ]);
            expect(rules.flatMap((r) => r.resources)).to.not.include("*");
            expect(rules.flatMap((r) => r.verbs)).to.not.include("*");
        });

        it("grants nothing on secrets when the pipeline needs none", async () => {
            const run = await runProgram(
                withMode("dev", "litellm", { pipelineNeedsSecrets: false, pipelineSecretNames: [] }),
            );
            const rules = field(named(run, ROLE, "pipeline-trial-manager"), "rules") as Rule[];
            expect(rules.filter((r) => r.resources.includes("secrets"))).to.deep.equal([]);
        });

        it("grants PVC delete only when the stack says the pipeline manages volumes", () => {
            const pvcVerbs = (managesPvcs: boolean) =>
                pipelineRoleRules({ serviceAccountName: "pipeline", secretNames: ["a"], managesPvcs }).find((r) =>
                    (r.resources as string[]).includes("persistentvolumeclaims"),
                )?.verbs;
            expect(pvcVerbs(false)).to.deep.equal(["get", "list", "create"]);
            expect(pvcVerbs(true)).to.deep.equal(["get", "list", "create", "delete"]);
        });

        it("grants exactly the verbs the pipeline uses", () => {
            const rules = pipelineRoleRules({
                serviceAccountName: "pipeline",
                secretNames: ["db"],
                managesPvcs: false,
            });
            const grants = rules.flatMap((r) =>
                (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((verb) => `${res}:${verb}`)),
            );
            expect(grants.sort()).to.deep.equal([
                "configmaps:get",
                "configmaps:list",
                "events:get",
                "events:list",
                "persistentvolumeclaims:create",
                "persistentvolumeclaims:get",
                "persistentvolumeclaims:list",
                "pods/exec:create",
                "pods/exec:get",
                "pods/log:get",
                "pods:create",
                "pods:delete",
                "pods:get",
                "pods:list",
                "pods:watch",
                "secrets:get",
            ]);
        });
    });
});
