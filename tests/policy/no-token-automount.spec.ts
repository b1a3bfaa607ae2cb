import { expect } from "chai";
import { noTokenAutomount } from "../../policy/policies/no-token-automount";
import { checkStack, firing, NS, roleBinding, serviceAccount, podSpecOf, WORKLOADS } from "./fixtures";

const NAME = "no-token-automount";

function withoutAutomount(make: () => ReturnType<typeof WORKLOADS.Pod>) {
    const workload = make();
    delete podSpecOf(workload).automountServiceAccountToken;
    return workload;
}

describe(NAME, () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        it(`${kind}: passes with automount off, fails with the token mounted and no API access`, () => {
            expect(checkStack(noTokenAutomount, [make()])).to.deep.equal([]);
            const workload = withoutAutomount(make);
            expect(checkStack(noTokenAutomount, [workload])[0].message).to.include('"app"');
            expect(firing([workload])).to.deep.equal([NAME]);
        });
    }

    it("fails automountServiceAccountToken: true explicitly", () => {
        const workload = WORKLOADS.Deployment();
        podSpecOf(workload).automountServiceAccountToken = true;
        expect(checkStack(noTokenAutomount, [workload])).to.have.length(1);
    });

    it("passes when the ServiceAccount turns automount off", () => {
        expect(
            checkStack(noTokenAutomount, [withoutAutomount(WORKLOADS.Deployment), serviceAccount("app", false)]),
        ).to.deep.equal([]);
        expect(
            checkStack(noTokenAutomount, [withoutAutomount(WORKLOADS.Deployment), serviceAccount("app")]),
        ).to.have.length(1);
    });

    it("passes a workload whose ServiceAccount a binding grants API access", () => {
        expect(
            checkStack(noTokenAutomount, [withoutAutomount(WORKLOADS.Deployment), roleBinding("app")]),
        ).to.deep.equal([]);
        expect(
            checkStack(noTokenAutomount, [withoutAutomount(WORKLOADS.Deployment), roleBinding("other")]),
        ).to.have.length(1);
    });

    it("counts a binding to the namespace's service-account group", () => {
        const binding = roleBinding("x");
        binding.subjects = [{ kind: "Group", name: `system:serviceaccounts:${NS}` }];
        expect(checkStack(noTokenAutomount, [withoutAutomount(WORKLOADS.Deployment), binding])).to.deep.equal([]);
    });

    it("treats a pod without serviceAccountName as running as default", () => {
        const workload = withoutAutomount(WORKLOADS.Pod);
        delete podSpecOf(workload).serviceAccountName;
        expect(checkStack(noTokenAutomount, [workload])[0].message).to.include('"default"');
    });

    it("accepts ServiceAccounts bound outside the stack from config", () => {
        const workload = withoutAutomount(WORKLOADS.Job);
        expect(checkStack(noTokenAutomount, [workload], { apiAccessServiceAccounts: [`${NS}/app`] })).to.deep.equal([]);
        expect(checkStack(noTokenAutomount, [workload], { apiAccessServiceAccounts: ["app"] })).to.deep.equal([]);
    });
});
