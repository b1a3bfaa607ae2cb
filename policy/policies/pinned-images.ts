// A tag can be moved to other bytes at any time (the review's `litellm:main-latest`); only a
// digest names the exact image that was reviewed, scanned and signed.
import { containersOf, K8sObject, podTemplateOf, WORKLOAD_KINDS } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface PinnedImagesConfig {
    floatingTags: string[];
}

const defaults: PinnedImagesConfig = {
    floatingTags: ["latest", "main-latest", "main-stable", "nightly", "stable", "main", "master"],
};

const DIGEST = /^sha256:[0-9a-f]{64}$/;

interface ImageReference {
    tag?: string;
    digest?: string;
}

export function parseImage(image: string): ImageReference {
    const at = image.indexOf("@");
    const named = at < 0 ? image : image.slice(0, at);
    const digest = at < 0 ? undefined : image.slice(at + 1);
    // A colon after the last slash starts the tag; one before it belongs to a registry port.
    const colon = named.lastIndexOf(":");
    const tag = colon > named.lastIndexOf("/") ? named.slice(colon + 1) : undefined;
    return { tag, digest };
}

function problemWith(image: unknown, config: PinnedImagesConfig): string | undefined {
    if (typeof image !== "string" || image.trim() === "") {
        return "has no image";
    }
    const { tag, digest } = parseImage(image);
    if (digest !== undefined) {
        return DIGEST.test(digest)
            ? undefined
            : `image "${image}" has the digest "${digest}", which is not sha256:<64 lowercase hex>`;
    }
    if (tag === undefined) {
        return `image "${image}" has no tag or digest (it resolves to :latest)`;
    }
    if (config.floatingTags.includes(tag)) {
        return `image "${image}" uses the floating tag "${tag}"`;
    }
    return `image "${image}" is pinned only by the tag "${tag}", which can be re-pointed`;
}

export const pinnedImages: ResourceRule<PinnedImagesConfig> = {
    scope: "resource",
    name: "pinned-images",
    description: "Every container, init container and ephemeral container image is pinned by @sha256 digest.",
    details:
        "every container, init container and ephemeral container image in Pods, Deployments, OpenShift DeploymentConfigs, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs is pinned by `@sha256:<64 hex>` (a tag before the digest is fine)",
    remediationSteps:
        "pin the image by digest, e.g. `registry/repo:v1.2.3@sha256:<64 hex>` " +
        "(look it up with `skopeo inspect docker://registry/repo:v1.2.3`); a tag before the digest is allowed.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            floatingTags: stringList(
                "Tags named as floating in messages (any tag without a digest is a violation).",
                defaults.floatingTags,
            ),
        },
    },
    kinds: WORKLOAD_KINDS,
    check(obj: K8sObject, config: PinnedImagesConfig): string[] {
        const pod = podTemplateOf(obj);
        if (pod === undefined) {
            return [];
        }
        const problems: string[] = [];
        for (const { container, label } of containersOf(pod.spec)) {
            const problem = problemWith(container.image, config);
            if (problem !== undefined) {
                problems.push(`container ${label} ${problem}`);
            }
        }
        return problems;
    },
};
