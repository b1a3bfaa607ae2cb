// The pipeline's least-privilege RBAC: its own ServiceAccount, the image builder binding,
// and a Role with exactly the verbs the pipeline uses. Secrets are reachable only by name.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { managedMeta } from "./metadata";
import { PART_OF, PIPELINE_ROLE } from "./names";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** What the pipeline's Role grants beyond running trial pods. */
export interface PipelineAccess {
    /** The ServiceAccount the Tekton pipeline runs as (created here). */
    readonly serviceAccountName: string;
    /** The only Secrets the pipeline may `get`, by name; empty grants nothing on Secrets. */
    readonly secretNames: readonly string[];
    /** Whether the pipeline may delete PersistentVolumeClaims (per-run volumes). */
    readonly managesPvcs: boolean;
    /** ClusterRole granting use of the pipelines SCC, bound in this namespace; none when undefined. */
    readonly sccClusterRole?: string;
}

export interface PipelineRbacArgs {
    /** Namespace of the ServiceAccount, Role and bindings. */
    readonly namespace: pulumi.Input<string>;
    readonly pipeline: PipelineAccess;
}

/** The Role's rules as data: the component applies them and the RBAC proofs test them. */
export function pipelineRoleRules(pipeline: PipelineAccess): PolicyRule[] {
    const rules: PolicyRule[] = [
        { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete"] },
        // WebSocket exec (kubectl 1.30+, several client libraries) is an HTTP GET, authorized as get.
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
        {
            apiGroups: [""],
            resources: ["persistentvolumeclaims"],
            verbs: pipeline.managesPvcs ? ["get", "list", "create", "delete"] : ["get", "list", "create"],
        },
    ];
    if (pipeline.secretNames.length > 0) {
        // get by name only: list or watch would return every Secret in the namespace.
        rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: [...pipeline.secretNames] });
    }
    return rules;
}

export class PipelineRbac extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: PipelineRbacArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:security:PipelineRbac", name, {}, opts);
        const labels = { ...PART_OF, "app.kubernetes.io/component": "pipeline" };
        const serviceAccount = new k8s.core.v1.ServiceAccount("pipeline", {
            metadata: managedMeta(args.pipeline.serviceAccountName, args.namespace, labels),
        }, { parent: this });
        const subjects = [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: serviceAccount.metadata.namespace }];

        new k8s.rbac.v1.RoleBinding("pipeline-image-builder", {
            metadata: managedMeta("pipeline-image-builder", args.namespace, labels),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:image-builder" },
            subjects,
        }, { parent: this });
        if (args.pipeline.sccClusterRole) {
            // Task pods run under pipelines-scc; without the operator's binding they need this one.
            new k8s.rbac.v1.RoleBinding("pipeline-pipelines-scc", {
                metadata: managedMeta("pipeline-pipelines-scc", args.namespace, labels),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: args.pipeline.sccClusterRole },
                subjects,
            }, { parent: this });
        }
        const role = new k8s.rbac.v1.Role("pipeline-trial-manager", {
            metadata: managedMeta(PIPELINE_ROLE, args.namespace, labels),
            rules: pipelineRoleRules(args.pipeline),
        }, { parent: this });
        new k8s.rbac.v1.RoleBinding("pipeline-trial-manager", {
            metadata: managedMeta(PIPELINE_ROLE, args.namespace, labels),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects,
        }, { parent: this });

        this.serviceAccountName = serviceAccount.metadata.name;
        this.roleName = role.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName, roleName: this.roleName });
    }
}
