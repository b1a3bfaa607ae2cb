// Reads a policy config file in the format `pulumi preview --policy-pack-config` takes:
// `{ "<policy>" | "all": "<level>" | { "enforcementLevel"?: "<level>", ...properties } }`.
import type { EnforcementLevel } from "@pulumi/policy";
import { isRecord } from "../lib/k8s";
import { Rule } from "../lib/rule";
import { validate } from "../lib/schema";

export const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface ResolvedPolicy {
    rule: Rule;
    level: EnforcementLevel;
    config: object;
}

export class PolicyConfigError extends Error {}

function levelOf(value: unknown, path: string, problems: string[]): EnforcementLevel | undefined {
    const level = LEVELS.find((l) => l === value);
    if (value !== undefined && level === undefined) {
        problems.push(`${path} must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
    }
    return level;
}

/** Every policy with its level and config; throws one error naming every problem in `file`. */
export function resolvePolicies(rules: readonly Rule[], file: unknown, source: string): ResolvedPolicy[] {
    const problems: string[] = [];
    const entries = isRecord(file) ? file : {};
    if (!isRecord(file)) {
        problems.push(`the top level must be an object mapping policy names to settings, got ${JSON.stringify(file)}`);
    }
    for (const key of Object.keys(entries)) {
        if (key !== "all" && !rules.some((r) => r.name === key)) {
            problems.push(`"${key}" is not a policy of this pack (policies: ${rules.map((r) => r.name).join(", ")})`);
        }
    }
    const packLevel = levelOf(entries.all, "all", problems);
    const resolved = rules.map((rule) => {
        const entry = entries[rule.name];
        const settings = isRecord(entry) ? entry : {};
        const level = levelOf(
            isRecord(entry) ? entry.enforcementLevel : entry,
            `${rule.name}.enforcementLevel`,
            problems,
        );
        const { enforcementLevel: _level, ...properties } = settings;
        for (const key of Object.keys(properties)) {
            const schema = rule.configSchema.properties[key];
            if (schema === undefined) {
                problems.push(
                    `${rule.name}.${key} is not a setting of this policy (settings: ${Object.keys(rule.configSchema.properties).join(", ") || "none"})`,
                );
            } else {
                problems.push(...validate(properties[key], schema, `${rule.name}.${key}`));
            }
        }
        return {
            rule,
            level: level ?? packLevel ?? rule.enforcementLevel,
            config: { ...rule.defaults, ...properties },
        };
    });
    if (problems.length > 0) {
        throw new PolicyConfigError(`${source}: invalid policy config:\n  ${problems.join("\n  ")}`);
    }
    return resolved;
}
