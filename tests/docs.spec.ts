import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { regenerate, staleFiles } from "../scripts/docs/generate";
import { declarations } from "../components/config";
import { policyConfigDrift, policyConfigFiles, regeneratePolicyConfig } from "../scripts/docs/policy-config";
import { configKeys } from "../scripts/docs/sections";
import { REPO_ROOT } from "./harness";

describe("generated docs", () => {
    it("match what `npm run docs` produces", async () => {
        expect(await staleFiles(), "run `npm run docs` and commit the result").to.deep.equal([]);
    });

    it("list every config key", () => {
        const table = configKeys();
        for (const key of Object.keys(declarations())) {
            expect(table).to.contain(`| \`${key}\` |`);
        }
    });

    it("detect a hand edit inside a generated section", async () => {
        const text = "x\n<!-- BEGIN GENERATED: config-keys -->\nhand-written\n<!-- END GENERATED: config-keys -->\n";
        expect(await regenerate(text, "t.md")).to.not.equal(text);
        let error: Error | undefined;
        await regenerate("<!-- BEGIN GENERATED: nope -->\n<!-- END GENERATED: nope -->", "t.md").catch((e: Error) => (error = e));
        expect(error?.message).to.match(/unknown generated section "nope"/);
    });

    it("keep the policy configs' stack settings equal to what the stack files give", () => {
        expect(policyConfigFiles()).to.deep.equal(["policy/config/dev.json", "policy/config/prod.json"]);
        for (const file of policyConfigFiles()) {
            expect(policyConfigDrift(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"), file), "run `npm run docs`").to.deep.equal([]);
        }
    });

    it("name the setting and both values when a policy config is edited by hand", () => {
        const file = "policy/config/prod.json";
        const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
        const edited = text.replace('"dnsNamespace": "openshift-dns"', '"dnsNamespace": "kube-system"');
        expect(edited).to.not.equal(text);
        expect(policyConfigDrift(edited, file)).to.deep.equal([`${file}: default-deny-plus-allow.dnsNamespace is "kube-system", `
            + 'but abevalflow:dnsNamespace in Pulumi.prod.yaml (or its default in Pulumi.yaml) gives "openshift-dns"']);
        expect(regeneratePolicyConfig(edited, file)).to.equal(text);
    });
});
