// A pod that never calls the Kubernetes API should not carry a token for it: a stolen token is
// the first step of every escalation. "No API access" is read off the stack: no RoleBinding or
// ClusterRoleBinding in it names the workload's ServiceAccount.
import { K8sObject, kindKeyOf, namespaceOf, podTemplateOf, records } from "../lib/k8s";
import { StackFinding, StackRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface NoTokenAutomountConfig {
    apiAccessServiceAccounts: string[];
}

const defaults: NoTokenAutomountConfig = {
    apiAccessServiceAccounts: [],
};

const BINDINGS = new Set(["RoleBinding.rbac.authorization.k8s.io", "ClusterRoleBinding.rbac.authorization.k8s.io"]);
const SERVICE_ACCOUNT = "ServiceAccount";

function accountKey(namespace: string, name: string): string {
    return `${namespace}/${name}`;
}

/** ServiceAccounts some binding in the stack grants anything to, as `namespace/name`, plus whole namespaces as `namespace/*`. */
function boundAccounts(objects: readonly K8sObject[]): Set<string> {
    const bound = new Set<string>();
    for (const binding of objects.filter((o) => BINDINGS.has(kindKeyOf(o)))) {
        for (const subject of records(binding.subjects)) {
            const ns = typeof subject.namespace === "string" ? subject.namespace : (namespaceOf(binding) ?? "");
            if (subject.kind === "ServiceAccount" && typeof subject.name === "string") {
                bound.add(accountKey(ns, subject.name));
            }
            const group =
                typeof subject.name === "string" ? /^system:serviceaccounts(?::(.+))?$/.exec(subject.name) : null;
            if (subject.kind === "Group" && group !== null) {
                bound.add(group[1] === undefined ? "*" : accountKey(group[1], "*"));
            }
        }
    }
    return bound;
}

function serviceAccountAutomount(objects: readonly K8sObject[]): Map<string, boolean | undefined> {
    const automount = new Map<string, boolean | undefined>();
    for (const sa of objects.filter((o) => kindKeyOf(o) === SERVICE_ACCOUNT)) {
        const value =
            typeof sa.automountServiceAccountToken === "boolean" ? sa.automountServiceAccountToken : undefined;
        automount.set(accountKey(namespaceOf(sa) ?? "", sa.metadata?.name ?? ""), value);
    }
    return automount;
}

export const noTokenAutomount: StackRule<NoTokenAutomountConfig> = {
    scope: "stack",
    name: "no-token-automount",
    description: "Workloads whose ServiceAccount is bound to no Role set automountServiceAccountToken: false.",
    details:
        "a workload whose ServiceAccount no RoleBinding/ClusterRoleBinding in the stack names sets `automountServiceAccountToken: false` (pod or ServiceAccount)",
    remediationSteps:
        "set `automountServiceAccountToken: false` in the pod spec (or on its dedicated ServiceAccount); " +
        "if the workload does call the API through a binding managed elsewhere, list its ServiceAccount in apiAccessServiceAccounts.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            apiAccessServiceAccounts: stringList(
                "ServiceAccounts (`name` or `namespace/name`) granted API access outside this stack.",
                defaults.apiAccessServiceAccounts,
            ),
        },
    },
    check(objects: readonly K8sObject[], config: NoTokenAutomountConfig): StackFinding[] {
        const bound = boundAccounts(objects);
        const accountAutomount = serviceAccountAutomount(objects);
        const findings: StackFinding[] = [];
        for (const obj of objects) {
            const pod = podTemplateOf(obj);
            if (pod === undefined) {
                continue;
            }
            const ns = namespaceOf(obj) ?? "";
            const account = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
            const key = accountKey(ns, account);
            const hasAccess =
                bound.has(key) ||
                bound.has("*") ||
                bound.has(accountKey(ns, "*")) ||
                config.apiAccessServiceAccounts.includes(account) ||
                config.apiAccessServiceAccounts.includes(key);
            const mounts = pod.spec.automountServiceAccountToken ?? accountAutomount.get(key) ?? true;
            if (!hasAccess && mounts !== false) {
                findings.push({
                    subject: obj,
                    message:
                        `runs as ServiceAccount "${account}", which no binding in this stack grants API access, ` +
                        "yet mounts its token (automountServiceAccountToken is not false)",
                });
            }
        }
        return findings;
    },
};
