import { expect } from "chai";
import { covers, isEmptySelector, selects } from "../../policy/lib/selectors";

describe("label selectors", () => {
    it("selects by matchLabels and every matchExpressions operator", () => {
        const labels = { app: "proxy", tier: "web" };
        expect(selects({ matchLabels: { app: "proxy" } }, labels)).to.equal(true);
        expect(selects({ matchLabels: { app: "other" } }, labels)).to.equal(false);
        expect(
            selects({ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] }, labels),
        ).to.equal(true);
        expect(selects({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, labels)).to.equal(
            false,
        );
        expect(selects({ matchExpressions: [{ key: "app", operator: "Exists" }] }, labels)).to.equal(true);
        expect(selects({ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }, labels)).to.equal(true);
        expect(selects({}, labels)).to.equal(true);
    });

    it("selects nothing with a missing or unreadable selector", () => {
        expect(selects(undefined, {})).to.equal(false);
        expect(selects({ matchExpressions: [{ key: "a", operator: "Near" }] }, { a: "1" })).to.equal(false);
    });

    it("tells an empty selector from a missing one", () => {
        expect(isEmptySelector({})).to.equal(true);
        expect(isEmptySelector({ matchLabels: {} })).to.equal(true);
        expect(isEmptySelector(undefined)).to.equal(false);
        expect(isEmptySelector({ matchLabels: { a: "b" } })).to.equal(false);
    });

    it("decides coverage conservatively", () => {
        const trial = { matchLabels: { "abevalflow/role": "trial" } };
        expect(covers({}, trial)).to.equal(true);
        expect(covers(trial, trial)).to.equal(true);
        expect(covers(trial, { matchLabels: { "abevalflow/role": "trial", gpu: "yes" } })).to.equal(true);
        expect(covers({ matchLabels: { "abevalflow/role": "trial", gpu: "yes" } }, trial)).to.equal(false);
        expect(
            covers({ matchExpressions: [{ key: "abevalflow/role", operator: "In", values: ["trial", "x"] }] }, trial),
        ).to.equal(true);
        expect(
            covers({ matchExpressions: [{ key: "abevalflow/role", operator: "NotIn", values: ["x"] }] }, trial),
        ).to.equal(true);
        expect(covers(trial, {})).to.equal(false);
        expect(covers(trial, undefined)).to.equal(false);
    });
});
