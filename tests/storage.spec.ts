import { expect } from "chai";
import { VOLUMES } from "../components/names";
import { field, named, ofType, runProgram, stackConfig, withMode } from "./harness";

const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

describe("storage slice", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: workspace and dead-letter claims are retained on delete and aliased`, async () => {
            const run = await runProgram(stackConfig(stack));
            const claims = ofType(run, PVC);
            expect(claims.map((c) => field(c, "metadata", "name"))).to.have.members([
                VOLUMES.workspace,
                VOLUMES.deadLetter,
            ]);
            for (const claim of claims) {
                expect(claim.opts.retainOnDelete, claim.name).to.equal(true);
                expect(claim.opts.aliases, claim.name).to.have.length(1);
                expect(claim.opts.protect, claim.name).to.equal(stack === "prod");
                expect(field(claim, "metadata", "annotations"), claim.name).to.include({
                    "helm.sh/resource-policy": "keep",
                });
            }
        });
    }

    it("takes size, class and access mode per stack", async () => {
        const run = await runProgram(
            withMode("dev", "litellm", {
                workspaceSize: "42Gi",
                workspaceStorageClass: "ocs-storagecluster-cephfs",
                workspaceAccessMode: "ReadWriteMany",
            }),
        );
        const workspace = named(run, PVC, VOLUMES.workspace);
        expect(field(workspace, "spec")).to.deep.equal({
            accessModes: ["ReadWriteMany"],
            storageClassName: "ocs-storagecluster-cephfs",
            resources: { requests: { storage: "42Gi" } },
        });
        const deadLetter = named(run, PVC, VOLUMES.deadLetter);
        expect(field(deadLetter, "spec", "storageClassName")).to.equal(undefined);
        expect(field(deadLetter, "spec", "resources")).to.deep.equal({ requests: { storage: "1Gi" } });
    });

    it("skips the provider's bind wait only for claims a stack adopts bound (adoptExistingVolumes), and never forces a field", async () => {
        const adopted = await runProgram(withMode("dev", "litellm", { adoptExistingVolumes: true }));
        for (const claim of ofType(adopted, PVC)) {
            expect(field(claim, "metadata", "annotations"), claim.name).to.deep.equal({
                "helm.sh/resource-policy": "keep",
                "pulumi.com/patchFieldManager": "abevalflow",
                "pulumi.com/skipAwait": "true",
            });
        }

        const run = await runProgram(withMode("dev", "litellm", { adoptExistingVolumes: false }));
        for (const claim of ofType(run, PVC)) {
            expect(field(claim, "metadata", "annotations"), claim.name).to.deep.equal({
                "helm.sh/resource-policy": "keep",
                "pulumi.com/patchFieldManager": "abevalflow",
            });
        }
    });
});
