// Which objects win server-side apply conflicts on the next `pulumi up` (patchForce), and
// which field manager applies them (the one `npm run migrate` hands old fields to), and
// which may skip the provider's readiness wait (skipAwait), in every stack and mode.
import { expect } from "chai";
import { FIELD_MANAGER } from "../components/names";
import { KINDS_NEEDING_PODS } from "../scripts/engine/workspace";
import { LLM_MODES, RecordedResource, runProgram, stackConfig, withMode } from "./harness";

const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

function annotations(r: RecordedResource): Record<string, string> {
    const metadata = r.inputs.metadata as { annotations?: Record<string, string> } | undefined;
    return metadata?.annotations ?? {};
}

describe("object ownership and readiness", () => {
    for (const stack of ["dev", "prod"]) {
        for (const mode of LLM_MODES) {
            it(`${stack}/${mode}: every Kubernetes object but the volumes carries patchForce, and all one field manager`, async () => {
                const run = await runProgram(withMode(stack, mode));
                const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
                expect(objects.length).to.be.greaterThan(10);
                for (const r of objects) {
                    expect(annotations(r)["pulumi.com/patchForce"], `${r.type} ${r.name}`).to.equal(
                        r.type === PVC ? undefined : "true",
                    );
                    expect(annotations(r)["pulumi.com/patchFieldManager"], `${r.type} ${r.name}`).to.equal(
                        FIELD_MANAGER,
                    );
                }
            });
        }
        it(`${stack}: the committed stack skips no readiness wait but that of claims it adopts bound`, async () => {
            const run = await runProgram(stackConfig(stack));
            const skipping = run.resources
                .filter((r) => annotations(r)["pulumi.com/skipAwait"] !== undefined)
                .map((r) => r.name);
            expect(skipping).to.deep.equal(run.config.storage.adoptExisting ? ["workspace", "dead-letter"] : []);
        });
    }

    it("no stack in any mode skips the readiness of a Deployment or Service, whatever its other settings", async () => {
        for (const stack of ["dev", "prod"] as const) {
            for (const mode of LLM_MODES) {
                const run = await runProgram(withMode(stack, mode, { adoptExistingVolumes: true }));
                // Nothing may skip waiting for these.
                const skipping = run.resources.filter(
                    (r) => KINDS_NEEDING_PODS.includes(r.type) && annotations(r)["pulumi.com/skipAwait"] !== undefined,
                );
                expect(
                    skipping.map((r) => r.name),
                    `${stack} ${mode}`,
                ).to.deep.equal([]);
            }
        }
    });
});
