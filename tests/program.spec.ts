// The entry point itself, run the way the engine runs it: configuration from the Pulumi
// runtime, the program imported after the mocks are set.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { engineConfig } from "../components/config";
import { mockInputs, stackConfig } from "./harness";

function unwrap<T>(value: pulumi.Output<T> | T): Promise<T> {
    return pulumi.Output.isInstance(value) ? new Promise((resolve) => value.apply(resolve)) : Promise.resolve(value);
}

/** index.ts exports a promise of its outputs; a fresh load each time runs the program again. */
function loadProgram(): Promise<Record<string, unknown>> {
    delete require.cache[require.resolve("../index")];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an import loads the program once, at the top
    return require("../index") as Promise<Record<string, unknown>>;
}

describe("index.ts", () => {
    it("reads the stack configuration from the runtime and exports the outputs", async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: { ...mockInputs(args), result: "pw" } }),
                call: mockInputs,
            },
            "abevalflow",
            "dev",
            false,
        );
        // Set explicitly: these mocks answer no read, so the API server lookup is not exercised here.
        pulumi.runtime.setAllConfig(
            engineConfig({ ...stackConfig("dev"), "abevalflow:apiServerCidrs": ["10.0.0.1/32"] }),
        );

        // The program must load only after mocks and config are set.
        const program = await loadProgram();
        expect(await unwrap(program.namespace)).to.equal("ab-eval-flow-dev");
        expect(program.llmMode).to.equal("litellm");
        expect(await unwrap(program.serviceAccounts)).to.deep.equal({
            pipeline: "pipeline",
            cleanup: "abevalflow-cleanup",
            litellm: "litellm",
        });
        expect(await unwrap(program.volumeClaims)).to.deep.equal({
            workspace: "abevalflow-workspace",
            deadLetter: "abevalflow-dead-letter",
        });
        expect(await unwrap(program.networkPolicies)).to.deep.equal([
            "trial-egress-default-deny",
            "trial-egress-litellm",
            "trial-ingress-default-deny",
            "litellm-default-deny",
            "litellm-proxy",
            "cleanup-egress-default-deny",
            "cleanup-egress-allow",
        ]);
        expect(await unwrap(program.litellmUrl)).to.equal("http://litellm.ab-eval-flow-dev.svc:4000");
        pulumi.runtime.setAllConfig({});
    });

    it("registers nothing but the cluster check when the cluster is another one, and fails with its message", async () => {
        const registered: string[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    registered.push(args.type);
                    return args.id
                        ? { id: args.id, state: { metadata: { name: args.id, uid: "uid-of-another-cluster" } } }
                        : { id: `${args.name}-id`, state: mockInputs(args) };
                },
                call: mockInputs,
            },
            "abevalflow",
            "dev",
            false,
        );
        pulumi.runtime.setAllConfig(
            engineConfig({ ...stackConfig("dev"), "abevalflow:clusterId": "00000000-0000-4000-8000-000000000000" }),
        );
        let error: Error | undefined;
        await loadProgram().catch((e: Error) => (error = e));
        pulumi.runtime.setAllConfig({});
        expect(pulumi.RunError.isInstance(error), String(error)).to.equal(true);
        expect(error?.message)
            .to.contain("00000000-0000-4000-8000-000000000000")
            .and.contain("uid-of-another-cluster")
            .and.contain("nothing was changed");
        expect(registered).to.have.members([
            "abevalflow:cluster:Cluster",
            "pulumi:providers:kubernetes",
            "kubernetes:core/v1:Namespace",
        ]);
    });
});
