// Workspace and dead-letter claims hold the only copy of run artefacts; deleting the stack or
// the chart must not delete them. Pulumi's `retainOnDelete` is not visible to policy packs
// (@pulumi/policy 1.21 passes `protect` but not `retainOnDelete`), so a retained claim says so
// with an annotation, which is also what Helm honours.
import { RETAIN_ANNOTATION } from "../../common/retention";
import { K8sObject } from "../lib/k8s";
import { ResourceContext, ResourceRule } from "../lib/rule";
import { flag, stringMap } from "../lib/schema";

export interface PvcRetainedConfig {
    retainAnnotations: Record<string, string>;
    acceptProtect: boolean;
}

const defaults: PvcRetainedConfig = {
    retainAnnotations: { ...RETAIN_ANNOTATION },
    acceptProtect: true,
};

export const pvcRetained: ResourceRule<PvcRetainedConfig> = {
    scope: "resource",
    name: "pvc-retained",
    description:
        "PersistentVolumeClaims survive deletion of the stack or chart: Pulumi `protect`, or an annotation such as `helm.sh/resource-policy: keep`.",
    details: "a PersistentVolumeClaim is Pulumi-`protect`ed or annotated `helm.sh/resource-policy: keep`",
    remediationSteps:
        "in Pulumi set `protect: true` on the claim (with `retainOnDelete: true`), or annotate it " +
        "`helm.sh/resource-policy: keep`; in plain YAML or Helm add that annotation.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            retainAnnotations: stringMap(
                "Annotations (name: value) any one of which marks a claim as retained.",
                defaults.retainAnnotations,
            ),
            acceptProtect: flag("Accept Pulumi's `protect: true` as retention.", defaults.acceptProtect),
        },
    },
    kinds: ["PersistentVolumeClaim"],
    check(obj: K8sObject, config: PvcRetainedConfig, ctx: ResourceContext): string[] {
        if (config.acceptProtect && ctx.protect === true) {
            return [];
        }
        const annotations = obj.metadata?.annotations ?? {};
        if (Object.entries(config.retainAnnotations).some(([key, value]) => annotations[key] === value)) {
            return [];
        }
        const wanted = Object.entries(config.retainAnnotations)
            .map(([k, v]) => `${k}: ${v}`)
            .join(" or ");
        const protection = config.acceptProtect ? "is not protected and " : "";
        return [
            `the claim ${protection}has no retain annotation (${wanted}), so deleting the stack or chart deletes its data`,
        ];
    },
};
