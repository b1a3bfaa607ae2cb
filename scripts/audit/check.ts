// What the stack promises about the live namespace that `pulumi refresh` cannot see, because
// the objects that break it are not the program's: a NetworkPolicy someone added that selects
// trial pods (policies add up, so it widens what they may reach), rights the pipeline got from
// a binding the program did not make (OpenShift Pipelines recreates `openshift-pipelines-edit`
// while its per-namespace RBAC is on), and the admission policy for the pipeline's pods gone
// or unbound. Pure: cli.ts reads the cluster, this judges what it read.

export type Labels = Record<string, string>;

export interface LabelSelector {
    matchLabels?: Labels;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a selector selects a pod with exactly these labels (the API's semantics; an empty selector selects every pod). */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
    const s = selector ?? {};
    const byLabel = Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpression = (s.matchExpressions ?? []).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                return has && (e.values ?? []).includes(labels[e.key]);
            case "NotIn":
                return !has || !(e.values ?? []).includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
    return byLabel && byExpression;
}

export interface ResourceRule {
    verbs: string[];
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
}

/** One right: a verb on a resource of a group, on one named object or on all ("*"). */
export interface Right {
    group: string;
    resource: string;
    name: string;
    verb: string;
}

export function rightsOf(rules: readonly ResourceRule[]): Right[] {
    return rules.flatMap((r) =>
        (r.apiGroups ?? [""]).flatMap((group) =>
            (r.resources ?? []).flatMap((resource) =>
                ((r.resourceNames ?? []).length > 0 ? r.resourceNames! : ["*"]).flatMap((name) =>
                    r.verbs.map((verb) => ({ group, resource, name, verb })),
                ),
            ),
        ),
    );
}

const covers = (a: Right, b: Right): boolean =>
    (a.group === "*" || a.group === b.group) &&
    (a.resource === "*" || a.resource === b.resource) &&
    (a.verb === "*" || a.verb === b.verb) &&
    (a.name === "*" || a.name === b.name);

export interface LiveNamespace {
    namespace: string;
    trialPodLabels: Labels;
    /** Names of the NetworkPolicies the stack declares. */
    declaredPolicies: readonly string[];
    livePolicies: readonly { name: string; podSelector?: LabelSelector }[];
    /** What the authorizer lets the pipeline do in the namespace (a SelfSubjectRulesReview as its ServiceAccount). */
    pipelineRules: readonly ResourceRule[];
    /** The same for a ServiceAccount with no binding in the namespace: what every account there may do. */
    baselineRules: readonly ResourceRule[];
    /** The rules of the pipeline's Role and of the ClusterRoles the program binds it to, as they are in the cluster. */
    grantedRules: readonly ResourceRule[];
    /** Bindings in the cluster that name the pipeline's ServiceAccount and that the program did not make. */
    foreignBindings: readonly string[];
    /** undefined when the stack has admissionPolicy false. */
    admission?: {
        name: string;
        policy?: { failurePolicy?: string };
        binding?: { policyName?: string; validationActions?: string[]; namespaceLabels?: Labels };
    };
}

export interface Finding {
    check: "network-policies" | "pipeline-rights" | "admission-policy";
    problem: string;
}

export function audit(live: LiveNamespace): Finding[] {
    const findings: Finding[] = [];
    const declared = new Set(live.declaredPolicies);
    for (const p of live.livePolicies) {
        if (!declared.has(p.name) && selects(p.podSelector, live.trialPodLabels)) {
            findings.push({
                check: "network-policies",
                problem: `NetworkPolicy ${live.namespace}/${p.name} selects trial pods and is not the program's: NetworkPolicies add up, so its rules widen what trial pods may reach or what may reach them; delete it, or make it part of the stack`,
            });
        }
    }
    const present = new Set(live.livePolicies.map((p) => p.name));
    for (const name of live.declaredPolicies.filter((n) => !present.has(n))) {
        findings.push({
            check: "network-policies",
            problem: `NetworkPolicy ${live.namespace}/${name} of the stack is missing: run pulumi refresh and pulumi up`,
        });
    }

    const allowed = [...rightsOf(live.grantedRules), ...rightsOf(live.baselineRules)];
    const extra = rightsOf(live.pipelineRules).filter((r) => !allowed.some((a) => covers(a, r)));
    if (extra.length > 0) {
        // By resource, every one: a right left out of the message would be a right nobody reviews.
        const byResource = new Map<string, Set<string>>();
        for (const r of extra) {
            const key = `${r.resource}${r.group ? `.${r.group}` : ""}${r.name === "*" ? "" : ` named ${r.name}`}`;
            byResource.set(key, (byResource.get(key) ?? new Set()).add(r.verb));
        }
        const shown = [...byResource]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([resource, verbs]) => `${resource} (${[...verbs].sort().join(", ")})`)
            .join("; ");
        const from = live.foreignBindings.length > 0 ? `, granted by ${live.foreignBindings.join(", ")}` : "";
        findings.push({
            check: "pipeline-rights",
            problem: `the pipeline may do more than its Role and the program's bindings grant${from}: ${shown}`,
        });
    }

    if (live.admission) {
        const { name, policy, binding } = live.admission;
        if (!policy) {
            findings.push({
                check: "admission-policy",
                problem: `ValidatingAdmissionPolicy ${name} is missing: the pipeline's pods are not checked; run pulumi up`,
            });
        } else if (policy.failurePolicy !== "Fail") {
            findings.push({
                check: "admission-policy",
                problem: `ValidatingAdmissionPolicy ${name} has failurePolicy ${policy.failurePolicy ?? "unset"}, not Fail: a pod it cannot evaluate is admitted`,
            });
        }
        if (!binding) {
            findings.push({
                check: "admission-policy",
                problem: `ValidatingAdmissionPolicyBinding ${name} is missing: the policy is not in force; run pulumi up`,
            });
        } else {
            if (binding.policyName !== name) {
                findings.push({
                    check: "admission-policy",
                    problem: `ValidatingAdmissionPolicyBinding ${name} binds ${binding.policyName ?? "no policy"}, not ${name}`,
                });
            }
            if (!(binding.validationActions ?? []).includes("Deny")) {
                findings.push({
                    check: "admission-policy",
                    problem: `ValidatingAdmissionPolicyBinding ${name} only ${(binding.validationActions ?? []).join(", ") || "does nothing"}: it does not deny`,
                });
            }
            if (binding.namespaceLabels?.["kubernetes.io/metadata.name"] !== live.namespace) {
                findings.push({
                    check: "admission-policy",
                    problem: `ValidatingAdmissionPolicyBinding ${name} does not select namespace ${live.namespace}`,
                });
            }
        }
    }
    return findings;
}
