// Runs the program under Pulumi mocks and records every resource it registers: type, name,
// the inputs the engine would receive (outputs resolved), and the resource options that
// matter for data safety. Tests and the policy mutation suite use it.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { AbevalflowConfig, loadConfig, objectConfigSource } from "../components/config";
import { buildInfrastructure } from "../components/infrastructure";

export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs as the provider receives them, every Output resolved. */
    inputs: Record<string, unknown>;
    opts: { protect?: boolean; retainOnDelete?: boolean; aliases?: unknown[] };
    parentType?: string;
}

export interface ProgramRun {
    config: AbevalflowConfig;
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
}

export const REPO_ROOT = path.resolve(__dirname, "..");

/** The `config:` block of a committed stack file, e.g. stackConfig("dev"). */
export function stackConfig(stack: string): Record<string, unknown> {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return parsed.config ?? {};
}

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

    const config = loadConfig(objectConfigSource(values));
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
    // Registration is asynchronous: a resource's URN resolves once the mock has seen it.
    await Promise.all(registered.map((r) => unwrap(r.resource.urn)));
    const resources = registered.map((r) => ({
        type: r.type,
        name: r.name,
        inputs: inputsByKey.get(`${r.type}::${r.name}`) ?? {},
        opts: r.opts,
        parentType: r.parentType,
    }));
    return { config, resources, outputs };
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

export function named(run: ProgramRun, type: string, metadataName: string): RecordedResource {
    const found = ofType(run, type).find((r) => (r.inputs.metadata as { name?: string } | undefined)?.name === metadataName);
    if (!found) {
        throw new Error(`no ${type} named ${metadataName}; have: ${ofType(run, type).map((r) => r.name).join(", ")}`);
    }
    return found;
}
