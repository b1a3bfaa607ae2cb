// The security baseline every trial pod gets. The pod launcher reads it from a ConfigMap
// the security slice publishes; tests and policies import the same object, so the baseline
// has one definition.
import * as k8s from "@pulumi/kubernetes";
import { Resources } from "./config";
import { RESTRICTED_CONTAINER, RESTRICTED_POD, resourceRequirements } from "./podSpec";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export interface TrialPodBaseline {
    podSecurityContext: PodSecurityContext;
    containerSecurityContext: SecurityContext;
    resources: ResourceRequirements;
    volumes: Volume[];
    volumeMounts: VolumeMount[];
    automountServiceAccountToken: boolean;
}

export function trialPodBaseline(resources: Resources, tmpSizeLimit: string): TrialPodBaseline {
    return {
        podSecurityContext: RESTRICTED_POD,
        containerSecurityContext: RESTRICTED_CONTAINER,
        resources: resourceRequirements(resources),
        // The root filesystem is read-only; /tmp is the one writable place, and bounded.
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: tmpSizeLimit } }],
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        // Trial pods call an LLM; they have no business with the Kubernetes API.
        automountServiceAccountToken: false,
    };
}
