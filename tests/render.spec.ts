// The program's own objects, rendered as plain manifests, pass every rule of the policy
// pack at prod strength (advisory rules made mandatory), in every stack and mode: the
// offline checker and the program agree.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { LLM_MODES } from "../components/config";
import { resolvePolicies } from "../policy/checker/config";
import { checkSubjects } from "../policy/checker/engine";
import { RULES } from "../policy/policies";
import { forPeople, Manifest, manifestsOf, NOT_SHOWN, toYaml } from "../scripts/render/manifests";
import { REPO_ROOT, runProgram, stackConfig, withMode } from "./harness";

const prodPolicies = () =>
    resolvePolicies(
        RULES,
        JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy/config/prod.json"), "utf8")),
        "policy/config/prod.json",
    );

describe("rendered manifests", () => {
    for (const stack of ["dev", "prod"]) {
        for (const mode of LLM_MODES) {
            it(`${stack}/${mode}: pass every policy at prod strength`, async () => {
                const manifests = manifestsOf(await runProgram(withMode(stack, mode)));
                const violations = checkSubjects(
                    manifests.map((m) => ({ object: m })),
                    prodPolicies(),
                );
                expect(violations.map((v) => `${v.policy} ${v.kind}/${v.name}: ${v.message}`)).to.deep.equal([]);
            });
        }
    }

    it("printed for people: a header that says it is not deployable, and no Secret value, mock or not", async () => {
        const manifests = manifestsOf(await runProgram(withMode("dev", "litellm")));
        const mockKey = JSON.stringify(manifests.filter((m) => m.kind === "Secret").map((m) => m.stringData ?? m.data));
        expect(mockKey, "the mock run has a master key to hide").to.match(/sk-|[A-Za-z0-9]{16}/);
        const text = forPeople("dev", undefined, manifests);
        expect(text.split("\n")[1]).to.equal(
            "# NOT DEPLOYABLE. Secret values are left out (the LiteLLM master key is generated at deploy time),",
        );
        const secrets = YAML.parseAllDocuments(text)
            .map((d) => d.toJS() as Manifest)
            .filter((m) => m.kind === "Secret");
        expect(secrets).to.not.have.lengthOf(0);
        for (const secret of secrets) {
            expect(Object.values({ ...(secret.stringData as object), ...(secret.data as object) })).to.satisfy(
                (values: string[]) => values.every((v) => v === NOT_SHOWN),
            );
        }
        for (const value of Object.values((JSON.parse(mockKey) as Record<string, string>[])[0])) {
            expect(text).to.not.contain(value);
        }
    });

    // API server ports that the EndpointSlice it reads does not serve are refused at deploy
    // time, inside an Output: the run ends with that one message, not a stack dump or a hang.
    it("refuses apiServerPorts the API server's endpoints do not serve with the message alone", async () => {
        let refusal: unknown;
        try {
            await runProgram(withMode("dev", "litellm", { apiServerPorts: [443] }));
        } catch (e) {
            refusal = e;
        }
        expect((refusal as Error | undefined)?.message).to.match(
            /serves the API on port 6443, which abevalflow:apiServerPorts \(443\) does not include/,
        );
        const stackFile = path.join(REPO_ROOT, `Pulumi.render-spec-${process.pid}.yaml`);
        fs.writeFileSync(
            stackFile,
            YAML.stringify({ config: { ...stackConfig("dev"), "abevalflow:apiServerPorts": [443] } }),
        );
        try {
            const result = spawnSync(
                "npx",
                ["ts-node", "--transpile-only", "scripts/render/manifests.ts", `render-spec-${process.pid}`],
                { cwd: REPO_ROOT, encoding: "utf8" },
            );
            expect(result.status).to.equal(1);
            expect(result.stdout).to.equal("");
            expect(result.stderr.trim().split("\n")).to.deep.equal([
                'error serializing property "spec": EndpointSlice default/kubernetes serves the API on port 6443, which abevalflow:apiServerPorts (443) does not include, ' +
                    "so the cleanup job could not reach the API server; set it: pulumi config set --path 'abevalflow:apiServerPorts[0]' 6443",
            ]);
        } finally {
            fs.rmSync(stackFile, { force: true });
        }
    });

    it("round-trip through YAML in apply order, namespace first", async () => {
        const manifests = manifestsOf(await runProgram(withMode("dev", "litellm")));
        const parsed = YAML.parseAllDocuments(toYaml(manifests)).map((d) => d.toJS() as { kind: string });
        expect(parsed.map((m) => m.kind)).to.deep.equal(manifests.map((m) => m.kind));
        expect(parsed[0].kind).to.equal("Namespace");
        expect(parsed.map((m) => m.kind)).to.not.include("RandomPassword");
    });
});
