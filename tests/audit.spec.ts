// The live-namespace audit's judgement (scripts/audit/check.ts), fed what a cluster would
// answer: each finding it must make, and none where the namespace is as the stack declares.
// tests/e2e/audit.e2e.ts runs it against a deployed stack with such leftovers.
import { expect } from "chai";
import { audit, LiveNamespace, rightsOf, selects } from "../scripts/audit/check";

const TRIAL = { "abevalflow/role": "trial" };
const ROLE = [
    { apiGroups: [""], resources: ["pods"], verbs: ["create", "get"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["db"] },
];
const BASELINE = [{ apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectrulesreviews"], verbs: ["create"] }];

function clean(): LiveNamespace {
    return {
        namespace: "ns",
        trialPodLabels: TRIAL,
        declaredPolicies: ["trial-egress-default-deny", "trial-egress-litellm"],
        livePolicies: [
            { name: "trial-egress-default-deny", podSelector: { matchLabels: TRIAL } },
            { name: "trial-egress-litellm", podSelector: { matchLabels: TRIAL } },
        ],
        pipelineRules: [...ROLE, ...BASELINE],
        baselineRules: BASELINE,
        grantedRules: ROLE,
        foreignBindings: [],
        admission: {
            name: "abevalflow-trial-pods-ns",
            policy: { failurePolicy: "Fail" },
            binding: {
                policyName: "abevalflow-trial-pods-ns",
                validationActions: ["Deny"],
                namespaceLabels: { "kubernetes.io/metadata.name": "ns" },
            },
        },
    };
}

describe("live-namespace audit", () => {
    it("finds nothing in a namespace as the stack declares it", () => {
        expect(audit(clean())).to.deep.equal([]);
    });

    it("selects as the API does: matchLabels, every operator of matchExpressions, and the empty selector", () => {
        expect(selects({}, TRIAL)).to.equal(true);
        expect(selects(undefined, TRIAL)).to.equal(true);
        expect(selects({ matchLabels: { app: "x" } }, TRIAL)).to.equal(false);
        expect(
            selects({ matchExpressions: [{ key: "abevalflow/role", operator: "In", values: ["trial", "x"] }] }, TRIAL),
        ).to.equal(true);
        expect(
            selects({ matchExpressions: [{ key: "abevalflow/role", operator: "NotIn", values: ["trial"] }] }, TRIAL),
        ).to.equal(false);
        expect(selects({ matchExpressions: [{ key: "abevalflow/role", operator: "Exists" }] }, TRIAL)).to.equal(true);
        expect(selects({ matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, TRIAL)).to.equal(true);
        expect(selects({ matchExpressions: [{ key: "team", operator: "Exists" }] }, TRIAL)).to.equal(false);
    });

    it("names a NetworkPolicy that selects trial pods and is not the program's, and one of the stack's that is missing", () => {
        const live = clean();
        live.livePolicies = [
            ...live.livePolicies.slice(0, 1),
            { name: "allow-all-egress", podSelector: {} },
            { name: "web", podSelector: { matchLabels: { app: "web" } } },
        ];
        const problems = audit(live).map((f) => `${f.check}: ${f.problem}`);
        expect(problems).to.have.length(2);
        expect(problems[0]).to.match(
            /^network-policies: NetworkPolicy ns\/allow-all-egress selects trial pods and is not the program's/,
        );
        expect(problems[1]).to.match(
            /^network-policies: NetworkPolicy ns\/trial-egress-litellm of the stack is missing/,
        );
    });

    it("names the pipeline's rights beyond its Role and the bindings that grant them", () => {
        const live = clean();
        live.pipelineRules = [
            ...live.pipelineRules,
            { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"] },
        ];
        live.foreignBindings = ["RoleBinding ns/openshift-pipelines-edit (ClusterRole edit)"];
        const [finding, ...more] = audit(live);
        expect(more).to.deep.equal([]);
        expect(finding.check).to.equal("pipeline-rights");
        expect(finding.problem)
            .to.contain("granted by RoleBinding ns/openshift-pipelines-edit (ClusterRole edit)")
            .and.contain("secrets (get, list)")
            .and.contain("deployments.apps (patch)")
            .and.not.contain("named db");
    });

    it("holds a right by name to that name only, and lets wildcards of the granted rules cover", () => {
        const live = clean();
        live.pipelineRules = [
            { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["db", "vertex"] },
        ];
        expect(
            audit(live)
                .map((f) => f.problem)
                .join(),
        )
            .to.contain("secrets named vertex (get)")
            .and.not.contain("named db");
        live.grantedRules = [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }];
        expect(audit(live)).to.deep.equal([]);
        expect(rightsOf([{ verbs: ["get"], apiGroups: ["", "apps"], resources: ["a", "b"] }])).to.have.length(4);
    });

    it("names a missing, unbound, warning-only or mis-scoped admission policy, and skips it with admissionPolicy false", () => {
        const missing = clean();
        missing.admission = { name: "abevalflow-trial-pods-ns" };
        expect(audit(missing).map((f) => f.problem)).to.deep.equal([
            "ValidatingAdmissionPolicy abevalflow-trial-pods-ns is missing: the pipeline's pods are not checked; run pulumi up",
            "ValidatingAdmissionPolicyBinding abevalflow-trial-pods-ns is missing: the policy is not in force; run pulumi up",
        ]);
        const weak = clean();
        weak.admission = {
            name: "abevalflow-trial-pods-ns",
            policy: { failurePolicy: "Ignore" },
            binding: {
                policyName: "other",
                validationActions: ["Warn"],
                namespaceLabels: { "kubernetes.io/metadata.name": "elsewhere" },
            },
        };
        expect(audit(weak).map((f) => f.problem)).to.have.length(4);
        const off = clean();
        off.admission = undefined;
        expect(audit(off)).to.deep.equal([]);
    });
});
