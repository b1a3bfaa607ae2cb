// The program's objects on a real API server (etcd + kube-apiserver): everything it renders
// is accepted by the server's validation and admission, stored as intended, and enforced by
// the server's own authorizer and admission plugins. The Pulumi kubernetes provider cannot
// be built here (see README, "Real engine"), so the objects are applied with kubectl
// server-side apply from the program's own rendering.
import { expect } from "chai";
import * as YAML from "yaml";
import { stackFileConfig } from "../../components/config";
import { LITELLM, NETWORK_POLICIES, TRIAL_BASELINE_CONFIGMAP, VOLUMES } from "../../components/names";
import { TrialPodBaseline } from "../../components/trialBaseline";
import { renderStack, toYaml } from "../../scripts/render/manifests";
import { rbacTable } from "./rbac-table";
import { kubectlJson, ok, requireCluster, run } from "./support";

interface Obj { metadata: { name: string; uid?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; rules?: Record<string, unknown>[]; data?: Record<string, string> }

const FIELD_MANAGER = "abevalflow-e2e";

function apply(yaml: string, dryRun = false): ReturnType<typeof run> {
    return run("kubectl", ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, ...(dryRun ? ["--dry-run=server"] : []), "-f", "-"], { input: yaml });
}

function canI(namespace: string, check: ReturnType<typeof rbacTable>[number]): boolean {
    const ns = check.namespace === "other" ? "openshift-dns" : namespace;
    const target = check.name ? `${check.resource}/${check.name}` : check.resource;
    const r = run("kubectl", ["auth", "can-i", check.verb, target, "-n", ns, "--as", `system:serviceaccount:${namespace}:${check.sa}`]);
    if (r.status !== 0 && r.status !== 1) {
        throw new Error(`kubectl auth can-i failed: ${r.output}`);
    }
    return r.status === 0;
}

/** A pod as the pipeline would launch it; `run` creates it and returns the server's warnings. */
function trialPod(namespace: string, name: string, spec: Record<string, unknown>): string {
    return YAML.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: { "abevalflow/role": "trial" } }, spec });
}

