// The one kubernetes provider every object goes through, configured per stack, and the check
// that the cluster it reaches is the stack's own: a stack pointed at the wrong kubeconfig
// context stops before anything in it changes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterArgs {
    /** kubeconfig context; undefined uses the current context. */
    readonly context?: string;
    /** uid of namespace kube-system in the stack's cluster; undefined skips the check. */
    readonly id?: string;
}

export class Cluster extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;
    /**
     * For dependsOn: resolves once the cluster is known to be the stack's own, and rejects,
     * naming both clusters, when it is not, so a resource that depends on it is never sent.
     */
    readonly verified: pulumi.Output<pulumi.Resource[]>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:cluster:Cluster", name, {}, opts);
        this.provider = new k8s.Provider("cluster", { context: args.context }, { parent: this });
        if (args.id === undefined) {
            this.verified = pulumi.output([]);
        } else {
            const expected = args.id;
            const kubeSystem = k8s.core.v1.Namespace.get("cluster-identity", "kube-system", { parent: this, provider: this.provider });
            this.verified = kubeSystem.metadata.uid.apply((uid) => {
                if (uid !== expected) {
                    throw new pulumi.ResourceError(
                        `this stack belongs to the cluster whose kube-system namespace has uid ${expected} (abevalflow:clusterId), ` +
                        `but ${args.context ? `context ${args.context}` : "the current kubeconfig context"} reaches one with uid ${uid}; ` +
                        "nothing was changed. Select the right context (abevalflow:kubeContext) or stack.",
                        // The message says it all; without hideStack the engine prints the whole component.
                        this, true);
                }
                return [kubeSystem];
            });
        }
        this.registerOutputs({});
    }
}
