// Reads the stack configuration once, checks that the cluster is the stack's own, builds the
// slices and exports the outputs.
// First, before anything loads the Pulumi SDK: refuse compiled output older than its sources,
// and cut what the SDK does that nothing here needs (common/sdkOverhead.ts).
import "./common/freshBuild";
import { unmappedStackTraces } from "./common/sdkOverhead";
import { loadConfig } from "./components/config";
import { buildInfrastructure, stackCluster } from "./components/infrastructure";

unmappedStackTraces(__filename);

export = (async () => {
    const config = loadConfig();
    const cluster = stackCluster(config);
    // Nothing else is registered before the check settles (components/cluster.ts).
    await cluster.checked;
    const infra = buildInfrastructure(config, {}, cluster);
    return {
        namespace: infra.namespace,
        llmMode: infra.llmMode,
        serviceAccounts: infra.serviceAccounts,
        volumeClaims: infra.volumeClaims,
        networkPolicies: infra.networkPolicies,
        litellmUrl: infra.litellmUrl,
        previewServiceAccount: infra.previewServiceAccount,
    };
})();
