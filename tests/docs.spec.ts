import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
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
        await regenerate("<!-- BEGIN GENERATED: nope -->\n<!-- END GENERATED: nope -->", "t.md").catch(
            (e: Error) => (error = e),
        );
        expect(error?.message).to.match(/unknown generated section "nope"/);
    });

    it("put Pulumi.yaml's config block between its comment markers, leaving the rest of the file as written", async () => {
        const text = "name: x\n# why\n# BEGIN GENERATED: project-config\nconfig: {}\n# END GENERATED: project-config\n";
        const next = await regenerate(text, "Pulumi.yaml");
        expect(
            next.startsWith("name: x\n# why\n# BEGIN GENERATED: project-config\nconfig:\n  # --- identity ---"),
        ).to.equal(true);
        expect(next.endsWith("\n# END GENERATED: project-config\n")).to.equal(true);
        expect(Object.keys((YAML.parse(next) as { config: object }).config)).to.deep.equal(Object.keys(declarations()));
        expect(await regenerate(text, "t.md"), "a Markdown file's markers are HTML comments").to.equal(text);
    });

    it("keep the policy configs' stack settings equal to what the stack files give", () => {
        expect(policyConfigFiles()).to.deep.equal(["policy/config/dev.json", "policy/config/prod.json"]);
        for (const file of policyConfigFiles()) {
            expect(
                policyConfigDrift(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"), file),
                "run `npm run docs`",
            ).to.deep.equal([]);
        }
    });

    it("name the setting and both values when a policy config is edited by hand", () => {
        const file = "policy/config/prod.json";
        const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
        const edited = text.replace('"dnsNamespace": "openshift-dns"', '"dnsNamespace": "kube-system"');
        expect(edited).to.not.equal(text);
        expect(policyConfigDrift(edited, file)).to.deep.equal([
            `${file}: default-deny-plus-allow.dnsNamespace is "kube-system", ` +
                'but abevalflow:dnsNamespace in Pulumi.prod.yaml (or its default in Pulumi.yaml) gives "openshift-dns"',
        ]);
        expect(regeneratePolicyConfig(edited, file)).to.equal(text);
    });
});
