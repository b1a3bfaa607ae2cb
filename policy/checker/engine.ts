// Runs the pack's rules over plain objects, the way the Pulumi engine runs the pack over a
// stack: resource rules on each object of their kinds, stack rules once over all objects.
import type { EnforcementLevel } from "@pulumi/policy";
import { groupBy, K8sObject, kindKeyOf, nameOf, namespaceOf } from "../lib/k8s";
import { ResourceContext, violationMessage } from "../lib/rule";
import { ResolvedPolicy } from "./config";

export interface Subject {
    object: K8sObject;
    /** What Pulumi would tell the policy (protect); empty for plain YAML. */
    context?: ResourceContext;
}

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    kind: string;
    namespace: string | null;
    name: string;
    message: string;
}

/** A rule threw on some input: reported as an error, never as a pass. */
export class RuleError extends Error {}

function violation(policy: ResolvedPolicy, obj: K8sObject | undefined, problem: string): Violation {
    return {
        policy: policy.rule.name,
        // As @pulumi/policy does: a violation that survives remediation is reported as mandatory.
        enforcementLevel: policy.level === "remediate" ? "mandatory" : policy.level,
        kind: obj === undefined ? "Stack" : String(obj.kind),
        namespace: obj === undefined ? null : namespaceOf(obj),
        name: obj === undefined ? "(stack)" : nameOf(obj),
        message: violationMessage(policy.rule, problem),
    };
}

function guarded<T>(policy: ResolvedPolicy, what: string, run: () => T): T {
    try {
        return run();
    } catch (err) {
        throw new RuleError(`policy ${policy.rule.name} failed on ${what}: ${(err as Error).message}`);
    }
}

export function checkSubjects(subjects: readonly Subject[], policies: readonly ResolvedPolicy[]): Violation[] {
    const active = policies.filter((p) => p.level !== "disabled");
    const byKind = groupBy(subjects, (subject) => kindKeyOf(subject.object));
    const found: Violation[] = [];
    for (const policy of active) {
        const { rule, config } = policy;
        if (rule.scope === "resource") {
            for (const subject of rule.kinds.flatMap((kind) => byKind.get(kind) ?? [])) {
                const problems = guarded(policy, `${kindKeyOf(subject.object)} ${nameOf(subject.object)}`, () =>
                    rule.check(subject.object, config, subject.context ?? {}),
                );
                found.push(...problems.map((problem) => violation(policy, subject.object, problem)));
            }
        } else {
            const findings = guarded(policy, "the stack", () =>
                rule.check(
                    subjects.map((s) => s.object),
                    config,
                ),
            );
            found.push(...findings.map((f) => violation(policy, f.subject, f.message)));
        }
    }
    return found;
}
