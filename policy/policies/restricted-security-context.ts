// The Pod Security Standard "restricted" profile, checked before admission sees it: a namespace
// labelled `enforce: restricted` rejects a non-conforming pod only when it is created, long after
// the preview that could have said so, and a workload's template only yields a warning, its pods
// then failing to appear. The controls are the admission's own (lib/podSecurity.ts), so a pod this
// rule passes is one the API server admits at restricted:latest, and a message names the control
// and the container, field and value as the API server's refusal does.
import { containersOf, isRecord, K8sObject, podTemplateOf, strings, WORKLOAD_KINDS } from "../lib/k8s";
import {
    Control,
    controlById,
    controlsFor,
    evaluatePodSecurity,
    POD_SECURITY_VERSION,
    RESTRICTED_ADDABLE_CAPABILITIES,
} from "../lib/podSecurity";
import { ResourceRule } from "../lib/rule";
import { choiceList, flag } from "../lib/schema";

export interface RestrictedSecurityContextConfig {
    /** Of the capabilities restricted lets a container add, those this policy still allows. */
    allowedCapabilities: string[];
    /** Whether a pod must set a seccomp profile itself (restricted) or may leave it to the platform. */
    requireSeccompProfile: boolean;
}

const defaults: RestrictedSecurityContextConfig = {
    allowedCapabilities: [...RESTRICTED_ADDABLE_CAPABILITIES],
    requireSeccompProfile: true,
};

/**
 * Restricted's controls, except that `requireSeccompProfile: false` holds seccomp to baseline's
 * control instead: a profile, where set, must still be RuntimeDefault or Localhost, but none is
 * required. That is for a platform whose admission sets one before Pod Security admission runs
 * (OpenShift's restricted-v2 SCC sets RuntimeDefault); elsewhere such a pod is refused at restricted.
 */
function controlsOf(config: RestrictedSecurityContextConfig): Control[] {
    return controlsFor("restricted").map((c) =>
        c.id === "seccompProfile_restricted" && !config.requireSeccompProfile
            ? controlById("seccompProfile_baseline")
            : c,
    );
}

/** Capabilities that restricted allows a container to add but the configured list leaves out. */
function narrowedCapabilities(obj: K8sObject, config: RestrictedSecurityContextConfig): string[] {
    const pod = podTemplateOf(obj);
    const refused = RESTRICTED_ADDABLE_CAPABILITIES.filter((c) => !config.allowedCapabilities.includes(c));
    if (pod === undefined || refused.length === 0) {
        return [];
    }
    const problems: string[] = [];
    for (const { container, label } of containersOf(pod.spec)) {
        const sc = isRecord(container.securityContext) ? container.securityContext : {};
        const added = strings(isRecord(sc.capabilities) ? sc.capabilities.add : undefined).filter((c) =>
            refused.includes(c),
        );
        if (added.length > 0) {
            problems.push(
                `allowedCapabilities (this policy's setting): container ${label} adds ${added.join(", ")}, ` +
                    `which the standard allows but the setting ${JSON.stringify(config.allowedCapabilities)} does not`,
            );
        }
    }
    return problems;
}

export const restrictedSecurityContext: ResourceRule<RestrictedSecurityContextConfig> = {
    scope: "resource",
    name: "restricted-security-context",
    description:
        `Every pod and pod template meets the Pod Security Standard \`restricted\` (which includes \`baseline\`) as Pod Security ` +
        `admission enforces it at \`latest\` on Kubernetes ${POD_SECURITY_VERSION}: every control, from host namespaces, ports, ` +
        "volume types and probe hosts to capabilities, seccomp, AppArmor, SELinux, sysctls and procMount.",
    details:
        "the whole Pod Security Standard `restricted` (baseline's controls included) on every pod and pod template, control for control as Pod Security admission enforces it at `latest` (below)",
    remediationSteps:
        "fix what the control named in the message refuses (the Kubernetes Pod Security Standards page lists each): " +
        "on each container `securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: true, " +
        "seccompProfile: {type: RuntimeDefault}}` (runAsNonRoot and seccompProfile may sit in the pod securityContext), no privileged, " +
        "runAsUser 0, hostPort, probe or lifecycle host, procMount, SELinux user/role/custom type, unsafe sysctl, or AppArmor " +
        "profile other than RuntimeDefault/Localhost; no hostNetwork/hostPID/hostIPC; volumes only configMap, csi, downwardAPI, " +
        "emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            allowedCapabilities: choiceList(
                "Of the capabilities the restricted standard lets a container add (only NET_BIND_SERVICE), those this policy allows; " +
                    "[] refuses them all. The standard's limit cannot be widened here.",
                RESTRICTED_ADDABLE_CAPABILITIES,
                defaults.allowedCapabilities,
            ),
            requireSeccompProfile: flag(
                "Require every container to have a RuntimeDefault or Localhost seccomp profile, its own or the pod's, as restricted does. " +
                    "false: where set, a profile must still be one of those, but none is required (for a platform whose admission " +
                    "sets one, as OpenShift's restricted-v2 SCC does).",
                defaults.requireSeccompProfile,
            ),
        },
    },
    kinds: WORKLOAD_KINDS,
    check(obj: K8sObject, config: RestrictedSecurityContextConfig): string[] {
        const pod = podTemplateOf(obj);
        if (pod === undefined) {
            return [];
        }
        const violations = evaluatePodSecurity(controlsOf(config), { annotations: pod.annotations, spec: pod.spec });
        return [
            ...violations.map((v) => `Pod Security ${v.control}: ${v.reason} (${v.detail})`),
            ...narrowedCapabilities(obj, config),
        ];
    },
};
