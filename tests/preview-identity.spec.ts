// The read-only identity pull-request previews run as: what it may read is exactly what the
// program manages and reads, minus Secrets, and it may change nothing. The e2e suite
// (tests/e2e/preview-identity.e2e.ts) runs a real preview as this identity.
import { expect } from "chai";
import { previewClusterRoleRules, previewRoleRules } from "../components/rbac";
import { PREVIEW_IDENTITY } from "../components/names";
import { DEFAULT_EXISTING } from "../scripts/engine/program-run";
import { field, LLM_MODES, named, ProgramRun, runProgram, stackConfig, withMode } from "./harness";

const SA = "kubernetes:core/v1:ServiceAccount";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const CLUSTER_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const READ_ONLY = ["get", "list", "watch"];

interface Rule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
}
interface Target {
    group: string;
    resource: string;
    name?: string;
}

/** "kubernetes:apps/v1:Deployment" -> apps, deployments (the API's plural of every kind the program uses). */
function target(type: string, name?: string): Target {
    const [, groupVersion, kind] = type.split(":");
    const group = groupVersion.split("/")[0];
    const lower = kind.toLowerCase();
    return {
        group: group === "core" ? "" : group,
        resource: lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`,
        name,
    };
}

/** RBAC's own rule: a rule grants the verb on the resource, and on the name when it lists names. */
function grants(rules: Rule[], verb: string, t: Target): boolean {
    return rules.some(
        (r) =>
            r.apiGroups.includes(t.group) &&
            r.resources.includes(t.resource) &&
            r.verbs.includes(verb) &&
            (r.resourceNames === undefined || (t.name !== undefined && r.resourceNames.includes(t.name))),
    );
}

const key = (t: Target): string => `${t.group}/${t.resource}`;

function namespacedKinds(run: ProgramRun): Set<string> {
    return new Set(
        run.resources
            .filter((r) => r.type.startsWith("kubernetes:") && field(r, "metadata", "namespace") !== undefined)
            .map((r) => key(target(r.type))),
    );
}

/** Every configuration that adds a kind: each mode, inline Vertex credentials (a Secret), trial ingress. */
const VARIANTS = (): Record<string, unknown>[] => [
    ...["dev", "prod"].flatMap((stack) => LLM_MODES.map((mode) => withMode(stack, mode))),
    withMode("dev", "litellm", {
        litellmVertexCredentials: JSON.stringify({
            type: "service_account",
            project_id: "p",
            private_key: "k",
            client_email: "e@p.iam.gserviceaccount.com",
        }),
        litellmVertexCredentialsSecretName: "",
        trialIngressPorts: [8080],
    }),
];

describe("preview identity", () => {
    it("is a ServiceAccount without a mounted token, bound to its Role and ClusterRole", async () => {
        const run = await runProgram(stackConfig("dev"));
        const sa = named(run, SA, PREVIEW_IDENTITY.name);
        expect(field(sa, "metadata", "namespace")).to.equal("ab-eval-flow-dev");
        expect(field(sa, "automountServiceAccountToken")).to.equal(false);
        const subjects = [{ kind: "ServiceAccount", name: PREVIEW_IDENTITY.name, namespace: "ab-eval-flow-dev" }];
        expect(field(named(run, BINDING, PREVIEW_IDENTITY.name), "roleRef")).to.deep.equal({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: PREVIEW_IDENTITY.name,
        });
        expect(field(named(run, BINDING, PREVIEW_IDENTITY.name), "subjects")).to.deep.equal(subjects);
        const clusterName = "abevalflow-preview-ab-eval-flow-dev";
        const clusterBinding = named(run, CLUSTER_BINDING, clusterName);
        expect(field(clusterBinding, "roleRef")).to.deep.equal({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: clusterName,
        });
        expect(field(clusterBinding, "subjects")).to.deep.equal(subjects);
        for (const r of [named(run, CLUSTER_ROLE, clusterName), clusterBinding]) {
            expect(field(r, "metadata", "namespace"), `${r.type} is cluster-scoped`).to.equal(undefined);
            expect(field(r, "metadata", "labels")).to.include({ "abevalflow/namespace": "ab-eval-flow-dev" });
        }
        expect(run.outputs.serviceAccounts, "not one of the workload accounts").to.not.have.property("preview");
    });

    it("reads exactly the namespaced kinds the program manages, in every mode, except Secrets", async () => {
        const managed = new Set<string>();
        for (const values of VARIANTS()) {
            namespacedKinds(await runProgram(values)).forEach((k) => managed.add(k));
        }
        expect([...managed], "the variants reach the Secret kind, so leaving it out is a decision").to.include(
            "/secrets",
        );
        const rules = previewRoleRules() as Rule[];
        const readable = new Set(
            rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))),
        );
        expect([...readable].sort()).to.deep.equal([...managed].filter((k) => k !== "/secrets").sort());
        for (const rule of rules) {
            expect(rule.verbs).to.deep.equal(READ_ONLY);
            expect(rule.resourceNames).to.equal(undefined);
        }
    });

    it("gets by name every cluster-scoped object the program manages and every object it reads, in every mode", async () => {
        // With clusterId set, the cluster guard reads namespace kube-system too.
        const uid = "6f2b6a1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
        const existing = {
            ...DEFAULT_EXISTING,
            "kubernetes:core/v1:Namespace::kube-system": { metadata: { name: "kube-system", uid } },
        };
        for (const values of [...VARIANTS(), withMode("dev", "litellm", { clusterId: uid })]) {
            const run = await runProgram(values, { existing });
            const rules = field(
                named(run, CLUSTER_ROLE, `abevalflow-preview-${run.config.namespace}`),
                "rules",
            ) as Rule[];
            const clusterScoped = run.resources.filter(
                (r) => r.type.startsWith("kubernetes:") && field(r, "metadata", "namespace") === undefined,
            );
            expect(clusterScoped.length).to.be.at.least(3);
            for (const r of clusterScoped) {
                const t = target(r.type, field(r, "metadata", "name") as string);
                expect(grants(rules, "get", t), `get ${key(t)}/${t.name}`).to.equal(true);
            }
            expect(run.reads.map((r) => r.id)).to.include.members(
                run.config.cluster.id ? ["kube-system", "default/kubernetes"] : ["default/kubernetes"],
            );
            for (const read of run.reads) {
                const t = target(read.type, read.id.split("/").pop());
                expect(grants(rules, "get", t), `the read of ${read.type} ${read.id}`).to.equal(true);
            }
        }
    });

    it("can change nothing and read no Secret, whatever the configuration", async () => {
        for (const values of VARIANTS()) {
            const run = await runProgram(values);
            const rules = [
                ...(field(named(run, ROLE, PREVIEW_IDENTITY.name), "rules") as Rule[]),
                ...(field(named(run, CLUSTER_ROLE, `abevalflow-preview-${run.config.namespace}`), "rules") as Rule[]),
            ];
            for (const rule of rules) {
                expect(READ_ONLY, JSON.stringify(rule)).to.include.members(rule.verbs);
                expect(rule.resources, JSON.stringify(rule)).to.not.include("secrets");
                expect(rule.resources.join(), "no wildcard").to.not.contain("*");
                expect(rule.apiGroups.join(), "no wildcard").to.not.contain("*");
            }
            for (const rule of rules.filter((r) => r.resourceNames !== undefined)) {
                expect(rule.verbs, "resourceNames cannot scope list or watch without a field selector").to.deep.equal([
                    "get",
                ]);
            }
        }
    });

    it("grants the admission objects and the API server EndpointSlice only where the program has them", () => {
        const base = { namespace: "ns", admissionPolicy: false, readsApiServerEndpoints: false };
        const resources = (access: typeof base): string[] =>
            (previewClusterRoleRules(access) as Rule[]).flatMap((r) => r.resources);
        expect(resources(base)).to.have.members(["namespaces", "clusterrolebindings", "clusterroles"]);
        expect(resources({ ...base, admissionPolicy: true })).to.include.members([
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
        ]);
        expect(previewClusterRoleRules({ ...base, readsApiServerEndpoints: true })).to.deep.include({
            apiGroups: ["discovery.k8s.io"],
            resources: ["endpointslices"],
            verbs: ["get"],
            resourceNames: ["kubernetes"],
        });
        expect(previewClusterRoleRules(base)[0]).to.deep.equal({
            apiGroups: [""],
            resources: ["namespaces"],
            verbs: ["get"],
            resourceNames: ["ns", "kube-system"],
        });
    });

    it("is not created when previewIdentity is false", async () => {
        const run = await runProgram(withMode("dev", "litellm", { previewIdentity: false }));
        const names = run.resources.map((r) => field(r, "metadata", "name"));
        expect(names).to.not.include(PREVIEW_IDENTITY.name);
        expect(names).to.not.include("abevalflow-preview-ab-eval-flow-dev");
    });
});
