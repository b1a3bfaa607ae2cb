// A cpu/memory ResourceQuota makes the API server reject every pod that does not declare the
// quota'd requests or limits, including pods Tekton creates from tasks nobody here wrote. A
// LimitRange with container defaults fills them in.
import { isRecord, K8sObject, kindKeyOf, namespaceOf, records, specOf } from "../lib/k8s";
import { StackFinding, StackRule } from "../lib/rule";

export type QuotaHasLimitRangeConfig = Record<string, never>;

/** Quota key → [LimitRange field, resource] that supplies the value for a pod that omits it. */
const SUPPLIED_BY: Record<string, [string, string]> = {
    cpu: ["defaultRequest", "cpu"],
    "requests.cpu": ["defaultRequest", "cpu"],
    memory: ["defaultRequest", "memory"],
    "requests.memory": ["defaultRequest", "memory"],
    "limits.cpu": ["default", "cpu"],
    "limits.memory": ["default", "memory"],
};

function containerDefaults(limitRange: K8sObject): Record<string, unknown>[] {
    return records(specOf(limitRange).limits).filter((limit) => limit.type === "Container");
}

export const quotaHasLimitRange: StackRule<QuotaHasLimitRangeConfig> = {
    scope: "stack",
    name: "quota-has-limitrange",
    description:
        "A namespace with a cpu/memory ResourceQuota has a LimitRange supplying container defaults for every quota'd resource.",
    details: "a cpu/memory ResourceQuota has a LimitRange supplying container defaults for what it limits",
    remediationSteps:
        "add a LimitRange in the same namespace with a `type: Container` entry whose `defaultRequest` and `default` " +
        "cover the cpu and memory the quota limits.",
    enforcementLevel: "advisory",
    defaults: {},
    configSchema: { properties: {} },
    check(objects: readonly K8sObject[]): StackFinding[] {
        const limitRanges = objects.filter((o) => kindKeyOf(o) === "LimitRange");
        const findings: StackFinding[] = [];
        for (const quota of objects.filter((o) => kindKeyOf(o) === "ResourceQuota")) {
            const { hard } = specOf(quota);
            const limited = isRecord(hard) ? Object.keys(hard) : [];
            const entries = limitRanges
                .filter((lr) => namespaceOf(lr) === namespaceOf(quota))
                .flatMap(containerDefaults);
            const unsupplied = limited.filter((key) => {
                const source = SUPPLIED_BY[key];
                return (
                    source !== undefined &&
                    !entries.some((entry) => {
                        const values = entry[source[0]];
                        return isRecord(values) && values[source[1]] !== undefined;
                    })
                );
            });
            if (unsupplied.length > 0) {
                findings.push({
                    subject: quota,
                    message:
                        `limits ${unsupplied.join(", ")} but no LimitRange in its namespace supplies ` +
                        "container defaults for them, so pods that omit them are rejected",
                });
            }
        }
        return findings;
    },
};
