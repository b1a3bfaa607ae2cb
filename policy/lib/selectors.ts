// Label-selector semantics shared by the NetworkPolicy, PDB and RBAC rules.
import { isRecord, labelsOf, LabelSelector, Labels, list, strings } from "./k8s";

interface Requirement {
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values: string[];
}

const OPERATORS: readonly Requirement["operator"][] = ["In", "NotIn", "Exists", "DoesNotExist"];

/** matchLabels and matchExpressions as one list of requirements; undefined if a part is unreadable. */
function requirementsOf(selector: LabelSelector): Requirement[] | undefined {
    const requirements: Requirement[] = Object.entries(labelsOf(selector.matchLabels)).map(([key, value]) => ({
        key,
        operator: "In",
        values: [value],
    }));
    for (const expr of list(selector.matchExpressions)) {
        const operator = OPERATORS.find((op) => op === expr?.operator);
        if (!isRecord(expr) || typeof expr.key !== "string" || operator === undefined) {
            return undefined;
        }
        requirements.push({ key: expr.key, operator, values: strings(expr.values) });
    }
    return requirements;
}

/** `{}` selects everything; a missing selector is not the same thing and is not empty. */
export function isEmptySelector(selector: unknown): boolean {
    if (!isRecord(selector)) {
        return false;
    }
    const requirements = requirementsOf(selector);
    return requirements !== undefined && requirements.length === 0;
}

function satisfies(requirement: Requirement, labels: Labels): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
    switch (requirement.operator) {
        case "In":
            return has && requirement.values.includes(labels[requirement.key]);
        case "NotIn":
            return !has || !requirement.values.includes(labels[requirement.key]);
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
    }
}

/** Whether `selector` selects a pod carrying `labels`. An unreadable selector selects nothing. */
export function selects(selector: unknown, labels: Labels): boolean {
    if (!isRecord(selector)) {
        return false;
    }
    const requirements = requirementsOf(selector);
    return requirements !== undefined && requirements.every((r) => satisfies(r, labels));
}

/** Whether requirement `inner` alone guarantees `outer` (a conservative, syntactic test). */
function implies(inner: Requirement, outer: Requirement): boolean {
    if (inner.key !== outer.key) {
        return false;
    }
    switch (outer.operator) {
        case "In":
            return inner.operator === "In" && inner.values.every((v) => outer.values.includes(v));
        case "Exists":
            return inner.operator === "In" || inner.operator === "Exists";
        case "NotIn":
            return (
                (inner.operator === "In" && inner.values.every((v) => !outer.values.includes(v))) ||
                (inner.operator === "NotIn" && outer.values.every((v) => inner.values.includes(v))) ||
                inner.operator === "DoesNotExist"
            );
        case "DoesNotExist":
            return inner.operator === "DoesNotExist";
    }
}

/**
 * Whether every pod `inner` selects is also selected by `outer`. Conservative: it may answer
 * false for exotic selectors that do cover, never true for selectors that do not.
 */
export function covers(outer: unknown, inner: unknown): boolean {
    if (!isRecord(outer) || !isRecord(inner)) {
        return false;
    }
    const outerReqs = requirementsOf(outer);
    const innerReqs = requirementsOf(inner);
    if (outerReqs === undefined || innerReqs === undefined) {
        return false;
    }
    return outerReqs.every((o) => innerReqs.some((i) => implies(i, o)));
}

export function describeSelector(selector: unknown): string {
    return isRecord(selector) ? JSON.stringify(selector) : "(none)";
}
