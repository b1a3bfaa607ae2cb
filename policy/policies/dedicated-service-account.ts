// The review found the LiteLLM proxy (and the cleanup CronJob) running as the `pipeline`
// ServiceAccount, which may create pods, read secrets and push images: a compromised proxy
// would inherit all of it. Each workload gets its own ServiceAccount with only what it needs.
import { K8sObject, podTemplateOf, WORKLOAD_KINDS } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface DedicatedServiceAccountConfig {
    reservedServiceAccounts: string[];
}

const defaults: DedicatedServiceAccountConfig = {
    // `pipeline` is OpenShift Pipelines' TaskRun identity; builder and deployer are OpenShift's own.
    reservedServiceAccounts: ["pipeline", "builder", "deployer"],
};

export const dedicatedServiceAccount: ResourceRule<DedicatedServiceAccountConfig> = {
    scope: "resource",
    name: "dedicated-service-account",
    description: "Workloads do not run as a ServiceAccount reserved for the pipeline or the platform.",
    details:
        "no workload runs as `pipeline`, `builder` or `deployer` (the review's LiteLLM proxy and cleanup job ran as `pipeline`)",
    remediationSteps:
        "create a ServiceAccount for this workload, bind to it only the permissions it needs " +
        "(none for a proxy, plus `automountServiceAccountToken: false`), and set `serviceAccountName` to it.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            reservedServiceAccounts: stringList(
                "ServiceAccounts no workload of this stack may run as.",
                defaults.reservedServiceAccounts,
            ),
        },
    },
    kinds: WORKLOAD_KINDS,
    check(obj: K8sObject, config: DedicatedServiceAccountConfig): string[] {
        const spec = podTemplateOf(obj)?.spec;
        const account = spec?.serviceAccountName ?? spec?.serviceAccount;
        if (typeof account === "string" && config.reservedServiceAccounts.includes(account)) {
            return [
                `runs as the ServiceAccount "${account}", which is reserved for the pipeline or the platform and carries their permissions`,
            ];
        }
        return [];
    },
};
