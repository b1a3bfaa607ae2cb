// Helpers for the end-to-end suites: run the real Pulumi CLI and kubectl against the local
// control plane that scripts/local-control-plane/run.sh starts (KUBECONFIG) with the toolchain on PATH.
import * as fs from "fs";
import { ok } from "../../scripts/engine/workspace";

export { ok, PulumiWorkspace, REPO_ROOT, run, runAsync } from "../../scripts/engine/workspace";
export type { Result } from "../../scripts/engine/workspace";

export function requireCluster(): string {
    const kubeconfig = process.env.KUBECONFIG;
    if (!kubeconfig || !fs.existsSync(kubeconfig)) {
        throw new Error("KUBECONFIG is not set to a running control plane: run the e2e suites through `npm run test:e2e`");
    }
    return kubeconfig;
}

export function kubectlJson<T>(args: string[]): T {
    return JSON.parse(ok("kubectl", [...args, "-o", "json"]).stdout) as T;
}

