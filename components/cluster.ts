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

/** Where a stack's commands go, in the words of every message about it (the program's and npm run migrate's). */
export function clusterTarget(context: string | undefined): string {
    return `${context ? `context ${context}` : "the current context"} of the kubeconfig`;
}

/** The refusal when the cluster reached is not the stack's; the caller says what was not done. */
export function wrongCluster(expected: string, target: string, found: string): string {
    return (
        `this stack belongs to the cluster whose kube-system namespace has uid ${expected} (abevalflow:clusterId), ` +
        `but ${target} reaches one with uid ${found}`
    );
}

export class Cluster extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;
    /**
     * Settles once the cluster is known: resolves when it is the stack's own and rejects,
     * naming both clusters, when it is not. index.ts awaits it before anything else is
     * registered, so a wrong cluster ends with this one message; had the other resources been
     * registered, each would fail with it, and the SDK (3.248) spends some 25 s collecting the
     * thousands of rejected promises that leaves.
     */
    readonly checked: Promise<void>;
    /** For dependsOn: the same check as an Output, for resources built without awaiting it (tests under mocks). */
    readonly verified: pulumi.Output<pulumi.Resource[]>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:cluster:Cluster", name, {}, opts);
        // The kubeconfig is KUBECONFIG's, never the stack's: config.ts refuses one in the stack's configuration.
        // ConfigMaps and Secrets are updated in place. The provider's default replaces one whose
        // data changed, and a replacement under the same name deletes first, together with what
        // depends on it: a new proxy configuration or master key would delete the Deployment, every
        // replica at once. In place, the pod template's digests of them (litellm.ts) roll the proxy.
        this.provider = new k8s.Provider(
            "cluster",
            { context: args.context, enableConfigMapMutable: true, enableSecretMutable: true },
            { parent: this },
        );
        const reached = clusterTarget(args.context);
        if (args.id === undefined) {
            this.checked = Promise.resolve();
            this.verified = pulumi.output([]);
        } else {
            const expected = args.id;
            const kubeSystem = k8s.core.v1.Namespace.get("cluster-identity", "kube-system", {
                parent: this,
                provider: this.provider,
            });
            // A read is carried out in previews too, so the uid is always known here.
            const uid = new Promise<string>((resolve) => kubeSystem.metadata.uid.apply((u) => resolve(u)));
            this.checked = uid.then((found) => {
                if (found !== expected) {
                    // A RunError: the engine prints its message alone, where a ResourceError is
                    // also put through util.inspect with the whole resource graph attached.
                    throw new pulumi.RunError(
                        `${wrongCluster(expected, reached, found)}; ` +
                            "nothing was changed. Select the right context (abevalflow:kubeContext) or stack.",
                    );
                }
            });
            this.verified = pulumi.output(this.checked.then(() => [kubeSystem]));
        }
        this.registerOutputs({});
    }
}
