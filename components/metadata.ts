// Metadata of every object the program manages except the data volumes (storage.ts), so
// each one carries the same ownership rule.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PATCH_FIELD_MANAGER, PATCH_FORCE, SKIP_AWAIT } from "./names";

export interface ManagedMetaOptions {
    /** Only on the local control plane: objects whose readiness needs a scheduler and kubelet. */
    skipAwait?: boolean;
}

export function managedMeta(
    name: string,
    namespace: pulumi.Input<string>,
    labels: Record<string, string>,
    opts: ManagedMetaOptions = {},
): k8s.types.input.meta.v1.ObjectMeta {
    return {
        name,
        namespace,
        labels,
        annotations: { ...PATCH_FORCE, ...PATCH_FIELD_MANAGER, ...(opts.skipAwait ? SKIP_AWAIT : {}) },
    };
}
