// The namespace's security slice: pod-security labels, quota with container defaults, the
// trial-pod baseline, the pipeline's RBAC and the trial pods' egress policies.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AbevalflowConfig } from "./config";
import { managedMeta } from "./metadata";
import { NETWORK_POLICIES, PART_OF, PATCH_FORCE, TRIAL_BASELINE_CONFIGMAP } from "./names";
import { defaultDenyEgressSpec, NetworkInputs, trialAllowSpec } from "./networkPolicies";
import { PipelineRbac } from "./rbac";
import { trialPodBaseline } from "./trialBaseline";

export type SecurityArgs = Pick<
    AbevalflowConfig,
    "namespace" | "manageNamespace" | "podSecurity" | "quota" | "containerDefaults" | "trial" | "pipeline"
> & {
    network: NetworkInputs;
    /** Deleting a Namespace deletes every volume in it; protect it as the volumes are protected. */
    protectNamespace: boolean;
};

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
        const namespaceMeta = { name: args.namespace, labels, annotations: { ...PATCH_FORCE } };
        const namespace = args.manageNamespace
            ? new k8s.core.v1.Namespace("namespace", { metadata: namespaceMeta }, {
                parent: this,
                // Removing the Namespace would take the data volumes with it.
                retainOnDelete: true,
                protect: args.protectNamespace,
            })
            : new k8s.core.v1.NamespacePatch("namespace-labels", { metadata: namespaceMeta }, { parent: this });
        this.namespace = namespace.metadata.apply((m) => m?.name ?? args.namespace);
        const ns = this.namespace;
        const meta = (objectName: string) => managedMeta(objectName, ns, { ...PART_OF });

        const q = args.quota;
        new k8s.core.v1.ResourceQuota("quota", {
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
        }, { parent: this });
        // With a cpu/memory quota a pod without requests is rejected; these defaults let it in.
        const d = args.containerDefaults;
        new k8s.core.v1.LimitRange("container-defaults", {
            metadata: meta("abevalflow-container-defaults"),
            spec: {
                limits: [{
                    type: "Container",
                    defaultRequest: { cpu: d.cpuRequest, memory: d.memoryRequest },
                    default: { cpu: d.cpuLimit, memory: d.memoryLimit },
                }],
            },
        }, { parent: this });

        const baseline = trialPodBaseline(args.trial.resources, args.trial.tmpSizeLimit);
        new k8s.core.v1.ConfigMap("trial-baseline", {
            metadata: meta(TRIAL_BASELINE_CONFIGMAP),
            data: {
                "baseline.json": JSON.stringify(baseline, null, 2),
                "podLabels.json": JSON.stringify(args.trial.podLabels),
            },
        }, { parent: this });

        const rbac = new PipelineRbac("pipeline", { namespace: ns, pipeline: args.pipeline }, { parent: this });
        this.pipelineServiceAccountName = rbac.serviceAccountName;

        const deny = new k8s.networking.v1.NetworkPolicy("trial-egress-default-deny", {
            metadata: meta(NETWORK_POLICIES.trialDefaultDeny),
            spec: defaultDenyEgressSpec(args.trial.podLabels),
        }, { parent: this });
        const allowName = NETWORK_POLICIES.trialAllow[args.network.llmMode];
        const allow = new k8s.networking.v1.NetworkPolicy(allowName, {
            metadata: meta(allowName),
            spec: trialAllowSpec(args.network),
        }, { parent: this });
        this.networkPolicyNames = pulumi.all([deny.metadata.name, allow.metadata.name]);

        this.registerOutputs({
            namespace: this.namespace,
            pipelineServiceAccountName: this.pipelineServiceAccountName,
            networkPolicyNames: this.networkPolicyNames,
        });
    }
}
