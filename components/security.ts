// The namespace's security slice: pod-security labels, quota with container defaults, the
// trial-pod baseline, the pipeline's RBAC and the trial pods' egress policies.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AbevalflowConfig, Labels, Resources } from "./config";
import { managedMeta } from "./metadata";
import {
    NETWORK_POLICIES,
    OPERATOR_PRUNER_SKIP,
    PART_OF,
    PATCH_FIELD_MANAGER,
    PATCH_FORCE,
    TRIAL_BASELINE_CONFIGMAP,
    TRIAL_POD_NAME_PREFIX_KEY,
} from "./names";
import { llmMode, trialAllowSpec } from "./llmModes";
import { defaultDenyEgressSpec, defaultDenyIngressSpec, EgressTargets, trialIngressAllowSpec } from "./networkPolicies";
import { PipelineAccess, PipelineRbac } from "./rbac";
import { trialPodBaseline } from "./trialBaseline";

export interface SecurityArgs {
    /** The pipeline namespace. */
    readonly namespace: string;
    /** Create the Namespace (retained on destroy); false only adds the labels to an existing one. */
    readonly manageNamespace: boolean;
    /** Deleting a Namespace deletes every volume in it; protect it as the volumes are protected. */
    readonly protectNamespace: boolean;
    /** Pod Security Admission levels, and whether OpenShift's label syncer may rewrite them. */
    readonly podSecurity: AbevalflowConfig["podSecurity"];
    /** ResourceQuota hard limits for pods, cpu, memory and claims. */
    readonly quota: AbevalflowConfig["quota"];
    /** LimitRange defaults for containers that set no requests or limits. */
    readonly containerDefaults: Resources;
    /** Labels that select trial pods (egress policies, published baseline). */
    readonly trialPodLabels: Labels;
    /** TCP ports on trial pods that pods of the namespace may reach; empty isolates them for ingress. */
    readonly trialIngressPorts: readonly number[];
    /** The trial pods' published baseline: resources and the size of their writable /tmp. */
    readonly trialBaseline: {
        readonly resources: Resources;
        readonly tmpSizeLimit: string;
        readonly podNamePrefix: string;
    };
    /** The pipeline's ServiceAccount and what its Role grants. */
    readonly pipeline: PipelineAccess;
    /** What checks the pods the pipeline creates; its pods-create binding waits for it (rbac.ts). */
    readonly pipelinePodChecks?: pulumi.Resource[];
    /** Where trial pods may connect: DNS and the stack's LLM mode. */
    readonly egress: EgressTargets;
    /** Annotate the namespace so OpenShift Pipelines' own pruner leaves its runs alone. */
    readonly skipOperatorPruner: boolean;
    /** What the Namespace waits for: the check that the cluster is the stack's own. */
    readonly clusterVerified: pulumi.Input<pulumi.Resource[]>;
}

export class Security extends pulumi.ComponentResource {
    /** The namespace name, known only once the Namespace (or its label patch) exists. */
    readonly namespace: pulumi.Output<string>;
    readonly pipelineServiceAccountName: pulumi.Output<string>;
    readonly networkPolicyNames: pulumi.Output<string[]>;

