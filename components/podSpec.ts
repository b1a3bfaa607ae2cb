// Pod-level pieces every workload this program runs shares (the LiteLLM proxy, the cleanup
// job, the trial pods' published baseline): the restricted security contexts, resource
// requirements from config, and the content hash that rolls a pod when what it reads changes.
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import { Resources } from "./config";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/** Security context shared by every container this program runs (restricted profile). */
export const RESTRICTED_CONTAINER: SecurityContext = {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

export const RESTRICTED_POD: PodSecurityContext = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

export function resourceRequirements(r: Resources): ResourceRequirements {
    return {
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
    };
}

/** Hex SHA-256 of a text, for pod-template annotations that change when the text does. */
export function sha256(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex");
}
