// Builders for the few JSON-schema shapes the policies' configs use, and a validator for those
// same shapes so the offline checker rejects a config file the Pulumi CLI would reject.
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

export function stringList(description: string, defaults: readonly string[]): PolicyConfigJSONSchema {
    return { type: "array", items: { type: "string" }, description, default: [...defaults] };
}

/** A list whose entries must each be one of `choices`. */
export function choiceList(
    description: string,
    choices: readonly string[],
    defaults: readonly string[],
): PolicyConfigJSONSchema {
    return { type: "array", items: { type: "string", enum: [...choices] }, description, default: [...defaults] };
}

export function integerList(description: string, defaults: readonly number[]): PolicyConfigJSONSchema {
    return {
        type: "array",
        items: { type: "integer", minimum: 1, maximum: 65535 },
        description,
        default: [...defaults],
    };
}

export function stringMap(description: string, defaults: Readonly<Record<string, string>>): PolicyConfigJSONSchema {
    return { type: "object", additionalProperties: { type: "string" }, description, default: { ...defaults } };
}

export function text(description: string, defaults: string): PolicyConfigJSONSchema {
    return { type: "string", minLength: 1, description, default: defaults };
}

export function integer(description: string, defaults: number, minimum: number): PolicyConfigJSONSchema {
    return { type: "integer", minimum, description, default: defaults };
}

export function flag(description: string, defaults: boolean): PolicyConfigJSONSchema {
    return { type: "boolean", description, default: defaults };
}

function typeOf(value: unknown): string {
    if (value === null) {
        return "null";
    }
    if (Array.isArray(value)) {
        return "array";
    }
    if (typeof value === "number" && Number.isInteger(value)) {
        return "integer";
    }
    return typeof value;
}

/** Problems with `value` against `schema`, each naming the path; empty when valid. */
export function validate(value: unknown, schema: PolicyConfigJSONSchemaDefinition, path: string): string[] {
    if (typeof schema === "boolean") {
        return schema ? [] : [`${path} is not allowed`];
    }
    const actual = typeOf(value);
    if (schema.type !== undefined) {
        const wanted = Array.isArray(schema.type) ? schema.type : [schema.type];
        const ok = wanted.some((t) => t === actual || (t === "number" && actual === "integer"));
        if (!ok) {
            return [`${path} must be ${wanted.join(" or ")}, got ${actual} ${JSON.stringify(value)}`];
        }
    }
    const problems: string[] = [];
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) {
            problems.push(`${path} must be at least ${schema.minimum}, got ${value}`);
        }
        if (schema.maximum !== undefined && value > schema.maximum) {
            problems.push(`${path} must be at most ${schema.maximum}, got ${value}`);
        }
    }
    if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) {
        problems.push(`${path} must not be empty`);
    }
    if (typeof value === "string" && schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
        problems.push(`${path} must match ${schema.pattern}, got ${JSON.stringify(value)}`);
    }
    if (schema.enum !== undefined && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
        problems.push(
            `${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(value)}`,
        );
    }
    if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
        const items = schema.items;
        value.forEach((item, i) => problems.push(...validate(item, items, `${path}[${i}]`)));
    }
    if (actual === "object" && typeof value === "object" && value !== null) {
        for (const [key, item] of Object.entries(value)) {
            const propertySchema = schema.properties?.[key] ?? schema.additionalProperties;
            if (propertySchema !== undefined) {
                problems.push(...validate(item, propertySchema, `${path}.${key}`));
            }
        }
        for (const key of schema.required ?? []) {
            if (!(key in value)) {
                problems.push(`${path}.${key} is required`);
            }
        }
    }
    return problems;
}
