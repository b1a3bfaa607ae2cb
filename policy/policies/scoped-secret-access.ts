// The review found the pipeline Role able to `get` every Secret in the namespace, including the
// LiteLLM credentials. A Role may read named Secrets only; cluster-wide grants need a reason,
// recorded as an allow-list entry in the stack's policy config.
import { describeValue, isRecord, K8sObject, kindKeyOf, nameOf, strictStrings } from "../lib/k8s";
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

/** A PolicyRule with every list field read strictly. */
interface PolicyRule {
    index: number;
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames: string[];
}

const LIST_FIELDS = ["apiGroups", "resources", "verbs", "resourceNames"] as const;

interface ReadRules {
    rules: PolicyRule[];
    /** Rules this policy cannot read: reported, never skipped, so `verbs: "*"` cannot pass as granting nothing. */
    malformed: string[];
}

function readRules(obj: K8sObject): ReadRules {
    const found: ReadRules = { rules: [], malformed: [] };
    if (obj.rules === undefined || obj.rules === null) {
        return found;
    }
    if (!Array.isArray(obj.rules)) {
        found.malformed.push(
            `rules is ${describeValue(obj.rules)}, not a list of rules, so what it grants cannot be checked`,
        );
        return found;
    }
    obj.rules.forEach((raw: unknown, index) => {
        if (!isRecord(raw)) {
            found.malformed.push(
                `rules[${index}] is ${describeValue(raw)}, not a rule, so what it grants cannot be checked`,
            );
            return;
        }
        const rule: PolicyRule = { index, apiGroups: [], resources: [], verbs: [], resourceNames: [] };
        const bad: string[] = [];
        for (const field of LIST_FIELDS) {
            const values = strictStrings(raw[field]);
            if (values === undefined) {
                bad.push(`rules[${index}].${field} is ${describeValue(raw[field])}, not a list of strings`);
            } else {
                rule[field] = values;
            }
        }
        if (bad.length > 0) {
            found.malformed.push(
                `${bad.join("; ")}, so what rules[${index}] grants cannot be checked (the API server refuses it too)`,
            );
        } else {
            found.rules.push(rule);
        }
    });
    return found;
}

function reachesSecrets(rule: PolicyRule): boolean {
    return (
        rule.apiGroups.some((g) => g === "" || g === "*") && rule.resources.some((r) => r === "secrets" || r === "*")
    );
}

function roleProblems(obj: K8sObject): string[] {
    const { rules, malformed } = readRules(obj);
    const problems = [...malformed];
    for (const rule of rules.filter(reachesSecrets)) {
        const extra = rule.verbs.filter((v) => v !== "get");
        const where = `rules[${rule.index}] (apiGroups ${JSON.stringify(rule.apiGroups)}, resources ${JSON.stringify(rule.resources)})`;
        if (rule.verbs.length === 0 || extra.length > 0) {
            problems.push(`${where} grants ${JSON.stringify(rule.verbs)} on secrets; only "get" is allowed`);
        }
        if (rule.resourceNames.filter((n) => n !== "").length === 0) {
            problems.push(`${where} reaches every Secret in the namespace: it has no resourceNames`);
        }
    }
    return problems;
}

function clusterRoleProblems(obj: K8sObject, config: ScopedSecretAccessConfig): string[] {
    if (config.allowedClusterRoles.includes(nameOf(obj))) {
        return [];
    }
    const { rules, malformed } = readRules(obj);
    return [
        ...malformed,
        ...rules
            .filter(reachesSecrets)
            .map(
                (rule) =>
                    `rules[${rule.index}] grants ${JSON.stringify(rule.verbs)} on secrets cluster-wide ` +
                    "and the ClusterRole is not in allowedClusterRoles",
            ),
    ];
}

function bindingProblems(obj: K8sObject, config: ScopedSecretAccessConfig): string[] {
    const roleRef = isRecord(obj.roleRef) ? obj.roleRef : {};
    const role = typeof roleRef.name === "string" ? roleRef.name : "";
    const isClusterBinding = obj.kind === "ClusterRoleBinding";
    if (
        roleRef.kind !== "ClusterRole" ||
        !config.secretReadingClusterRoles.includes(role) ||
        config.allowedClusterRoles.includes(role) ||
        (isClusterBinding && config.allowedClusterRoleBindings.includes(nameOf(obj)))
    ) {
        return [];
    }
    const reach = isClusterBinding ? "every Secret in every namespace" : "every Secret in its namespace";
    return [`binds the ClusterRole "${role}", which reads ${reach}`];
}

export const scopedSecretAccess: ResourceRule<ScopedSecretAccessConfig> = {
    scope: "resource",
    name: "scoped-secret-access",
    description:
        "Roles read Secrets only with `get` on named resourceNames; ClusterRoles and bindings that reach Secrets must be allow-listed; " +
        "a rule whose apiGroups, resources, verbs or resourceNames is not a list of strings is a violation.",
    details:
        'a Role reaching `secrets` grants only `get`, only with non-empty `resourceNames`; a ClusterRole reaching secrets, or a (Cluster)RoleBinding to `cluster-admin`/`admin`/`edit`, must be allow-listed in the policy config; a Role or ClusterRole whose `rules` is not a list, or whose rule has `apiGroups`, `resources`, `verbs` or `resourceNames` that is not a list of strings (`verbs: "*"`, `resources: secrets`), is a violation, never read as granting nothing',
    remediationSteps:
        "write apiGroups, resources, verbs and resourceNames as YAML lists; " +
        "grant only `verbs: [get]` with `resourceNames: [<the secrets the workload needs>]` in a namespaced Role; " +
        "if a cluster-wide grant is truly needed, add its name to allowedClusterRoles/allowedClusterRoleBindings in the stack's policy config.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            allowedClusterRoles: stringList(
                "ClusterRoles that may reach Secrets (and may be bound).",
                defaults.allowedClusterRoles,
            ),
            allowedClusterRoleBindings: stringList(
                "ClusterRoleBindings that may bind a Secret-reading ClusterRole.",
                defaults.allowedClusterRoleBindings,
            ),
            secretReadingClusterRoles: stringList(
                "Built-in ClusterRoles known to reach Secrets, checked on RoleBindings and ClusterRoleBindings.",
                defaults.secretReadingClusterRoles,
            ),
        },
    },
    kinds: [
        "Role.rbac.authorization.k8s.io",
        "ClusterRole.rbac.authorization.k8s.io",
        "RoleBinding.rbac.authorization.k8s.io",
        "ClusterRoleBinding.rbac.authorization.k8s.io",
    ],
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