describe("the program's objects on a real API server", function () {
    this.timeout(10 * 60_000);
    before(() => requireCluster());

    for (const stack of ["dev", "prod"]) {
        describe(`${stack} stack`, () => {
            const namespace = stackFileConfig(stack)["abevalflow:namespace"] as string;

            it("applies every object, and a second apply changes nothing", async () => {
                const yaml = toYaml(await renderStack(stack));
                const first = apply(yaml);
                expect(first.status, first.output).to.equal(0);
                const before = kubectlJson<{ metadata: { resourceVersion: string } }>(["get", "configmap", LITELLM.configMap, "-n", namespace]).metadata.resourceVersion;
                const second = apply(yaml);
                expect(second.status, second.output).to.equal(0);
                expect(second.stdout).to.not.match(/configured$/m);
                const after = kubectlJson<{ metadata: { resourceVersion: string } }>(["get", "configmap", LITELLM.configMap, "-n", namespace]).metadata.resourceVersion;
                expect(after).to.equal(before);
            });

            it("validates the other LLM modes' objects (server-side dry run)", async () => {
                for (const mode of ["direct-api", "self-hosted"]) {
                    const r = apply(toYaml(await renderStack(stack, mode)), true);
                    expect(r.status, `${mode}: ${r.output}`).to.equal(0);
                }
            });

            it("stored what the program intends", () => {
                const cfg = stackFileConfig(stack);
                const ns = kubectlJson<Obj>(["get", "namespace", namespace]);
                expect(ns.metadata.labels).to.include({ "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted", "kubernetes.io/metadata.name": namespace });
                const quota = kubectlJson<Obj>(["get", "resourcequota", "abevalflow-quota", "-n", namespace]);
                expect((quota.spec as { hard: Record<string, string> }).hard.pods).to.equal(String(cfg["abevalflow:quotaPods"] ?? 50));
                const policies = kubectlJson<{ items: Obj[] }>(["get", "networkpolicy", "-n", namespace]).items.map((p) => p.metadata.name);
                expect(policies).to.have.members([NETWORK_POLICIES.trialDefaultDeny, NETWORK_POLICIES.trialAllow.litellm, NETWORK_POLICIES.litellmDefaultDeny, NETWORK_POLICIES.litellmProxy]);
                const deny = kubectlJson<Obj>(["get", "networkpolicy", NETWORK_POLICIES.trialDefaultDeny, "-n", namespace]);
                expect(deny.spec).to.deep.equal({ podSelector: { matchLabels: { "abevalflow/role": "trial" } }, policyTypes: ["Egress"] });
                const role = kubectlJson<Obj>(["get", "role", "pipeline-trial-manager", "-n", namespace]);
                expect(role.rules).to.deep.include({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["ab-eval-db-credentials"] });
                const claims = kubectlJson<{ items: Obj[] }>(["get", "pvc", "-n", namespace]).items.map((p) => p.metadata.name);
                expect(claims).to.have.members([VOLUMES.workspace, VOLUMES.deadLetter]);
                const deployment = kubectlJson<{ spec: { replicas: number; template: object } }>(["get", "deployment", LITELLM.name, "-n", namespace]);
                expect(deployment.spec.replicas).to.equal(cfg["abevalflow:litellmReplicas"]);
                expect(JSON.stringify(deployment.spec.template)).to.contain("/health/readiness").and.contain("@sha256:");
                const cron = kubectlJson<{ spec: { schedule: string; timeZone: string; concurrencyPolicy: string } }>(["get", "cronjob", "abevalflow-cleanup", "-n", namespace]);
                expect(cron.spec).to.include({ schedule: "0 3 * * *", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid" });
            });

            it("RBAC: the API server's authorizer answers the expected table", () => {
                const table = rbacTable();
                expect(table.length).to.be.at.least(40);
                const wrong = table.filter((check) => canI(namespace, check) !== check.allowed)
                    .map((c) => `${c.sa} ${c.allowed ? "should" : "should not"} ${c.verb} ${c.resource}${c.name ? "/" + c.name : ""}${c.namespace === "other" ? " in another namespace" : ""}`);
                expect(wrong, wrong.join("\n")).to.deep.equal([]);
            });
        });
    }

    describe("admission in the pipeline namespace", () => {
        const namespace = stackFileConfig("dev")["abevalflow:namespace"] as string;
        const baseline = (): TrialPodBaseline =>
            JSON.parse(kubectlJson<Obj>(["get", "configmap", TRIAL_BASELINE_CONFIGMAP, "-n", namespace]).data?.["baseline.json"] ?? "{}") as TrialPodBaseline;

        it("a trial pod built from the published baseline is admitted with no pod-security warning at restricted", () => {
            const b = baseline();
            const pod = trialPod(namespace, "trial-from-baseline", {
                serviceAccountName: "pipeline",
                automountServiceAccountToken: b.automountServiceAccountToken,
                securityContext: b.podSecurityContext,
                containers: [{ name: "agent", image: "registry.example/agent@sha256:" + "a".repeat(64), securityContext: b.containerSecurityContext, resources: b.resources, volumeMounts: b.volumeMounts }],
                volumes: b.volumes,
            });
            const r = run("kubectl", ["create", "-f", "-"], { input: pod });
            expect(r.status, r.output).to.equal(0);
            expect(r.stderr, "the warn=restricted label reports any violation as a warning").to.not.match(/violate PodSecurity/i);
        });

        it("a container without requests gets the LimitRange defaults and passes the quota", () => {
            const r = run("kubectl", ["create", "-f", "-"], { input: trialPod(namespace, "trial-no-requests", {
                serviceAccountName: "pipeline", automountServiceAccountToken: false,
                containers: [{ name: "agent", image: "registry.example/agent@sha256:" + "b".repeat(64) }],
            }) });
            expect(r.status, r.output).to.equal(0);
            const stored = kubectlJson<{ spec: { containers: { resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } }>(["get", "pod", "trial-no-requests", "-n", namespace]);
            expect(stored.spec.containers[0].resources.requests).to.deep.equal({ cpu: "100m", memory: "128Mi" });
            expect(stored.spec.containers[0].resources.limits).to.deep.equal({ cpu: "1", memory: "1Gi" });
        });

        it("the enforce level refuses a privileged pod", () => {
            const r = run("kubectl", ["create", "-f", "-"], { input: trialPod(namespace, "trial-privileged", {
                serviceAccountName: "pipeline", automountServiceAccountToken: false,
                containers: [{ name: "agent", image: "registry.example/agent@sha256:" + "c".repeat(64), securityContext: { privileged: true } }],
            }) });
            expect(r.status).to.not.equal(0);
            expect(r.output).to.match(/violates PodSecurity "baseline/);
        });

        after(() => {
            run("kubectl", ["delete", "pod", "-n", namespace, "--grace-period=0", "--force", "--ignore-not-found", "trial-from-baseline", "trial-no-requests", "trial-privileged"]);
            ok("kubectl", ["get", "ns", namespace]);
        });
    });
});
