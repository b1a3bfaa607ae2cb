import { expect } from "chai";
import { deploymentProbes } from "../../policy/policies/deployment-probes";
import { checkResource, DIGEST, firing, firstContainer, LITELLM, WORKLOADS } from "./fixtures";

const NAME = "deployment-probes";

function litellm() {
    const deployment = WORKLOADS.Deployment();
    const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
    template.metadata.labels = { ...LITELLM };
    const proxy = firstContainer(deployment);
    proxy.image = `ghcr.io/berriai/litellm:v1.83.0@${DIGEST}`;
    proxy.livenessProbe = { httpGet: { path: "/health/liveliness", port: 4000 } };
    proxy.readinessProbe = { httpGet: { path: "/health/readiness", port: 4000 } };
    return deployment;
}

describe(NAME, () => {
    it("passes a Deployment with both probes, and a LiteLLM proxy on its public health routes", () => {
        expect(checkResource(deploymentProbes, WORKLOADS.Deployment())).to.deep.equal([]);
        expect(firing([litellm()])).to.deep.equal([]);
    });

    for (const probe of ["livenessProbe", "readinessProbe"] as const) {
        it(`fails a missing ${probe}`, () => {
            const deployment = WORKLOADS.Deployment();
            delete firstContainer(deployment)[probe];
            expect(checkResource(deploymentProbes, deployment)).to.deep.equal([`container "app" has no ${probe}`]);
            expect(firing([deployment])).to.deep.equal([NAME]);
        });
    }

    it("asks an OpenShift DeploymentConfig for probes as it asks a Deployment", () => {
        const config = WORKLOADS.DeploymentConfig();
        expect(checkResource(deploymentProbes, config)).to.deep.equal([]);
        delete firstContainer(config).readinessProbe;
        expect(checkResource(deploymentProbes, config)).to.deep.equal(['container "app" has no readinessProbe']);
        expect(firing([config])).to.deep.equal([NAME]);
    });

    it("does not ask other kinds for probes", () => {
        const job = WORKLOADS.Job();
        delete firstContainer(job).livenessProbe;
        expect(checkResource(deploymentProbes, job)).to.deep.equal([]);
    });

    for (const [probe, path] of [
        ["livenessProbe", "/health"],
        ["readinessProbe", "/health/"],
        ["startupProbe", "/health?x=1"],
    ] as const) {
        it(`fails LiteLLM's ${probe} on ${path} (the review's probes)`, () => {
            const deployment = litellm();
            firstContainer(deployment)[probe] = { httpGet: { path, port: 4000 } };
            expect(checkResource(deploymentProbes, deployment)[0]).to.include(`${probe} on "/health"`);
            expect(firing([deployment])).to.deep.equal([NAME]);
        });
    }

    it("recognises LiteLLM by its image when the labels differ", () => {
        const deployment = WORKLOADS.Deployment();
        firstContainer(deployment).image = `ghcr.io/berriai/litellm-non_root:v1.83.0@${DIGEST}`;
        firstContainer(deployment).livenessProbe = { httpGet: { path: "/health", port: 4000 } };
        expect(checkResource(deploymentProbes, deployment)).to.have.length(1);
    });

    it("lets other services use /health", () => {
        const deployment = WORKLOADS.Deployment();
        firstContainer(deployment).livenessProbe = { httpGet: { path: "/health", port: 8080 } };
        expect(checkResource(deploymentProbes, deployment)).to.deep.equal([]);
    });
});
