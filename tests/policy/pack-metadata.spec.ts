import { expect } from "chai";
import devConfig from "../../policy/config/dev.json";
import prodConfig from "../../policy/config/prod.json";
import { PolicyConfigError, resolvePolicies } from "../../policy/checker/config";
import { kindKey, typeMetaOfToken } from "../../policy/lib/k8s";
import { objectOf } from "../../policy/lib/pulumi";
import { validate } from "../../policy/lib/schema";
import { RULES } from "../../policy/policies";

// The review's own defects (DNS on port 53 only, pruning by count) block in every stack too.
const MANDATORY_EVERYWHERE = [
    "pinned-images",
    "scoped-secret-access",
    "default-deny-plus-allow",
    "dedicated-service-account",
    "dns-egress-ports",
    "prune-by-age",
];

describe("the policy pack's metadata and configs", () => {
    it("names each policy uniquely, in the form Pulumi accepts", () => {
        const names = RULES.map((r) => r.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const name of names) {
            expect(name).to.match(/^[a-z0-9-]{1,100}$/);
        }
    });

    for (const rule of RULES) {
        it(`${rule.name}: has a description, remediation, and a schema whose defaults are the rule's defaults`, () => {
            expect(rule.description.length).to.be.greaterThan(20);
            expect(rule.remediationSteps.length).to.be.greaterThan(20);
            const schemaDefaults = Object.fromEntries(
                Object.entries(rule.configSchema.properties).map(([k, s]) => [k, s.default]),
            );
            expect(schemaDefaults).to.deep.equal(rule.defaults);
            for (const [key, schema] of Object.entries(rule.configSchema.properties)) {
                expect(schema.description, key).to.be.a("string");
                expect(validate(schema.default, schema, key), key).to.deep.equal([]);
            }
        });
    }

    it("dev: the issue's mandatory rules block, the rest advise", () => {
        const levels = Object.fromEntries(
            resolvePolicies(RULES, devConfig, "dev.json").map((p) => [p.rule.name, p.level]),
        );
        for (const rule of RULES) {
            expect(levels[rule.name], rule.name).to.equal(
                MANDATORY_EVERYWHERE.includes(rule.name) ? "mandatory" : "advisory",
            );
        }
    });

    it("prod: every rule blocks", () => {
        expect(resolvePolicies(RULES, prodConfig, "prod.json").map((p) => p.level)).to.deep.equal(
            RULES.map(() => "mandatory"),
        );
    });

    it("the policies' own default levels match dev", () => {
        for (const rule of RULES) {
            expect(rule.enforcementLevel, rule.name).to.equal(
                MANDATORY_EVERYWHERE.includes(rule.name) ? "mandatory" : "advisory",
            );
        }
    });

    it("rejects an unknown policy, a bad level and a mistyped setting, naming each", () => {
        const bad = {
            "pinned-image": "mandatory",
            all: "strict",
            "default-deny-plus-allow": { dnsPorts: ["53"], dnsNamespce: "x" },
        };
        expect(() => resolvePolicies(RULES, bad, "bad.json"))
            .to.throw(PolicyConfigError)
            .with.property("message")
            .that.includes('"pinned-image" is not a policy')
            .and.includes("all must be one of advisory, mandatory, remediate, disabled")
            .and.includes("default-deny-plus-allow.dnsPorts[0] must be integer")
            .and.includes("default-deny-plus-allow.dnsNamespce is not a setting");
    });

    it("applies `all` under each policy's own entry", () => {
        const levels = resolvePolicies(RULES, { all: "disabled", "pinned-images": "advisory" }, "x").map(
            (p) => p.level,
        );
        expect(levels[0]).to.equal("advisory");
        expect(levels.slice(1)).to.satisfy((l: string[]) => l.every((x) => x === "disabled"));
    });
});

describe("Pulumi type tokens", () => {
    it("map to apiVersion and kind", () => {
        expect(typeMetaOfToken("kubernetes:core/v1:Pod")).to.deep.equal({ apiVersion: "v1", kind: "Pod" });
        expect(typeMetaOfToken("kubernetes:rbac.authorization.k8s.io/v1:Role")).to.deep.equal({
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
        });
        expect(typeMetaOfToken("abevalflow:security:Security")).to.equal(undefined);
        expect(typeMetaOfToken("kubernetes:yaml/v2:ConfigGroup")).to.deep.equal({
            apiVersion: "yaml/v2",
            kind: "ConfigGroup",
        });
        expect(kindKey("apps/v1", "Deployment")).to.equal("Deployment.apps");
        expect(kindKey("v1", "Pod")).to.equal("Pod");
    });

    it("complete properties that lack apiVersion and kind", () => {
        expect(objectOf("kubernetes:batch/v1:Job", { metadata: { name: "x" } })).to.deep.equal({
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "x" },
        });
        expect(objectOf("random:index/randomPassword:RandomPassword", {})).to.equal(undefined);
    });
});
