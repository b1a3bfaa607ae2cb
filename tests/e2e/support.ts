// Helpers for the end-to-end suites: run the real Pulumi CLI and kubectl against the local
// control plane that scripts/local-control-plane/run.sh starts (KUBECONFIG) with the toolchain on PATH.
import * as fs from "fs";
import * as YAML from "yaml";
import { ok } from "../../scripts/engine/workspace";

export { ok, PulumiWorkspace, REPO_ROOT, run, runAsync } from "../../scripts/engine/workspace";
export type { Result } from "../../scripts/engine/workspace";

export function requireCluster(): string {
    const kubeconfig = process.env.KUBECONFIG;
    if (!kubeconfig || !fs.existsSync(kubeconfig)) {
        throw new Error(
            "KUBECONFIG is not set to a running control plane: run the e2e suites through `npm run test:e2e`",
        );
    }
    return kubeconfig;
}

export function kubectlJson<T>(args: string[]): T {
    return JSON.parse(ok("kubectl", [...args, "-o", "json"]).stdout) as T;
}

export interface Kubeconfig {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
    users: { name: string }[];
    "current-context": string;
}

/**
 * The control plane's kubeconfig with two contexts: "local", its own, and "unreachable", whose
 * server answers nothing; the caller picks the current one.
 */
export function twoContextKubeconfig(current: "local" | "unreachable"): Kubeconfig {
    const config = YAML.parse(fs.readFileSync(requireCluster(), "utf8")) as Kubeconfig;
    const local = config.contexts.find((c) => c.name === config["current-context"]);
    if (!local) {
        throw new Error("the local kubeconfig has no current context");
    }
    config.clusters.push({
        name: "nowhere",
        cluster: { server: "https://127.0.0.1:9", "insecure-skip-tls-verify": true },
    });
    config.contexts = [
        { name: "local", context: { ...local.context } },
        { name: "unreachable", context: { cluster: "nowhere", user: local.context.user } },
    ];
    config["current-context"] = current;
    return config;
}
