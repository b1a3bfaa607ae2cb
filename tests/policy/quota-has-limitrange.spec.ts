import { expect } from "chai";
import { quotaHasLimitRange } from "../../policy/policies/quota-has-limitrange";
import { checkStack, firing, limitRange, resourceQuota } from "./fixtures";

const NAME = "quota-has-limitrange";

describe(NAME, () => {
    it("passes a cpu/memory quota beside a LimitRange with container defaults", () => {
        expect(checkStack(quotaHasLimitRange, [resourceQuota(), limitRange()])).to.deep.equal([]);
        expect(firing([resourceQuota(), limitRange()])).to.deep.equal([]);
    });

    it("passes a quota on object counts only", () => {
        expect(checkStack(quotaHasLimitRange, [resourceQuota({ pods: "10" })])).to.deep.equal([]);
    });

    it("fails a cpu/memory quota without a LimitRange", () => {
        expect(checkStack(quotaHasLimitRange, [resourceQuota()])[0].message).to.include("requests.cpu, limits.memory");
        expect(firing([resourceQuota()])).to.deep.equal([NAME]);
    });

    it("fails a LimitRange that supplies requests but no limits", () => {
        const partial = limitRange({ type: "Container", defaultRequest: { cpu: "100m", memory: "1Gi" } });
        expect(checkStack(quotaHasLimitRange, [resourceQuota(), partial])[0].message)
            .to.include("limits.memory")
            .and.not.include("requests.cpu");
    });

    it("ignores LimitRange entries for pods or claims", () => {
        const podLevel = limitRange({ type: "Pod", max: { cpu: "4" }, default: { memory: "1Gi" } });
        expect(checkStack(quotaHasLimitRange, [resourceQuota(), podLevel])).to.have.length(1);
    });
});
