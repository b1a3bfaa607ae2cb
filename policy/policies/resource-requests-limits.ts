// Under a cpu/memory ResourceQuota a pod without requests and limits is rejected at creation;
// without them at all, one runaway trial pod can starve the namespace.
import { containersOf, isRecord, K8sObject, podTemplateOf, WORKLOAD_KINDS } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface ResourceRequestsLimitsConfig {
    requiredRequests: string[];
    requiredLimits: string[];
}

const defaults: ResourceRequestsLimitsConfig = {
    requiredRequests: ["cpu", "memory"],
    requiredLimits: ["cpu", "memory"],
};

function missing(section: unknown, required: readonly string[]): string[] {
    const values = isRecord(section) ? section : {};
    return required.filter(
        (resource) => values[resource] === undefined || values[resource] === null || values[resource] === "",
    );
}

export const resourceRequestsLimits: ResourceRule<ResourceRequestsLimitsConfig> = {
    scope: "resource",
    name: "resource-requests-limits",
    description: "Every container and init container sets resource requests and limits.",
    details: "cpu and memory requests and limits on every container and init container",
    remediationSteps:
        "set `resources.requests` and `resources.limits` (cpu and memory) on every container and init container.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            requiredRequests: stringList("Resources every container must request.", defaults.requiredRequests),
            requiredLimits: stringList("Resources every container must limit.", defaults.requiredLimits),
        },
    },
    kinds: WORKLOAD_KINDS,
    check(obj: K8sObject, config: ResourceRequestsLimitsConfig): string[] {
        const pod = podTemplateOf(obj);
        if (pod === undefined) {
            return [];
        }
        // Ephemeral containers may not declare resources at all.
        return containersOf(pod.spec, ["containers", "initContainers"]).flatMap(({ container, label }) => {
            const resources = isRecord(container.resources) ? container.resources : {};
            const requests = missing(resources.requests, config.requiredRequests);
            const limits = missing(resources.limits, config.requiredLimits);
            const gaps = [
                ...(requests.length > 0 ? [`no requests for ${requests.join(", ")}`] : []),
                ...(limits.length > 0 ? [`no limits for ${limits.join(", ")}`] : []),
            ];
            return gaps.length > 0 ? [`container ${label} has ${gaps.join(" and ")}`] : [];
        });
    },
};
