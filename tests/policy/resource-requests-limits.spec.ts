import { expect } from "chai";
import { resourceRequestsLimits } from "../../policy/policies/resource-requests-limits";
import { checkResource, container, firing, firstContainer, podSpecOf, WORKLOADS } from "./fixtures";

const NAME = "resource-requests-limits";

describe(NAME, () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        it(`${kind}: passes requests and limits, fails their absence`, () => {
            expect(checkResource(resourceRequestsLimits, make())).to.deep.equal([]);
            const workload = make();
            delete firstContainer(workload).resources;
            expect(checkResource(resourceRequestsLimits, workload)).to.deep.equal([
                'container "app" has no requests for cpu, memory and no limits for cpu, memory',
            ]);
            expect(firing([workload])).to.deep.equal([NAME]);
        });
    }

    it("fails a missing memory limit alone", () => {
        const workload = WORKLOADS.Deployment();
        firstContainer(workload).resources = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } };
        expect(checkResource(resourceRequestsLimits, workload)).to.deep.equal([
            'container "app" has no limits for memory',
        ]);
    });

    it("checks init containers but not ephemeral ones, which cannot declare resources", () => {
        const workload = WORKLOADS.Pod();
        const init = container("setup");
        delete init.resources;
        podSpecOf(workload).initContainers = [init];
        podSpecOf(workload).ephemeralContainers = [{ ...container("debug"), resources: undefined }];
        expect(checkResource(resourceRequestsLimits, workload)).to.have.length(1);
        expect(checkResource(resourceRequestsLimits, workload)[0]).to.include('initContainers/"setup"');
    });

    it("takes the required resources from config", () => {
        const workload = WORKLOADS.Deployment();
        firstContainer(workload).resources = { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } };
        expect(checkResource(resourceRequestsLimits, workload, { requiredLimits: ["memory"] })).to.deep.equal([]);
    });
});
