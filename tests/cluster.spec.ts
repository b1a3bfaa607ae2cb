// The stack's own cluster: one explicit provider for every object, and the identity check
// that stops a stack pointed at another cluster before anything is sent.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "../components/cluster";
import { mockInputs, ofType, runProgram, stackConfig, withMode } from "./harness";

const OURS = "3f2c9a3e-8b1d-4c7e-9f61-2a5d0c4e7b10";
const OTHER = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";

async function verify(expected: string | undefined, live: string): Promise<unknown> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: args.id ?? `${args.name}-id`,
                state:
                    args.type === "kubernetes:core/v1:Namespace"
                        ? { metadata: { name: args.id, uid: live } }
                        : mockInputs(args),
            }),
            call: mockInputs,
        },
        "abevalflow",
        "test",
        false,
    );
    const cluster = new Cluster("cluster", { context: "prod-admin", id: expected });
    // The SDK's own promise of the Output (not in its typings): rejected when the check throws.
    return (cluster.verified as unknown as { promise: () => Promise<unknown> }).promise().catch((e: Error) => e);
}

describe("the stack's cluster", () => {
    it("passes when kube-system's uid is the stack's clusterId", async () => {
        const result = await verify(OURS, OURS);
        expect(result).to.be.an("array").with.length(1);
    });

    it("refuses another cluster, naming both uids and the context, before anything depends on it", async () => {
        const result = await verify(OURS, OTHER);
        expect(result).to.be.instanceOf(Error);
        expect((result as Error).message)
            .to.contain(OURS)
            .and.contain(OTHER)
            .and.contain("context prod-admin")
            .and.contain("nothing was changed");
    });

    it("without a clusterId checks nothing", async () => {
        expect(await verify(undefined, OTHER)).to.deep.equal([]);
    });

    it("routes every Kubernetes object through the one explicit provider", async () => {
        const run = await runProgram(withMode("dev", "litellm", { kubeContext: "dev-admin" }));
        const providers = ofType(run, "pulumi:providers:kubernetes");
        expect(providers).to.have.length(1);
        expect(providers[0].inputs).to.include({ context: "dev-admin" });
        // A changed ConfigMap or Secret is updated, never replaced with the Deployment that mounts it.
        // Provider inputs reach the engine as strings.
        expect(providers[0].inputs).to.include({ enableConfigMapMutable: "true", enableSecretMutable: "true" });
        expect(ofType(await runProgram(stackConfig("prod")), "pulumi:providers:kubernetes")).to.have.length(1);
    });
});
