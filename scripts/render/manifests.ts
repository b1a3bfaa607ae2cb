// The Kubernetes objects the program would send to the API server, rendered under Pulumi
// mocks as plain manifests: what the offline policy checker reads, what the e2e suite
// applies to a real API server, and what the kubectl baseline of the preview benchmark
// submits. Generated values (the LiteLLM master key) are placeholders, and so are values read
// from the cluster at deploy time: a stack without apiServerCidrs gets the mocks' API server
// endpoints (MOCK_API_SERVER_ENDPOINT_SLICE in ../engine/program-run.ts) in its cleanup policy.
import * as YAML from "yaml";
import { committedStacks, LLM_MODES } from "../../components/config";
import { isLlmMode, LlmMode } from "../../components/llmModes";
import { ProgramRun, stackConfig, stackProgram, withMode } from "../engine/program-run";

export type Manifest = Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
};

/** Objects in the order an apply needs them: namespaces first, workloads last. */
const KIND_ORDER = [
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "NetworkPolicy",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "CronJob",
];

export function manifestsOf(run: ProgramRun): Manifest[] {
    const manifests = run.resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"))
        .map((r) => r.inputs as Manifest)
        .filter(
            (m) =>
                typeof m.apiVersion === "string" && typeof m.kind === "string" && typeof m.metadata?.name === "string",
        );
    const rank = (m: Manifest) => {
        const i = KIND_ORDER.indexOf(m.kind);
        return i === -1 ? KIND_ORDER.length : i;
    };
    return [...manifests].sort((a, b) => rank(a) - rank(b));
}

export async function renderStack(stack: string, mode?: LlmMode): Promise<Manifest[]> {
    return manifestsOf(await stackProgram(mode ? withMode(stack, mode) : stackConfig(stack)));
}

export function toYaml(manifests: Manifest[]): string {
    return manifests.map((m) => YAML.stringify(m)).join("---\n");
}

/** What stands in the output for every value of a Secret: a mock value is still not for printing. */
export const NOT_SHOWN = "<not shown: set at deploy time>";

/**
 * `npm run render`'s output: a header that says what the manifests are not, and no Secret
 * value, mock or real.
 */
export function forPeople(stack: string, mode: string | undefined, manifests: Manifest[]): string {
    const header = [
        `# npm run render: the objects of stack ${stack}${mode ? ` in ${mode} mode` : ""} as the program builds them under Pulumi's mocks.`,
        "# NOT DEPLOYABLE. Secret values are left out (the LiteLLM master key is generated at deploy time),",
        "# and what the program reads from the cluster at deploy time is made up (with apiServerCidrs empty,",
        "# the API server addresses in cleanup-egress-allow). Deploy with `pulumi up`.",
        "",
    ].join("\n");
    const redacted = manifests.map((m) => {
        if (m.kind !== "Secret") {
            return m;
        }
        const hide = (values: unknown) =>
            values && typeof values === "object"
                ? Object.fromEntries(Object.keys(values).map((k) => [k, NOT_SHOWN]))
                : values;
        const { data, stringData, ...rest } = m;
        return {
            ...rest,
            ...(data === undefined ? {} : { data: hide(data) }),
            ...(stringData === undefined ? {} : { stringData: hide(stringData) }),
        };
    });
    return header + toYaml(redacted);
}

async function main(): Promise<void> {
    const [stack, mode] = process.argv.slice(2);
    const stacks = committedStacks();
    if (!stack || !stacks.includes(stack) || (mode !== undefined && !isLlmMode(mode))) {
        console.error(
            `usage: npm run --silent render -- <${stacks.join("|")}> [${LLM_MODES.join("|")}]` +
                (stack && !stacks.includes(stack)
                    ? `\nno stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml beside Pulumi.yaml`
                    : ""),
        );
        process.exit(2);
    }
    process.stdout.write(forPeople(stack, mode, await renderStack(stack, mode)));
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(1);
    });
}
