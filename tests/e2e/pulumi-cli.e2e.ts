// The real Pulumi CLI on the project's own files, copied as a user would check them out and
// built as `npm ci` builds them: it validates Pulumi.yaml's typed config and each committed
// stack file before it runs anything (this caught a secret declaration the engine refused for
// every stack), then previews the committed stacks unchanged, with no local-only setting.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { build } from "../../scripts/build/build";
import { runProgram, stackConfig } from "../../scripts/engine/program-run";
import { PulumiWorkspace, REPO_ROOT } from "./support";

describe("the real Pulumi CLI on the project files", function () {
    this.timeout(5 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-cli-"));
    let ws: PulumiWorkspace;

    before(() => {
        for (const file of [
            "Pulumi.yaml",
            "Pulumi.dev.yaml",
            "Pulumi.prod.yaml",
            "package.json",
            "tsconfig.json",
            "tsconfig.build.json",
            "index.ts",
        ]) {
            fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
        }
        for (const folder of ["components", "common", "cleanup", "litellm", "policy"]) {
            fs.cpSync(path.join(REPO_ROOT, folder), path.join(dir, folder), {
                recursive: true,
                filter: (src) =>
                    !path
                        .relative(REPO_ROOT, src)
                        .split(path.sep)
                        .some((part) => part === "node_modules" || part === "bin"),
            });
        }
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
        build(dir);
        ws = new PulumiWorkspace(dir);
    });
    after(() => {
        ws.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const stack of ["dev", "prod"]) {
        it(`accepts Pulumi.yaml and Pulumi.${stack}.yaml`, async () => {
            // The one cluster-specific value: the local control plane publishes no endpoints for
            // the kubernetes Service, which the cleanup's egress policy would otherwise read.
            ws.initStack(stack, undefined);
            const file = path.join(dir, `Pulumi.${stack}.yaml`);
            const doc =
                ((fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) : null) as {
                    config?: Record<string, unknown>;
                } | null) ?? {};
            doc.config = { ...doc.config, "abevalflow:apiServerCidrs": ["127.0.0.1/32"] };
            fs.writeFileSync(file, YAML.stringify(doc));
            const r = ws.pulumi(["preview", "-s", stack]);
            expect(r.status, r.output).to.equal(0);
            expect(r.output).to.not.match(/validating stack config|project file|warning/i);
            expect(r.output).to.match(
                new RegExp(`\\+ ${(await runProgram(stackConfig(stack))).resources.length + 1} to create`),
            );
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
        ws.config("dev", "abevalflow:litellmVertexCredentials", '{"type":"service_account"}', { secret: true });
        const r = ws.pulumi(["preview", "-s", "dev"]);
        expect(r.output).to.not.match(/validating stack config/);
        const stackFile = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        expect(stackFile).to.match(/abevalflow:litellmVertexCredentials:\s*\n\s*secure:/);
    });
});
