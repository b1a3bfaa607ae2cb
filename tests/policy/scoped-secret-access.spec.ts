import { expect } from "chai";
import { scopedSecretAccess } from "../../policy/policies/scoped-secret-access";
import { checkResource, clusterRole, clusterRoleBinding, firing, role, roleBinding } from "./fixtures";

const scopedGet = { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["db-credentials"] };

describe("scoped-secret-access", () => {
    it("passes a Role that gets named secrets only", () => {
        expect(
            checkResource(
                scopedSecretAccess,
                role([scopedGet, { apiGroups: [""], resources: ["pods"], verbs: ["*"] }]),
            ),
        ).to.deep.equal([]);
    });

    it("passes rules that do not reach secrets", () => {
        expect(
            checkResource(scopedSecretAccess, role([{ apiGroups: ["apps"], resources: ["*"], verbs: ["*"] }])),
        ).to.deep.equal([]);
        expect(
            checkResource(
                scopedSecretAccess,
                clusterRole([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]),
            ),
        ).to.deep.equal([]);
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
            expect(problems).to.not.have.lengthOf(0);
            expect(firing([role([rule])])).to.deep.equal(["scoped-secret-access"]);
            expect(problems.join("\n")).to.match(why);
        });
    }

    describe("fails a rule it cannot read instead of passing it", () => {
        for (const [label, rule, why] of [
            [
                "verbs as a string",
                { ...scopedGet, verbs: "*" },
                /rules\[0\]\.verbs is the string "\*", not a list of strings/,
            ],
            [
                "resources as a string",
                { apiGroups: [""], resources: "secrets", verbs: ["list"] },
                /rules\[0\]\.resources is the string "secrets", not a list of strings/,
            ],
            [
                "apiGroups as a string",
                { ...scopedGet, apiGroups: "", verbs: ["list"] },
                /rules\[0\]\.apiGroups is the string "", not a list/,
            ],
            [
                "resourceNames as a string",
                { ...scopedGet, resourceNames: "db-credentials" },
                /rules\[0\]\.resourceNames is the string "db-credentials"/,
            ],
            [
                "a verb that is not a string",
                { ...scopedGet, verbs: ["get", 7] },
                /rules\[0\]\.verbs is a list holding a number/,
            ],
        ] as const) {
            it(`a Role with ${label}`, () => {
                const problems = checkResource(scopedSecretAccess, role([rule]));
                expect(problems).to.have.length(1);
                expect(problems[0]).to.match(why).and.include("cannot be checked");
                expect(firing([role([rule])])).to.deep.equal(["scoped-secret-access"]);
            });
        }

        it("a Role whose rules is one rule rather than a list, or whose rule is not an object", () => {
            const single = role([]);
            single.rules = { apiGroups: [""], resources: ["secrets"], verbs: ["list"] };
            expect(checkResource(scopedSecretAccess, single)).to.deep.equal([
                'rules is an object ({"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}), not a list of rules, so what it grants cannot be checked',
            ]);
            const odd = role([scopedGet]);
            (odd.rules as unknown[]).push("secrets:list");
            expect(checkResource(scopedSecretAccess, odd)).to.deep.equal([
                'rules[1] is the string "secrets:list", not a rule, so what it grants cannot be checked',
            ]);
        });

        it("a ClusterRole with resources as a string, unless allow-listed", () => {
            const reader = clusterRole([{ apiGroups: [""], resources: "secrets", verbs: ["get"] }], "secret-reader");
            expect(checkResource(scopedSecretAccess, reader)[0]).to.match(
                /rules\[0\]\.resources is the string "secrets"/,
            );
            expect(checkResource(scopedSecretAccess, reader, { allowedClusterRoles: ["secret-reader"] })).to.deep.equal(
                [],
            );
        });

        it("while absent lists still read as empty", () => {
            expect(
                checkResource(
                    scopedSecretAccess,
                    role([{ apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: null }]),
                ),
            ).to.deep.equal([]);
            expect(checkResource(scopedSecretAccess, role([]))).to.deep.equal([]);
        });
    });

    it("fails any ClusterRole reaching secrets unless allow-listed", () => {
        const reader = clusterRole([scopedGet], "secret-reader");
        expect(checkResource(scopedSecretAccess, reader)[0]).to.include("cluster-wide");
        expect(checkResource(scopedSecretAccess, reader, { allowedClusterRoles: ["secret-reader"] })).to.deep.equal([]);
    });

    it("fails a ClusterRoleBinding to a built-in secret-reading ClusterRole unless allow-listed", () => {
        const binding = clusterRoleBinding("edit", "ops-edit");
        expect(checkResource(scopedSecretAccess, binding)[0]).to.include('"edit"').and.include("every namespace");
        expect(checkResource(scopedSecretAccess, binding, { allowedClusterRoleBindings: ["ops-edit"] })).to.deep.equal(
            [],
        );
        expect(checkResource(scopedSecretAccess, clusterRoleBinding("view"))).to.deep.equal([]);
    });

    it("fails a RoleBinding that grants admin in the namespace", () => {
        const binding = roleBinding("app", { kind: "ClusterRole", name: "admin" });
        expect(checkResource(scopedSecretAccess, binding)[0]).to.include("its namespace");
        expect(checkResource(scopedSecretAccess, roleBinding("app"))).to.deep.equal([]);
    });
});
