import { expect } from "chai";
import { regenerate, staleFiles } from "../scripts/docs/generate";
import { declarations } from "../components/config";
import { configKeys } from "../scripts/docs/sections";

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
});
