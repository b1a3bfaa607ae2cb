// The table of LLM modes (components/llmModes.ts) against what its type cannot say: that the
// program registers each mode's allow policy under the table's name and no other mode's, that
// the names are distinct, that every mode reaches the README, Pulumi.yaml's description of
// llmMode and only declared keys. The reachability rows per mode are held in
// tests/reachability.spec.ts, the modes' policies of the old layout in tests/migrate-plan.spec.ts.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { declarations } from "../components/config";
import { llmMode, TRIAL_ALLOW_POLICIES } from "../components/llmModes";
import { dns1123Subdomain } from "../components/validation";
import { llmModes } from "../scripts/docs/sections";
import { field, LLM_MODES, ofType, REPO_ROOT, runProgram, withMode } from "./harness";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("LLM modes (components/llmModes.ts)", () => {
    it("give each mode an allow policy of its own, under a valid object name", () => {
        expect(new Set(TRIAL_ALLOW_POLICIES).size, TRIAL_ALLOW_POLICIES.join(", ")).to.equal(LLM_MODES.length);
        for (const mode of LLM_MODES) {
            expect(dns1123Subdomain(llmMode(mode).allowPolicy), mode).to.equal(undefined);
        }
    });

    for (const mode of LLM_MODES) {
        it(`${mode}: the program registers the mode's allow policy under the table's name, and no other mode's`, async () => {
            const run = await runProgram(withMode("dev", mode));
            const names = ofType(run, NETPOL).map((p) => String(field(p, "metadata", "name")));
            expect(names.filter((name) => TRIAL_ALLOW_POLICIES.includes(name))).to.deep.equal([
                llmMode(mode).allowPolicy,
            ]);
            expect(run.outputs.networkPolicies).to.include(llmMode(mode).allowPolicy);
        });
    }

    it("each have a row in the README's mode table, with the allow policy and the mode's cell", async () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const table = await llmModes();
        for (const mode of LLM_MODES) {
            const row = `| \`${mode}\` | \`${llmMode(mode).allowPolicy}\` | ${llmMode(mode).readme} |`;
            expect(table, mode).to.contain(row);
            expect(readme, `README.md lacks the row of ${mode}; run npm run docs`).to.contain(row);
        }
    });

    it("name only declared config keys in their README cells", () => {
        for (const mode of LLM_MODES) {
            const named = [...llmMode(mode).readme.matchAll(/`([a-z][A-Za-z0-9]*)`/g)].map((m) => m[1]);
            for (const key of named) {
                expect(declarations(), `${mode}'s README cell names ${key}`).to.have.property(key);
            }
        }
    });

    it("are each named in Pulumi.yaml's description of llmMode", () => {
        const description = declarations().llmMode.description;
        for (const mode of LLM_MODES) {
            expect(description, `Pulumi.yaml, llmMode: describe ${mode}`).to.contain(mode);
        }
    });
});