    constructor(name: string, args: SecurityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:security:Security", name, {}, opts);
        const ps = args.podSecurity;
        const labels = {
            ...PART_OF,
            "pod-security.kubernetes.io/enforce": ps.enforce,
            "pod-security.kubernetes.io/warn": ps.warn,
            "pod-security.kubernetes.io/audit": ps.audit,
            "security.openshift.io/scc.podSecurityLabelSync": String(ps.labelSync),
        };
        const namespaceMeta = {
            name: args.namespace,
            labels,
            annotations: {
                ...PATCH_FORCE,
                ...PATCH_FIELD_MANAGER,
                ...(args.skipOperatorPruner ? OPERATOR_PRUNER_SKIP : {}),
            },
        };
        const namespace = args.manageNamespace
            ? new k8s.core.v1.Namespace(
                  "namespace",
                  { metadata: namespaceMeta },
                  {
                      parent: this,
                      dependsOn: args.clusterVerified,
                      // Removing the Namespace would take the data volumes with it.
                      retainOnDelete: true,
                      protect: args.protectNamespace,
                  },
              )
            : new k8s.core.v1.NamespacePatch(
                  "namespace-labels",
                  { metadata: namespaceMeta },
                  { parent: this, dependsOn: args.clusterVerified },
              );
        this.namespace = namespace.metadata.apply((m) => m?.name ?? args.namespace);
        const ns = this.namespace;
        const meta = (objectName: string) => managedMeta(objectName, ns, { ...PART_OF });

        const q = args.quota;
        new k8s.core.v1.ResourceQuota(
            "quota",
            {
                metadata: meta("abevalflow-quota"),
                spec: {
                    hard: {
                        pods: String(q.pods),
                        "requests.cpu": q.requestsCpu,
                        "limits.cpu": q.limitsCpu,
                        "requests.memory": q.requestsMemory,
                        "limits.memory": q.limitsMemory,
                        persistentvolumeclaims: String(q.persistentVolumeClaims),
                    },
                },
            },
            { parent: this },
        );
        // With a cpu/memory quota a pod without requests is rejected; these defaults let it in.
        const d = args.containerDefaults;
        new k8s.core.v1.LimitRange(
            "container-defaults",
            {
                metadata: meta("abevalflow-container-defaults"),
                spec: {
                    limits: [
                        {
                            type: "Container",
                            defaultRequest: { cpu: d.cpuRequest, memory: d.memoryRequest },
                            default: { cpu: d.cpuLimit, memory: d.memoryLimit },
                        },
                    ],
                },
            },
            { parent: this },
        );

        const baseline = trialPodBaseline(args.trialBaseline.resources, args.trialBaseline.tmpSizeLimit);
        new k8s.core.v1.ConfigMap(
            "trial-baseline",
            {
                metadata: meta(TRIAL_BASELINE_CONFIGMAP),
                data: {
                    "baseline.json": JSON.stringify(baseline, null, 2),
                    "podLabels.json": JSON.stringify(args.trialPodLabels),
                    // The pipeline names its pods with it (name or generateName); the admission policy holds it to that.
                    [TRIAL_POD_NAME_PREFIX_KEY]: args.trialBaseline.podNamePrefix,
                },
            },
            { parent: this },
        );

        const rbac = new PipelineRbac(
            "pipeline",
            { namespace: ns, pipeline: args.pipeline, podChecks: args.pipelinePodChecks },
            { parent: this },
        );
        this.pipelineServiceAccountName = rbac.serviceAccountName;

        const deny = new k8s.networking.v1.NetworkPolicy(
            "trial-egress-default-deny",
            {
                metadata: meta(NETWORK_POLICIES.trialDefaultDeny),
                spec: defaultDenyEgressSpec(args.trialPodLabels),
            },
            { parent: this },
        );
        const allowName = llmMode(args.egress.llmMode).allowPolicy;
        const allow = new k8s.networking.v1.NetworkPolicy(
            allowName,
            {
                metadata: meta(allowName),
                spec: trialAllowSpec({
                    ...args.egress,
                    namespace: args.namespace,
                    trialPodLabels: args.trialPodLabels,
                }),
            },
            { parent: this },
        );
        const ingressDeny = new k8s.networking.v1.NetworkPolicy(
            NETWORK_POLICIES.trialIngressDefaultDeny,
            {
                metadata: meta(NETWORK_POLICIES.trialIngressDefaultDeny),
                spec: defaultDenyIngressSpec(args.trialPodLabels),
            },
            { parent: this },
        );
        const ingressAllow =
            args.trialIngressPorts.length === 0
                ? undefined
                : new k8s.networking.v1.NetworkPolicy(
                      NETWORK_POLICIES.trialIngressAllow,
                      {
                          metadata: meta(NETWORK_POLICIES.trialIngressAllow),
                          spec: trialIngressAllowSpec(args.trialPodLabels, args.trialIngressPorts),
                      },
                      { parent: this },
                  );
        this.networkPolicyNames = pulumi.all([
            deny.metadata.name,
            allow.metadata.name,
            ingressDeny.metadata.name,
            ...(ingressAllow ? [ingressAllow.metadata.name] : []),
        ]);

        this.registerOutputs({
            namespace: this.namespace,
            pipelineServiceAccountName: this.pipelineServiceAccountName,
            networkPolicyNames: this.networkPolicyNames,
        });
    }
}
