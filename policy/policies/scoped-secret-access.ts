// The review found the pipeline Role able to `get` every Secret in the namespace, including the
// LiteLLM credentials. A Role may read named Secrets only; cluster-wide grants need a reason,
// recorded as an allow-list entry in the stack's policy config.
import { isRecord, K8sObject, kindKeyOf, nameOf, records, strings } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface ScopedSecretAccessConfig {
    allowedClusterRoles: string[];
    allowedClusterRoleBindings: string[];
    secretReadingClusterRoles: string[];
}

const defaults: ScopedSecretAccessConfig = {
    allowedClusterRoles: [],
    allowedClusterRoleBindings: [],
    secretReadingClusterRoles: ["cluster-admin", "admin", "edit"],
};

type PolicyRule = Record<string, unknown>;

function reachesSecrets(rule: PolicyRule): boolean {
    const groups = strings(rule.apiGroups);
    const resources = strings(rule.resources);
    return groups.some((g) => g === "" || g === "*") && resources.some((r) => r === "secrets" || r === "*");
}

function rulesOf(obj: K8sObject): PolicyRule[] {
    return records(obj.rules);
}

function roleProblems(obj: K8sObject): string[] {
    const problems: string[] = [];
    rulesOf(obj).forEach((rule, index) => {
        if (!reachesSecrets(rule)) {
            return;
        }
        const verbs = strings(rule.verbs);
        const extra = verbs.filter((v) => v !== "get");
        const where = `rules[${index}] (apiGroups ${JSON.stringify(rule.apiGroups)}, resources ${JSON.stringify(rule.resources)})`;
        if (verbs.length === 0 || extra.length > 0) {
            problems.push(`${where} grants ${JSON.stringify(verbs)} on secrets; only "get" is allowed`);
        }
        const names = strings(rule.resourceNames).filter((n) => n !== "");
        if (names.length === 0) {
            problems.push(`${where} reaches every Secret in the namespace: it has no resourceNames`);
        }
    });
    return problems;
}

function clusterRoleProblems(obj: K8sObject, config: ScopedSecretAccessConfig): string[] {
    if (config.allowedClusterRoles.includes(nameOf(obj))) {
        return [];
    }
    return rulesOf(obj)
        .map((rule, index) => ({ rule, index }))
        .filter(({ rule }) => reachesSecrets(rule))
        .map(({ rule, index }) => `rules[${index}] grants ${JSON.stringify(strings(rule.verbs))} on secrets cluster-wide `
            + "and the ClusterRole is not in allowedClusterRoles");
}

function bindingProblems(obj: K8sObject, config: ScopedSecretAccessConfig): string[] {
    const roleRef = isRecord(obj.roleRef) ? obj.roleRef : {};
    const role = typeof roleRef.name === "string" ? roleRef.name : "";
    const isClusterBinding = obj.kind === "ClusterRoleBinding";
    if (roleRef.kind !== "ClusterRole" || !config.secretReadingClusterRoles.includes(role)
        || config.allowedClusterRoles.includes(role)
        || (isClusterBinding && config.allowedClusterRoleBindings.includes(nameOf(obj)))) {
        return [];
    }
    const reach = isClusterBinding ? "every Secret in every namespace" : "every Secret in its namespace";
    return [`binds the ClusterRole "${role}", which reads ${reach}`];
}

export const scopedSecretAccess: ResourceRule<ScopedSecretAccessConfig> = {
    scope: "resource",
    name: "scoped-secret-access",
    description: "Roles read Secrets only with `get` on named resourceNames; ClusterRoles and bindings that reach Secrets must be allow-listed.",
    remediationSteps: "grant only `verbs: [get]` with `resourceNames: [<the secrets the workload needs>]` in a namespaced Role; "
        + "if a cluster-wide grant is truly needed, add its name to allowedClusterRoles/allowedClusterRoleBindings in the stack's policy config.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            allowedClusterRoles: stringList("ClusterRoles that may reach Secrets (and may be bound).", defaults.allowedClusterRoles),
            allowedClusterRoleBindings: stringList("ClusterRoleBindings that may bind a Secret-reading ClusterRole.", defaults.allowedClusterRoleBindings),
            secretReadingClusterRoles: stringList("Built-in ClusterRoles known to reach Secrets, checked on RoleBindings and ClusterRoleBindings.",
                defaults.secretReadingClusterRoles),
        },
    },
    kinds: ["Role.rbac.authorization.k8s.io", "ClusterRole.rbac.authorization.k8s.io",
        "RoleBinding.rbac.authorization.k8s.io", "ClusterRoleBinding.rbac.authorization.k8s.io"],
    check(obj: K8sObject, config: ScopedSecretAccessConfig): string[] {
        switch (kindKeyOf(obj)) {
            case "Role.rbac.authorization.k8s.io":
                return roleProblems(obj);
            case "ClusterRole.rbac.authorization.k8s.io":
                return clusterRoleProblems(obj, config);
            default:
                return bindingProblems(obj, config);
        }
    },
};
