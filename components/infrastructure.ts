// Wires the slices together from one validated configuration. index.ts and the tests both
// call this, so the program the tests inspect is the program that deploys.
import * as pulumi from "@pulumi/pulumi";
import { Cleanup } from "./cleanup";
import { Cluster } from "./cluster";
import { AbevalflowConfig, LlmMode } from "./config";
import { TrialAdmission, trialAdmissionArgs } from "./admission";
import { LiteLLM } from "./litellm";
import { EgressTargets } from "./networkPolicies";
import { PreviewIdentity } from "./rbac";
import { Security } from "./security";
import { Storage } from "./storage";

export interface Infrastructure {
    namespace: pulumi.Output<string>;
    llmMode: LlmMode;
    serviceAccounts: pulumi.Output<Record<string, string>>;
    volumeClaims: pulumi.Output<{ workspace: string; deadLetter: string }>;
    networkPolicies: pulumi.Output<string[]>;
    litellmUrl?: pulumi.Output<string>;
    /** The read-only ServiceAccount pull-request previews run as; undefined when previewIdentity is false. */
    previewServiceAccount?: pulumi.Output<string>;
}

/** The stack's provider and cluster check (index.ts awaits the check before buildInfrastructure). */
export function stackCluster(cfg: AbevalflowConfig, opts: pulumi.ComponentResourceOptions = {}): Cluster {
    return new Cluster("cluster", { context: cfg.cluster.context, id: cfg.cluster.id }, opts);
}

/** opts apply to every slice and through them to every child. */
export function buildInfrastructure(
    cfg: AbevalflowConfig,
    baseOpts: pulumi.ComponentResourceOptions = {},
    cluster: Cluster = stackCluster(cfg, baseOpts),
): Infrastructure {
    const opts: pulumi.ComponentResourceOptions = { ...baseOpts, providers: [cluster.provider] };
    const egress: EgressTargets = {
        llmMode: cfg.llmMode,
        dns: cfg.dns,
        directApi: cfg.directApi,
        selfHosted: cfg.selfHosted,
        litellmPort: cfg.litellm?.port,
    };
    // Cluster-scoped, so not after the Namespace: it waits for the cluster check itself.
    const admission = cfg.admission.enabled
        ? new TrialAdmission("trial-admission", { ...trialAdmissionArgs(cfg), clusterVerified: cluster.verified }, opts)
        : undefined;
    const security = new Security(
        "security",
        {
            namespace: cfg.namespace,
            manageNamespace: cfg.manageNamespace,
            protectNamespace: cfg.storage.protect,
            podSecurity: cfg.podSecurity,
            quota: cfg.quota,
            containerDefaults: cfg.containerDefaults,
            trialPodLabels: cfg.trial.podLabels,
            trialIngressPorts: cfg.trial.ingressPorts,
            trialBaseline: {
                resources: cfg.trial.resources,
                tmpSizeLimit: cfg.trial.tmpSizeLimit,
                podNamePrefix: cfg.admission.podNamePrefix,
            },
            pipeline: {
                serviceAccountName: cfg.pipeline.serviceAccountName,
                secretNames: cfg.pipeline.secretNames,
                managesPvcs: cfg.pipeline.managesPvcs,
                sccClusterRole: cfg.pipeline.sccClusterRole,
            },
            // A component as dependsOn stands for all its children: the policy and its binding.
            pipelinePodChecks: admission ? [admission] : undefined,
            // The operator's pruner keeps only a count of runs and would delete failed ones before
            // the cleanup copies them to the dead letter.
            skipOperatorPruner: cfg.cleanup.deadLetter,
            // Everything else lives in the namespace, so nothing is sent before the cluster check.
            clusterVerified: cluster.verified,
            egress,
        },
        opts,
    );
    const namespace = security.namespace;
    const storage = new Storage("storage", { namespace, storage: cfg.storage }, opts);
    const litellm = cfg.litellm
        ? new LiteLLM("litellm", { namespace, litellm: cfg.litellm, trialPodLabels: cfg.trial.podLabels, egress }, opts)
        : undefined;

    const cleanup = new Cleanup(
        "cleanup",
        {
            namespace,
            config: cfg.cleanup,
            trialPodLabels: cfg.trial.podLabels,
            deadLetterClaimName: storage.deadLetterClaimName,
            dns: cfg.dns,
        },
        opts,
    );

    const preview = cfg.preview.identity
        ? new PreviewIdentity(
              "preview",
              {
                  namespace,
                  access: {
                      namespace: cfg.namespace,
                      admissionPolicy: cfg.admission.enabled,
                      readsApiServerEndpoints: cfg.cleanup.apiServer.cidrs.length === 0,
                  },
                  clusterVerified: cluster.verified,
              },
              opts,
          )
        : undefined;

    const serviceAccounts: Record<string, pulumi.Output<string>> = {
        pipeline: security.pipelineServiceAccountName,
        cleanup: cleanup.serviceAccountName,
    };
    if (litellm) {
        serviceAccounts.litellm = litellm.serviceAccountName;
    }
    return {
        namespace,
        llmMode: cfg.llmMode,
        serviceAccounts: pulumi.output(serviceAccounts),
        volumeClaims: pulumi.output({ workspace: storage.workspaceClaimName, deadLetter: storage.deadLetterClaimName }),
        networkPolicies: pulumi
            .all([
                security.networkPolicyNames,
                litellm?.networkPolicyNames ?? pulumi.output([]),
                cleanup.networkPolicyNames,
            ])
            .apply(([trial, proxy, job]) => [...trial, ...proxy, ...job]),
        litellmUrl: litellm?.url,
        previewServiceAccount: preview?.serviceAccountName,
    };
}
