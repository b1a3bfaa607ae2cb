import { expect } from "chai";
import { replicatedDeploymentPdb } from "../../policy/policies/replicated-deployment-pdb";
import { checkStack, deployment, firing, pdb } from "./fixtures";

const NAME = "replicated-deployment-pdb";
const LABELS = { "app.kubernetes.io/name": "proxy" };

describe(NAME, () => {
    it("passes a replicated Deployment with a PDB that allows one eviction", () => {
        const objects = [deployment("proxy", 2), pdb(LABELS)];
        expect(checkStack(replicatedDeploymentPdb, objects)).to.deep.equal([]);
        expect(firing(objects)).to.deep.equal([]);
    });

    it("passes a single-replica Deployment without a PDB", () => {
        expect(checkStack(replicatedDeploymentPdb, [deployment("proxy", 1)])).to.deep.equal([]);
    });

    it("fails a replicated Deployment without a PDB", () => {
        const objects = [deployment("proxy", 3)];
        expect(checkStack(replicatedDeploymentPdb, objects)[0].message).to.include("runs 3 replicas");
        expect(firing(objects)).to.deep.equal([NAME]);
    });

    it("fails when the PDB selects other pods or sits in another namespace", () => {
        expect(checkStack(replicatedDeploymentPdb, [deployment("proxy", 2), pdb({ app: "other" })])).to.have.length(1);
        const elsewhere = pdb(LABELS);
        elsewhere.metadata = { name: "proxy", namespace: "other" };
        expect(checkStack(replicatedDeploymentPdb, [deployment("proxy", 2), elsewhere])).to.have.length(1);
    });

    for (const [label, budget] of [
        ["maxUnavailable: 0", { maxUnavailable: 0 }],
        ["minAvailable equal to replicas", { minAvailable: 2 }],
        ["minAvailable: 100%", { minAvailable: "100%" }],
    ] as const) {
        it(`fails a PDB with ${label}, which blocks node drains`, () => {
            const objects = [deployment("proxy", 2), pdb(LABELS, budget)];
            const findings = checkStack(replicatedDeploymentPdb, objects);
            expect(findings.map((f) => f.subject?.kind)).to.deep.equal(["PodDisruptionBudget"]);
            expect(firing(objects)).to.deep.equal([NAME]);
        });
    }

    it("takes the replica threshold from config", () => {
        expect(checkStack(replicatedDeploymentPdb, [deployment("proxy", 2)], { minReplicas: 3 })).to.deep.equal([]);
    });
});
