import { expect } from "chai";
import { dedicatedServiceAccount } from "../../policy/policies/dedicated-service-account";
import { checkResource, firing, podSpecOf, WORKLOADS } from "./fixtures";

const NAME = "dedicated-service-account";

describe(NAME, () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        it(`${kind}: passes its own ServiceAccount, fails the pipeline's`, () => {
            expect(checkResource(dedicatedServiceAccount, make())).to.deep.equal([]);
            const workload = make();
            podSpecOf(workload).serviceAccountName = "pipeline";
            expect(checkResource(dedicatedServiceAccount, workload)[0]).to.include('"pipeline"');
            expect(firing([workload])).to.deep.equal([NAME]);
        });
    }

    it("reads the deprecated serviceAccount field too", () => {
        const workload = WORKLOADS.Deployment();
        delete podSpecOf(workload).serviceAccountName;
        podSpecOf(workload).serviceAccount = "builder";
        expect(checkResource(dedicatedServiceAccount, workload)[0]).to.include('"builder"');
    });

    it("takes the reserved names from config", () => {
        const workload = WORKLOADS.Pod();
        podSpecOf(workload).serviceAccountName = "pipeline";
        expect(
            checkResource(dedicatedServiceAccount, workload, { reservedServiceAccounts: ["root-like"] }),
        ).to.deep.equal([]);
    });
});
