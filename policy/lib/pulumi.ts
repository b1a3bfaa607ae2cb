// Wraps a rule as a CrossGuard policy. The engine hands over resources as type tokens plus
// camelCase Kubernetes properties: the same shape as YAML once apiVersion and kind are known.
import type {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { K8sObject, kindKey, typeMetaOfToken } from "./k8s";
import { ResourceRule, Rule, StackRule, violationMessage } from "./rule";

/** The resource as a Kubernetes object, or undefined when the token is not a Kubernetes kind. */
export function objectOf(type: string, props: Record<string, unknown>): K8sObject | undefined {
    const meta = typeMetaOfToken(type);
    if (meta === undefined) {
        return undefined;
    }
    // The SDK sets apiVersion and kind on every resource, so the properties are used as they are:
    // copying reads every property, and during preview an unknown one aborts the policy.
    // Only an object lacking them is completed from the token.
    return props.apiVersion === meta.apiVersion && props.kind === meta.kind ? props : { ...props, ...meta };
}

/** Defaults first: the engine passes only what the policy config file sets. */
export function configOf<C extends object>(rule: { defaults: C }, given: object): C {
    return { ...rule.defaults, ...given };
}

function metadataOf(rule: Rule) {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        configSchema: rule.configSchema,
        remediationSteps: rule.remediationSteps,
    };
}

function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
    return {
        ...metadataOf(rule),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const meta = typeMetaOfToken(args.type);
            if (meta === undefined || !rule.kinds.includes(kindKey(meta.apiVersion, meta.kind))) {
                return;
            }
            const obj = objectOf(args.type, args.props);
            if (obj === undefined) {
                return;
            }
            for (const problem of rule.check(obj, configOf(rule, args.getConfig()), { protect: args.opts.protect })) {
                report(violationMessage(rule, problem));
            }
        },
    };
}

function stackPolicy(rule: StackRule): StackValidationPolicy {
    return {
        ...metadataOf(rule),
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const urns = new Map<K8sObject, string>();
            for (const resource of args.resources) {
                const obj = objectOf(resource.type, resource.props);
                if (obj !== undefined) {
                    urns.set(obj, resource.urn);
                }
            }
            for (const finding of rule.check([...urns.keys()], configOf(rule, args.getConfig()))) {
                report(
                    violationMessage(rule, finding.message),
                    finding.subject === undefined ? undefined : urns.get(finding.subject),
                );
            }
        },
    };
}

export function toPulumiPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
    return rule.scope === "resource" ? resourcePolicy(rule) : stackPolicy(rule);
}
