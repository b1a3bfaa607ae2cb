// A rule is written once as pure functions over plain Kubernetes objects; the Pulumi pack
// (lib/pulumi.ts) and the offline checker (checker/) are two thin callers of the same rule.
import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";
import { K8sObject, KindKey } from "./k8s";

interface RuleMeta<C extends object> {
    /** The policy name: unique in the pack, used in config files and reports. */
    name: string;
    description: string;
    /** What the rule requires in full, for the levels table of docs/policy-pack.md (generated). */
    details: string;
    /** Appended to every violation message, so a report line says what to do about it. */
    remediationSteps: string;
    /** The level when no policy config says otherwise. */
    enforcementLevel: EnforcementLevel;
    /** Every config property with its default; the schema below is derived from the same object. */
    defaults: C;
    configSchema: PolicyConfigSchema;
}

/** What the Pulumi engine tells a policy about a resource beyond its properties. */
export interface ResourceContext {
    /** `opts.protect`; unknown (undefined) for plain YAML. */
    protect?: boolean;
}

export interface ResourceRule<C extends object = object> extends RuleMeta<C> {
    scope: "resource";
    kinds: readonly KindKey[];
    /** One message per violation; an empty list means compliant. */
    check(obj: K8sObject, config: C, ctx: ResourceContext): string[];
}

export interface StackFinding {
    /** The offending object, or undefined when the stack as a whole is at fault. */
    subject?: K8sObject;
    message: string;
}

export interface StackRule<C extends object = object> extends RuleMeta<C> {
    scope: "stack";
    check(objects: readonly K8sObject[], config: C): StackFinding[];
}

export type Rule = ResourceRule | StackRule;

export function violationMessage(rule: Rule, problem: string): string {
    return `${problem}. Remediation: ${rule.remediationSteps}`;
}
