// Replicas protect against a node failing, not against a node drain evicting all of them at
// once: that takes a PodDisruptionBudget, and one that still lets at least one pod go, or the
// drain blocks forever.
import { K8sObject, kindKeyOf, namespaceOf, podTemplateOf, specOf } from "../lib/k8s";
import { StackFinding, StackRule } from "../lib/rule";
import { integer } from "../lib/schema";
import { selects } from "../lib/selectors";

export interface ReplicatedDeploymentPdbConfig {
    minReplicas: number;
}

const defaults: ReplicatedDeploymentPdbConfig = { minReplicas: 2 };

const PDB = "PodDisruptionBudget.policy";

/** Whether the budget lets no pod be evicted voluntarily. */
function blocksEviction(pdb: K8sObject, replicas: number): boolean {
    const { minAvailable, maxUnavailable } = specOf(pdb);
    if (maxUnavailable === 0 || maxUnavailable === "0%") {
        return true;
    }
    return (typeof minAvailable === "number" && minAvailable >= replicas) || minAvailable === "100%";
}

export const replicatedDeploymentPdb: StackRule<ReplicatedDeploymentPdbConfig> = {
    scope: "stack",
    name: "replicated-deployment-pdb",
    description:
        "Every Deployment with 2 or more replicas has a PodDisruptionBudget selecting its pods that still allows one eviction.",
    details:
        "a Deployment with 2+ replicas has a PodDisruptionBudget selecting its pods that still allows one eviction",
    remediationSteps:
        "add a PodDisruptionBudget in the Deployment's namespace whose selector matches the pod template labels, " +
        "with `maxUnavailable: 1` (or `minAvailable` below the replica count).",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            minReplicas: integer(
                "Replica count from which a Deployment needs a PodDisruptionBudget.",
                defaults.minReplicas,
                2,
            ),
        },
    },
    check(objects: readonly K8sObject[], config: ReplicatedDeploymentPdbConfig): StackFinding[] {
        const budgets = objects.filter((o) => kindKeyOf(o) === PDB);
        const findings: StackFinding[] = [];
        for (const deployment of objects.filter((o) => kindKeyOf(o) === "Deployment.apps")) {
            const replicas = specOf(deployment).replicas;
            if (typeof replicas !== "number" || replicas < config.minReplicas) {
                continue;
            }
            const labels = podTemplateOf(deployment)?.labels ?? {};
            const matching = budgets.filter(
                (pdb) => namespaceOf(pdb) === namespaceOf(deployment) && selects(specOf(pdb).selector, labels),
            );
            if (matching.length === 0) {
                findings.push({
                    subject: deployment,
                    message: `runs ${replicas} replicas but no PodDisruptionBudget in its namespace selects its pods`,
                });
            }
            for (const pdb of matching.filter((p) => blocksEviction(p, replicas))) {
                findings.push({
                    subject: pdb,
                    message:
                        `allows no voluntary eviction of the ${replicas} pods of Deployment ` +
                        `"${deployment.metadata?.name ?? ""}", so node drains block`,
                });
            }
        }
        return findings;
    },
};
