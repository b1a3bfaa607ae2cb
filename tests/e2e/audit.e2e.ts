// The live-namespace audit (npm run audit) against a stack deployed through the real engine:
// nothing found on the namespace as deployed; then each leftover that undoes a promise without
// being the program's (a hand-made NetworkPolicy that selects trial pods, a RoleBinding that
// gives the pipeline `edit` as OpenShift Pipelines' per-namespace RBAC does, the admission
// policy's binding deleted) is named with exit 1, and removing it brings exit 0 back. The
// pipeline's rights are asked of the real authorizer.
import { expect } from "chai";
import { trialAdmissionName } from "../../components/admission";
import { ok, PulumiWorkspace, requireCluster, Result, run } from "./support";

const STACK = "e2e-audit";
const NAMESPACE = "abevalflow-e2e-audit";

describe("npm run audit: the live namespace against the stack's promises", function () {
    this.timeout(15 * 60_000);
    const ws = new PulumiWorkspace();
    const audit = (...args: string[]): Result =>
        run("npx", ["ts-node", "--transpile-only", "scripts/audit/cli.ts", STACK, ...args], { env: ws.env });
    const findings = (): { check: string; problem: string }[] => {
        const r = audit("--json");
        expect([0, 1], r.output).to.include(r.status);
        return (JSON.parse(r.stdout) as { findings: { check: string; problem: string }[] }).findings;
    };

    before(() => {
        requireCluster();
        // direct-api: no proxy to wait for; the audit reads policies, RBAC and admission only.
        ws.initStack(STACK, "dev", { "abevalflow:namespace": NAMESPACE, "abevalflow:llmMode": "direct-api" });
        ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("dev")]);
    });
    after(() => {
        run("kubectl", ["delete", "rolebinding", "e2e-pipelines-edit", "-n", NAMESPACE, "--ignore-not-found"]);
        ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", STACK]);
        run("kubectl", ["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false"]);
        ws.dispose();
    });

    it("finds nothing in the namespace as deployed (exit 0), and says what it checked", () => {
        const r = audit();
        expect(r.status, r.output).to.equal(0);
        expect(r.stdout)
            .to.contain(`audit of stack ${STACK}: namespace ${NAMESPACE}`)
            .and.contain("ok    network-policies")
            .and.contain("ok    pipeline-rights")
            .and.contain("ok    admission-policy");
    });

    it("names a hand-made NetworkPolicy that selects trial pods (exit 1), and not one that selects other pods", () => {
        const policy = (name: string, selector: object) =>
            JSON.stringify({
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name, namespace: NAMESPACE },
                spec: { podSelector: selector, policyTypes: ["Egress"], egress: [{}] },
            });
        ok("kubectl", ["apply", "-f", "-"], {
            input: [policy("allow-all-egress", {}), policy("web-egress", { matchLabels: { app: "web" } })].join("\n"),
        });
        const r = audit();
        expect(r.status, r.output).to.equal(1);
        expect(r.stdout)
            .to.contain(
                `FAIL  network-policies: NetworkPolicy ${NAMESPACE}/allow-all-egress selects trial pods and is not the program's`,
            )
            .and.not.contain("web-egress");
        ok("kubectl", ["delete", "networkpolicy", "allow-all-egress", "web-egress", "-n", NAMESPACE]);
        expect(findings()).to.deep.equal([]);
    });

    it("names the pipeline's rights beyond its Role, asked of the authorizer, and the binding that grants them", () => {
        ok("kubectl", [
            "create",
            "rolebinding",
            "e2e-pipelines-edit",
            "-n",
            NAMESPACE,
            "--clusterrole=edit",
            `--serviceaccount=${NAMESPACE}:pipeline`,
        ]);
        const [finding, ...more] = findings();
        expect(more).to.deep.equal([]);
        expect(finding.check).to.equal("pipeline-rights");
        expect(finding.problem)
            .to.contain(`granted by RoleBinding ${NAMESPACE}/e2e-pipelines-edit (ClusterRole edit)`)
            .and.match(/[:;] secrets \([^)]*\blist\b/);
        ok("kubectl", ["delete", "rolebinding", "e2e-pipelines-edit", "-n", NAMESPACE]);
        expect(findings()).to.deep.equal([]);
    });

    it("names the admission policy's binding deleted by hand; pulumi refresh and up put it back", () => {
        ok("kubectl", ["delete", "validatingadmissionpolicybinding", trialAdmissionName(NAMESPACE)]);
        expect(findings().map((f) => f.problem)).to.deep.equal([
            `ValidatingAdmissionPolicyBinding ${trialAdmissionName(NAMESPACE)} is missing: the policy is not in force; run pulumi up`,
        ]);
        ws.pulumiOk(["up", "--yes", "--skip-preview", "--refresh", "-s", STACK, ...ws.policyArgs("dev")]);
        expect(findings()).to.deep.equal([]);
    });

    it("refuses bad arguments with exit 2", () => {
        const unknownStack = run("npx", ["ts-node", "--transpile-only", "scripts/audit/cli.ts", "staging"], {
            env: ws.env,
        });
        expect(unknownStack.status).to.equal(2);
        expect(unknownStack.stderr).to.contain('unknown stack "staging"').and.contain("usage: npm run audit");
        const option = audit("--fix");
        expect(option.status).to.equal(2);
        expect(option.stderr).to.contain("unknown option --fix");
    });
});
