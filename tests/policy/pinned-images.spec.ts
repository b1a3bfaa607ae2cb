import { expect } from "chai";
import { parseImage, pinnedImages } from "../../policy/policies/pinned-images";
import { checkResource, container, DIGEST, firing, firstContainer, podSpecOf, WORKLOADS } from "./fixtures";

describe("pinned-images", () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        describe(kind, () => {
            it("passes when every image is pinned by digest, and so does every other policy", () => {
                expect(checkResource(pinnedImages, make())).to.deep.equal([]);
                expect(firing([make()])).to.deep.equal([]);
            });

            for (const [label, image, why] of [
                ["latest", "quay.io/x/app:latest", /floating tag "latest"/],
                ["main-latest", "ghcr.io/berriai/litellm:main-latest", /floating tag "main-latest"/],
                ["main-stable", "ghcr.io/berriai/litellm:main-stable", /floating tag "main-stable"/],
                ["a bare tag", "quay.io/x/app:v1.2.3", /pinned only by the tag "v1.2.3"/],
                ["no tag", "quay.io/x/app", /no tag or digest/],
                ["a registry port but no tag", "registry.local:5000/x/app", /no tag or digest/],
                ["a short digest", "quay.io/x/app@sha256:abc", /not sha256:<64 lowercase hex>/],
            ] as const) {
                it(`fails on ${label}, naming the container and the image`, () => {
                    const workload = make();
                    firstContainer(workload).image = image;
                    const problems = checkResource(pinnedImages, workload);
                    expect(problems).to.have.length(1);
                    expect(problems[0]).to.match(why).and.include('container "app"').and.include(image);
                    expect(firing([workload])).to.deep.equal(["pinned-images"]);
                });
            }
        });
    }

    it("checks init and ephemeral containers too", () => {
        const workload = WORKLOADS.Deployment();
        podSpecOf(workload).initContainers = [container("setup", "busybox:1.36")];
        podSpecOf(workload).ephemeralContainers = [container("debug", "busybox")];
        const problems = checkResource(pinnedImages, workload);
        expect(problems).to.have.length(2);
        expect(problems[0]).to.include('initContainers/"setup"').and.include("busybox:1.36");
        expect(problems[1]).to.include('ephemeralContainers/"debug"');
    });

    it("fails on a container without an image", () => {
        const workload = WORKLOADS.Pod();
        delete firstContainer(workload).image;
        expect(checkResource(pinnedImages, workload)[0]).to.include("has no image");
    });

    it("allows a digest with or without a tag before it", () => {
        for (const image of [`quay.io/x/app@${DIGEST}`, `registry.local:5000/x/app:main-latest@${DIGEST}`]) {
            const workload = WORKLOADS.Pod();
            firstContainer(workload).image = image;
            expect(checkResource(pinnedImages, workload), image).to.deep.equal([]);
        }
    });

    it("tells a registry port from a tag", () => {
        expect(parseImage("registry.local:5000/app")).to.deep.equal({ tag: undefined, digest: undefined });
        expect(parseImage("registry.local:5000/app:v1")).to.deep.equal({ tag: "v1", digest: undefined });
    });

    it("carries remediation in the pack's message", () => {
        expect(pinnedImages.remediationSteps).to.include("@sha256");
    });
});
