// The entry point itself, run the way the engine runs it: configuration from the Pulumi
// runtime, the program imported after the mocks are set.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { declarations } from "../components/config";
import { stackConfig } from "./harness";

function unwrap<T>(value: pulumi.Output<T> | T): Promise<T> {
    return pulumi.Output.isInstance(value) ? new Promise((resolve) => (value as pulumi.Output<T>).apply(resolve)) : Promise.resolve(value as T);
}

describe("index.ts", () => {
    it("reads the stack configuration from the runtime and exports the outputs", async () => {
        await pulumi.runtime.setMocks({
            newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, result: "pw" } }),
            call: (args) => args.inputs,
        }, "abevalflow", "dev", false);
        // As the engine passes it: every value a string, project defaults merged in.
        const config: Record<string, string> = {};
        for (const [key, decl] of Object.entries(declarations())) {
            if (decl.default !== undefined) {
                config[`abevalflow:${key}`] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
            }
        }
        for (const [key, value] of Object.entries(stackConfig("dev"))) {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
        pulumi.runtime.setAllConfig(config);

        // The program must load only after mocks and config are set.
        const program = (await import("../index")) as Record<string, unknown>;
        expect(await unwrap(program.namespace)).to.equal("ab-eval-flow-dev");
        expect(program.llmMode).to.equal("litellm");
        expect(await unwrap(program.serviceAccounts)).to.deep.equal({ pipeline: "pipeline", cleanup: "abevalflow-cleanup", litellm: "litellm" });
        expect(await unwrap(program.volumeClaims)).to.deep.equal({ workspace: "abevalflow-workspace", deadLetter: "abevalflow-dead-letter" });
        expect(await unwrap(program.networkPolicies)).to.deep.equal(["trial-egress-default-deny", "trial-egress-litellm", "litellm-default-deny", "litellm-proxy"]);
        expect(await unwrap(program.litellmUrl)).to.equal("http://litellm.ab-eval-flow-dev.svc:4000");
        pulumi.runtime.setAllConfig({});
    });
});
