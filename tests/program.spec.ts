// The entry point itself, run the way the engine runs it: configuration from the Pulumi
// runtime, the program imported after the mocks are set.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { engineConfig } from "../components/config";
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
        // Set explicitly: these mocks answer no read, so the API server lookup is not exercised here.
        pulumi.runtime.setAllConfig(engineConfig({ ...stackConfig("dev"), "abevalflow:apiServerCidrs": ["10.0.0.1/32"] }));

        // The program must load only after mocks and config are set.
        const program = (await import("../index")) as Record<string, unknown>;
        expect(await unwrap(program.namespace)).to.equal("ab-eval-flow-dev");
        expect(program.llmMode).to.equal("litellm");
        expect(await unwrap(program.serviceAccounts)).to.deep.equal({ pipeline: "pipeline", cleanup: "abevalflow-cleanup", litellm: "litellm" });
        expect(await unwrap(program.volumeClaims)).to.deep.equal({ workspace: "abevalflow-workspace", deadLetter: "abevalflow-dead-letter" });
        expect(await unwrap(program.networkPolicies)).to.deep.equal(["trial-egress-default-deny", "trial-egress-litellm", "trial-ingress-default-deny", "litellm-default-deny", "litellm-proxy",
            "cleanup-egress-default-deny", "cleanup-egress-allow"]);
        expect(await unwrap(program.litellmUrl)).to.equal("http://litellm.ab-eval-flow-dev.svc:4000");
        pulumi.runtime.setAllConfig({});
    });
});
