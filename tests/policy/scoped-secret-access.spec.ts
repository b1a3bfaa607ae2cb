import { expect } from "chai";
import { scopedSecretAccess } from "../../policy/policies/scoped-secret-access";
import { checkResource, clusterRole, clusterRoleBinding, firing, role, roleBinding } from "./fixtures";

const scopedGet = { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["db-credentials"] };

describe("scoped-secret-access", () => {
    it("passes a Role that gets named secrets only", () => {
        expect(checkResource(scopedSecretAccess, role([scopedGet, { apiGroups: [""], resources: ["pods"], verbs: ["*"] }]))).to.deep.equal([]);
    });

    it("passes rules that do not reach secrets", () => {
        expect(checkResource(scopedSecretAccess, role([{ apiGroups: ["apps"], resources: ["*"], verbs: ["*"] }]))).to.deep.equal([]);
        expect(checkResource(scopedSecretAccess, clusterRole([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]))).to.deep.equal([]);
    });

    for (const [label, rule, why] of [
        ["an unscoped get (the review's Role)", { ...scopedGet, resourceNames: undefined }, /no resourceNames/],
        ["empty resourceNames", { ...scopedGet, resourceNames: [] }, /no resourceNames/],
        ["list", { ...scopedGet, verbs: ["get", "list"] }, /\["get","list"\] on secrets/],
        ["watch", { ...scopedGet, verbs: ["watch"] }, /only "get"/],
        ["a wildcard verb", { ...scopedGet, verbs: ["*"] }, /only "get"/],
        ["a wildcard resource", { ...scopedGet, resources: ["*"], verbs: ["create"] }, /only "get"/],
        ["a wildcard apiGroup", { ...scopedGet, apiGroups: ["*"], verbs: ["update"] }, /only "get"/],
    ] as const) {
        it(`fails a Role with ${label}`, () => {
            const problems = checkResource(scopedSecretAccess, role([rule]));
            expect(problems).to.not.be.empty;
            expect(firing([role([rule])])).to.deep.equal(["scoped-secret-access"]);
            expect(problems.join("\n")).to.match(why);
        });
    }

    it("fails any ClusterRole reaching secrets unless allow-listed", () => {
        const reader = clusterRole([scopedGet], "secret-reader");
        expect(checkResource(scopedSecretAccess, reader)[0]).to.include("cluster-wide");
        expect(checkResource(scopedSecretAccess, reader, { allowedClusterRoles: ["secret-reader"] })).to.deep.equal([]);
    });

    it("fails a ClusterRoleBinding to a built-in secret-reading ClusterRole unless allow-listed", () => {
        const binding = clusterRoleBinding("edit", "ops-edit");
        expect(checkResource(scopedSecretAccess, binding)[0]).to.include('"edit"').and.include("every namespace");
        expect(checkResource(scopedSecretAccess, binding, { allowedClusterRoleBindings: ["ops-edit"] })).to.deep.equal([]);
        expect(checkResource(scopedSecretAccess, clusterRoleBinding("view"))).to.deep.equal([]);
    });

    it("fails a RoleBinding that grants admin in the namespace", () => {
        const binding = roleBinding("app", { kind: "ClusterRole", name: "admin" });
        expect(checkResource(scopedSecretAccess, binding)[0]).to.include("its namespace");
        expect(checkResource(scopedSecretAccess, roleBinding("app"))).to.deep.equal([]);
    });
});
