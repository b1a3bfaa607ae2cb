// The static half of the real-proxy check (scripts/litellm-check): what it reads from the
// recorded Deployment, ConfigMap and Service, and that a drift between them is reported.
// Starting the proxy itself is tests/e2e/litellm.e2e.ts.
import { expect } from "chai";
import { declarations } from "../components/config";
import { litellmVersionOf, proxyFacts } from "../scripts/litellm-check/deployment";
import { field, ProgramRun, RecordedResource, runProgram, withMode } from "./harness";

const findByType = (run: ProgramRun, type: string): RecordedResource => {
    const found = run.resources.find(
        (r) => r.type === type && (r.inputs.metadata as { name?: string }).name === "litellm",
    );
    if (!found) {
        throw new Error(`no ${type} litellm`);
    }
    return found;
};

describe("LiteLLM check: what it reads from the program", () => {
    it("takes the version from the image tag, and refuses an image without a release tag", () => {
        expect(litellmVersionOf(String(declarations().litellmImage.default))).to.match(/^\d+\.\d+\.\d+$/);
        expect(litellmVersionOf(`ghcr.io/berriai/litellm:v1.2.3@sha256:${"a".repeat(64)}`)).to.equal("1.2.3");
        expect(() => litellmVersionOf(`ghcr.io/berriai/litellm:main-stable@sha256:${"a".repeat(64)}`)).to.throw(
            /release tag vX.Y.Z/,
        );
    });

    it("dev stack: config, port, probes and Service agree", async () => {
        const run = await runProgram(withMode("dev", "litellm"));
        const facts = proxyFacts(run);
        expect(facts.problems).to.deep.equal([]);
        expect(facts.port).to.equal(run.config.litellm?.port);
        expect(facts.serviceTargetPorts).to.deep.equal([facts.port]);
        expect(facts.probes.map((p) => p.kind)).to.deep.equal(["startup", "liveness", "readiness"]);
        expect(facts.probes.every((p) => p.port === facts.port)).to.equal(true);
        expect(facts.configuredModels).to.deep.equal(run.config.litellm?.models.map((m) => m.name));
        expect(facts.env.fromSecrets).to.include("LITELLM_MASTER_KEY");
        expect(facts.configText).to.contain("master_key: os.environ/LITELLM_MASTER_KEY");
    });

    it("reports a Service or probe that targets another port than the proxy listens on", async () => {
        const run = await runProgram(withMode("dev", "litellm"));
        const service = findByType(run, "kubernetes:core/v1:Service");
        (field(service, "spec", "ports") as { targetPort: number | string }[])[0].targetPort = 8080;
        const container = (
            field(findByType(run, "kubernetes:apps/v1:Deployment"), "spec", "template", "spec", "containers") as {
                readinessProbe: { httpGet: { port: number | string } };
            }[]
        )[0];
        container.readinessProbe.httpGet.port = "metrics";
        expect(proxyFacts(run).problems).to.have.members([
            "a Service sends traffic to port 8080, the proxy listens on 4000",
            'readiness probe: port "metrics" is not a named port of container litellm',
        ]);
    });

    it("has nothing to check where the program deploys no proxy", async () => {
        const run = await runProgram(withMode("dev", "direct-api"));
        expect(() => proxyFacts(run)).to.throw(/deploys no LiteLLM proxy in llmMode direct-api/);
    });
});
