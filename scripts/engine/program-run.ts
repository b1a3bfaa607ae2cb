// Runs the program under Pulumi mocks and records every resource it registers: type, name,
// the inputs the engine would receive (outputs resolved), and the resource options that
// matter for data safety. The tests (through tests/harness.ts), the policy mutation suite, the
// docs generator, `npm run render`, the reachability and LiteLLM checks and the mock benchmark
// use it; workspace.ts beside it runs the real Pulumi CLI instead.
import * as pulumi from "@pulumi/pulumi";
import {
    AbevalflowConfig,
    LlmMode,
    loadConfig,
    objectConfigSource,
    SECRET_KEYS,
    stackFileConfig,
} from "../../components/config";
import { buildInfrastructure } from "../../components/infrastructure";

export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs as the provider receives them, every Output resolved. */
    inputs: Record<string, unknown>;
    /** dependsOn: "<type>::<name>" of each resource given as is (an Output of resources is not listed). */
    opts: { protect?: boolean; retainOnDelete?: boolean; aliases?: unknown[]; dependsOn: string[] };
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
        return Object.fromEntries(
            Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, secretPaths)]),
        );
    }
    return value;
}

export interface ProgramRun {
    config: AbevalflowConfig;
    /** What the program registers; objects it only reads (`.get`) are in `reads`. */
    resources: RecordedResource[];
    /** Existing objects the program reads at deploy time, by type and id. */
    reads: { type: string; name: string; id: string }[];
    outputs: Record<string, unknown>;
}

/**
 * What the mocks answer for a read of the API server's EndpointSlice (default/kubernetes),
 * which the cleanup's egress policy looks up when a stack leaves apiServerCidrs empty, as the
 * committed stacks do: three control-plane nodes serving on 6443, as on OpenShift. Made-up
 * addresses, like the other generated values under mocks.
 */
export const MOCK_API_SERVER_ENDPOINT_SLICE = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
    addressType: "IPv4",
    endpoints: ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: "https", port: 6443, protocol: "TCP" }],
};

export interface RunOptions {
    /** Objects that reads find, by "<type>::<namespace>/<name>"; the default holds the API server's EndpointSlice. */
    existing?: Record<string, Record<string, unknown>>;
}

export const DEFAULT_EXISTING: Record<string, Record<string, unknown>> = {
    "kubernetes:discovery.k8s.io/v1:EndpointSlice::default/kubernetes": MOCK_API_SERVER_ENDPOINT_SLICE,
};

// The SDK's own drain point (also used by pulumi.runtime.disconnect); not in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an import would take the typings, which lack it
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const stackConfig = stackFileConfig;

/** A mocked registration's or call's inputs, which the SDK types as any: plain values keyed by input name. */
export function mockInputs(
    args: pulumi.runtime.MockResourceArgs | pulumi.runtime.MockCallArgs,
): Record<string, unknown> {
    return args.inputs as Record<string, unknown>;
}

function unwrap<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
    return output === undefined ? Promise.resolve(undefined) : new Promise((resolve) => output.apply(resolve));
}

/**
 * Runs the program for the given stack values (as written in a stack file). A refusal the
 * program can only make at deploy time (a RunError inside an Output, such as API server ports
 * that the EndpointSlice it reads does not serve) reaches no caller: the SDK leaves the
 * resource's registration rejected and waits for it forever. The language host prints such a
 * rejection's message and fails the run; so does this, rejecting with the same RunError.
 */
export async function runProgram(values: Record<string, unknown>, options: RunOptions = {}): Promise<ProgramRun> {
    let refuse: (reason: unknown) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => {
        refuse = reject;
    });
    const onRejection = (reason: unknown): void => refuse(reason);
    process.on("unhandledRejection", onRejection);
    try {
        return await Promise.race([record(values, options), refused]);
    } finally {
        process.removeListener("unhandledRejection", onRejection);
    }
}

async function record(values: Record<string, unknown>, options: RunOptions): Promise<ProgramRun> {
    const inputsByKey = new Map<string, Record<string, unknown>>();
    const existing = options.existing ?? DEFAULT_EXISTING;
    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                // A read (`.get`) comes with the id of the object; a registration with "".
                const found = args.id ? existing[`${args.type}::${args.id}`] : undefined;
                if (found !== undefined) {
                    return { id: args.id, state: found };
                }
                const inputs = mockInputs(args);
                inputsByKey.set(`${args.type}::${args.name}`, inputs);
                const keepers = inputs.keepers as Record<string, string> | undefined;
                const state =
                    args.type === "random:index/randomPassword:RandomPassword"
                        ? // As the provider does, new keepers give a new password.
                          {
                              ...inputs,
                              result: `mock-generated-password${keepers ? `-${Object.values(keepers).join("-")}` : ""}`,
                          }
                        : inputs;
                return { id: `${args.name}-id`, state };
            },
            call: mockInputs,
        },
        "abevalflow",
        "test",
        false,
    );

    // As a stack file with `secure:` values would give them: the keys that must be secrets are.
    const config = loadConfig(objectConfigSource(values, [...SECRET_KEYS]));
    const registered: {
        type: string;
        name: string;
        opts: RecordedResource["opts"];
        resource: pulumi.Resource;
        parentType?: string;
    }[] = [];
    const reads: ProgramRun["reads"] = [];
    const names = new Map<pulumi.Resource, string>();
    const record: pulumi.ResourceTransformation = (args) => {
        names.set(args.resource, `${args.type}::${args.name}`);
        const given = args.opts.dependsOn;
        const dependsOn = (Array.isArray(given) ? given : given ? [given] : [])
            .filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d))
            .map((d) => names.get(d) ?? "(unrecorded)");
        // Every resource carries its type token at run time; the SDK's typings leave it out.
        const parent: (pulumi.Resource & { __pulumiType?: string }) | undefined = args.opts.parent;
        const readId = (args.opts as pulumi.CustomResourceOptions).id;
        if (readId !== undefined) {
            if (typeof readId !== "string") {
                throw new Error(
                    `${args.type} ${args.name} is read by an Output id; the recorder records a read by its id's text, so it takes a plain string`,
                );
            }
            reads.push({ type: args.type, name: args.name, id: readId });
            return undefined;
        }
        registered.push({
            type: args.type,
            name: args.name,
            resource: args.resource,
            parentType: parent?.__pulumiType,
            opts: {
                protect: args.opts.protect,
                retainOnDelete: args.opts.retainOnDelete,
                aliases: args.opts.aliases,
                dependsOn,
            },
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
        const inputs = unwrapSecrets(inputsByKey.get(`${r.type}::${r.name}`) ?? {}, "", secretPaths) as Record<
            string,
            unknown
        >;
        return { type: r.type, name: r.name, inputs, opts: r.opts, parentType: r.parentType, secretPaths };
    });
    return { config, resources, reads, outputs };
}

/**
 * A stack's objects for its values, under mocks that answer its cluster check with the stack's
 * own uid (abevalflow:clusterId): what render, migrate, audit, dead-letter and deployer work from.
 */
export function stackProgram(values: Record<string, unknown>): Promise<ProgramRun> {
    const kubeSystem = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "kube-system", uid: values["abevalflow:clusterId"] },
    };
    return runProgram(values, {
        existing: { ...DEFAULT_EXISTING, "kubernetes:core/v1:Namespace::kube-system": kubeSystem },
    });
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** A committed stack's values with the LLM mode switched. */
export function withMode(stack: string, mode: LlmMode, extra: Record<string, unknown> = {}): Record<string, unknown> {
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
