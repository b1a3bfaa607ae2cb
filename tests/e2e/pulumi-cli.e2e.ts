// The real Pulumi CLI on the project's own files: it validates Pulumi.yaml's typed config and
// each committed stack file before it runs anything. That step needs no plugins, so it runs
// here even though the language host and providers cannot be built (README, "The real
// Pulumi engine"); it caught a secret declaration the engine refused for every stack.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { PulumiWorkspace, REPO_ROOT } from "./support";

/** Past config validation, a run either succeeds or stops at a plugin this machine lacks. */
const MISSING_PLUGIN = /no language plugin 'pulumi-language-nodejs' found|no resource plugin/;

describe("the real Pulumi CLI on the project files", function () {
    this.timeout(5 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-cli-"));
    let ws: PulumiWorkspace;

    before(() => {
        for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "package.json", "index.ts"]) {
            fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
        }
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
        ws = new PulumiWorkspace(dir);
    });
    after(() => {
        ws.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const stack of ["dev", "prod"]) {
        it(`accepts Pulumi.yaml and Pulumi.${stack}.yaml`, () => {
            ws.initStack(stack, undefined);
            const r = ws.pulumi(["preview", "-s", stack]);
            expect(r.output).to.not.match(/validating stack config|project file|Pulumi\.yaml/i);
            if (r.status !== 0) {
                expect(r.output, r.output).to.match(MISSING_PLUGIN);
            }
        });
    }

    it("refuses a mistyped value before running the program", () => {
        ws.config("dev", "abevalflow:quotaPods", "many");
        const r = ws.pulumi(["preview", "-s", "dev"]);
        expect(r.status).to.not.equal(0);
        expect(r.output).to.contain("configuration key 'quotaPods' must be of type 'integer'");
        ws.config("dev", "abevalflow:quotaPods", "20");
    });

    it("accepts the Vertex credentials only as the secret the program requires", () => {
        ws.config("dev", "abevalflow:litellmVertexCredentials", "{\"type\":\"service_account\"}", true);
        const r = ws.pulumi(["preview", "-s", "dev"]);
        expect(r.output).to.not.match(/validating stack config/);
        const stackFile = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        expect(stackFile).to.match(/abevalflow:litellmVertexCredentials:\s*\n\s*secure:/);
    });
});
