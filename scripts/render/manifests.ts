// The Kubernetes objects the program would send to the API server, rendered under Pulumi
// mocks as plain manifests: what the offline policy checker reads, what the e2e suite
// applies to a real API server, and what the kubectl baseline of the preview benchmark
// submits. Generated values (the LiteLLM master key) are placeholders, and so are values read
// from the cluster at deploy time: a stack without apiServerCidrs gets the mocks' API server
// endpoints (MOCK_API_SERVER_ENDPOINT_SLICE in ../engine/program-run.ts) in its cleanup policy.
import * as YAML from "yaml";
import { LLM_MODES } from "../../components/config";
import { ProgramRun, runProgram, stackConfig, withMode } from "../engine/program-run";

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** Objects in the order an apply needs them: namespaces first, workloads last. */
const KIND_ORDER = ["Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret",
    "PersistentVolumeClaim", "NetworkPolicy", "Service", "Deployment", "PodDisruptionBudget", "CronJob"];

export function manifestsOf(run: ProgramRun): Manifest[] {
    const manifests = run.resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"))
        .map((r) => r.inputs as Manifest)
        .filter((m) => typeof m.apiVersion === "string" && typeof m.kind === "string" && typeof m.metadata?.name === "string");
    const rank = (m: Manifest) => {
        const i = KIND_ORDER.indexOf(m.kind);
        return i === -1 ? KIND_ORDER.length : i;
    };
    return [...manifests].sort((a, b) => rank(a) - rank(b));
}

export async function renderStack(stack: string, mode?: string): Promise<Manifest[]> {
    return manifestsOf(await runProgram(mode ? withMode(stack, mode) : stackConfig(stack)));
}

export function toYaml(manifests: Manifest[]): string {
    return manifests.map((m) => YAML.stringify(m)).join("---\n");
}

async function main(): Promise<void> {
    const [stack, mode] = process.argv.slice(2);
    if (!stack || !["dev", "prod"].includes(stack) || (mode !== undefined && !(LLM_MODES as readonly string[]).includes(mode))) {
        console.error(`usage: npm run --silent render -- <dev|prod> [${LLM_MODES.join("|")}]`);
        process.exit(2);
    }
    process.stdout.write(toYaml(await renderStack(stack, mode)));
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(1);
    });
}
