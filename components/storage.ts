// The data volumes. They outlive every Pulumi operation: retained on delete (so destroy,
// a replacement or a removed resource leaves the claim and its data in place), aliased so a
// renamed or re-parented resource is the same claim, and protected where the stack says so.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RETAIN_ANNOTATION } from "../common/retention";
import { AbevalflowConfig, VolumeConfig } from "./config";
import { PART_OF, PATCH_FIELD_MANAGER, SKIP_AWAIT, VOLUMES } from "./names";

export interface StorageArgs {
    namespace: pulumi.Input<string>;
    storage: AbevalflowConfig["storage"];
}

export class Storage extends pulumi.ComponentResource {
    readonly workspaceClaimName: pulumi.Output<string>;
    readonly deadLetterClaimName: pulumi.Output<string>;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:storage:Storage", name, {}, opts);
        const claim = (logicalName: string, claimName: string, volume: VolumeConfig, purpose: string) =>
            new k8s.core.v1.PersistentVolumeClaim(
                logicalName,
                {
                    metadata: {
                        name: claimName,
                        namespace: args.namespace,
                        labels: { ...PART_OF, "app.kubernetes.io/component": purpose },
                        // retainOnDelete is invisible to policy packs and to anyone reading the
                        // object; the annotation says on the claim itself that it is kept. No
                        // patchForce: after a resize by hand, `pulumi up` stops on the conflict
                        // and names the field, so the size is settled in config, never forced.
                        // The provider's create wait (4.25.0 awaiters.go untilCoreV1PersistentVolumeClaimReady)
                        // wants Pending on a WaitForFirstConsumer class and Bound otherwise; a
                        // claim adopted already bound on such a class never satisfies it, so the
                        // first pulumi up over it would time out after five minutes.
                        annotations: {
                            ...RETAIN_ANNOTATION,
                            ...PATCH_FIELD_MANAGER,
                            ...(args.storage.adoptExisting ? SKIP_AWAIT : {}),
                        },
                    },
                    spec: {
                        accessModes: [volume.accessMode],
                        storageClassName: volume.storageClass,
                        resources: { requests: { storage: volume.size } },
                    },
                },
                {
                    parent: this,
                    retainOnDelete: true,
                    protect: args.storage.protect,
                    // A claim imported at the top level of a stack (pulumi import of an existing
                    // volume) is the same claim as the one this component declares.
                    aliases: [{ parent: pulumi.rootStackResource }],
                },
            );

        this.workspaceClaimName = claim(
            "workspace",
            VOLUMES.workspace,
            args.storage.workspace,
            "workspace",
        ).metadata.name;
        this.deadLetterClaimName = claim(
            "dead-letter",
            VOLUMES.deadLetter,
            args.storage.deadLetter,
            "dead-letter",
        ).metadata.name;
        this.registerOutputs({
            workspaceClaimName: this.workspaceClaimName,
            deadLetterClaimName: this.deadLetterClaimName,
        });
    }
}
