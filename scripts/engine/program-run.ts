// Runs the program under Pulumi mocks and records every resource it registers: type, name,
// the inputs the engine would receive (outputs resolved), and the resource options that
// matter for data safety. The tests (through tests/harness.ts), the policy mutation suite, the
// docs generator, `npm run render`, the reachability and LiteLLM checks and the mock benchmark
// use it; workspace.ts beside it runs the real Pulumi CLI instead.
import * as pulumi from "@pulumi/pulumi";
import { AbevalflowConfig, loadConfig, objectConfigSource, SECRET_KEYS, stackFileConfig } from "../../components/config";
import { buildInfrastructure } from "../../components/infrastructure";

export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs as the provider receives them, every Output resolved. */
    inputs: Record<string, unknown>;
    opts: { protect?: boolean; retainOnDelete?: boolean; aliases?: unknown[] };
    parentType?: string;
    /** Dotted paths of the inputs the engine receives as secrets, e.g. "stringData". */
    secretPaths: string[];
}

// How the SDK marks a secret value on the wire (sdk/nodejs/runtime/rpc.ts specialSigKey).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown, at: string, secretPaths: string[]): unknown {
    if (Array.isArray(value)) {
        return value.map((item, i) => unwrapSecrets(item, `${at}[${i}]`, secretPaths));
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SIG_KEY] === SECRET_SIG) {
            secretPaths.push(at);
            return unwrapSecrets(obj.value, at, secretPaths);
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, secretPaths)]));
    }
    return value;
}

export interface ProgramRun {
    config: AbevalflowConfig;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
}

// The SDK's own drain point (also used by pulumi.runtime.disconnect); not in its typings.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const stackConfig = stackFileConfig;

function unwrap<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
    return output === undefined ? Promise.resolve(undefined) : new Promise((resolve) => output.apply(resolve));
}

/** Runs the program for the given stack values (as written in a stack file). */
export async function runProgram(values: Record<string, unknown>): Promise<ProgramRun> {
    const inputsByKey = new Map<string, Record<string, unknown>>();
    await pulumi.runtime.setMocks({
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            inputsByKey.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
            const state = args.type === "random:index/randomPassword:RandomPassword"
                ? { ...args.inputs, result: "mock-generated-password" }
                : args.inputs;
            return { id: `${args.name}-id`, state };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    }, "abevalflow", "test", false);

    // As a stack file with `secure:` values would give them: the keys that must be secrets are.
    const config = loadConfig(objectConfigSource(values, [...SECRET_KEYS]));
    const registered: { type: string; name: string; opts: RecordedResource["opts"]; resource: pulumi.Resource; parentType?: string }[] = [];
    const record: pulumi.ResourceTransformation = (args) => {
        const parent = args.opts.parent as (pulumi.Resource & { __pulumiType?: string }) | undefined;
        registered.push({
            type: args.type,
            name: args.name,
            resource: args.resource,
            parentType: parent?.__pulumiType,
            opts: { protect: args.opts.protect, retainOnDelete: args.opts.retainOnDelete, aliases: args.opts.aliases },
        });
        return undefined;
    };
    const infra = buildInfrastructure(config, { transformations: [record] });
    const outputs = {
        namespace: await unwrap(infra.namespace),
        llmMode: infra.llmMode,
        serviceAccounts: await unwrap(infra.serviceAccounts),
        volumeClaims: await unwrap(infra.volumeClaims),
        networkPolicies: await unwrap(infra.networkPolicies),
        litellmUrl: await unwrap(infra.litellmUrl),
    };
    // Registration is asynchronous: a resource's URN resolves once the mock has seen it, and
    // a component's outputs are registered later still. Waiting for the SDK's RPC queue to
    // drain keeps one run's late calls from reaching the next run's mocks.
    await Promise.all(registered.map((r) => unwrap(r.resource.urn)));
    await waitForRPCs();
    const resources = registered.map((r) => {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(inputsByKey.get(`${r.type}::${r.name}`) ?? {}, "", secretPaths) as Record<string, unknown>;
        return { type: r.type, name: r.name, inputs, opts: r.opts, parentType: r.parentType, secretPaths };
    });
    return { config, resources, outputs };
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

export const LLM_MODE_VALUES = ["direct-api", "litellm", "self-hosted"] as const;

/** A committed stack's values with the LLM mode switched. */
export function withMode(stack: string, mode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const values: Record<string, unknown> = { ...stackConfig(stack), "abevalflow:llmMode": mode };
    for (const [key, value] of Object.entries(extra)) {
        values[`abevalflow:${key}`] = value;
    }
    return values;
}

/** Shorthand for a nested field of recorded inputs, e.g. field(r, "spec", "replicas"). */
export function field(resource: RecordedResource, ...pathParts: string[]): unknown {
    let value: unknown = resource.inputs;
    for (const part of pathParts) {
        value = (value as Record<string, unknown> | undefined)?.[part];
    }
    return value;
}
