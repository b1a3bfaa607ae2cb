// The Pod Security Standard "restricted" profile, checked before admission sees it: a namespace
// labelled `enforce: restricted` rejects a non-conforming pod only when it is created, long after
// the preview that could have said so.
import { containersOf, isRecord, K8sObject, list, podTemplateOf, SecurityContext, strings, WORKLOAD_KINDS } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { flag, stringList } from "../lib/schema";

export interface RestrictedSecurityContextConfig {
    allowedCapabilities: string[];
    requireSeccompProfile: boolean;
}

const defaults: RestrictedSecurityContextConfig = {
    allowedCapabilities: ["NET_BIND_SERVICE"],
    requireSeccompProfile: true,
};

function contextOf(value: unknown): SecurityContext {
    return isRecord(value) ? value : {};
}

function containerProblems(own: SecurityContext, pod: SecurityContext, config: RestrictedSecurityContextConfig): string[] {
    const problems: string[] = [];
    if (own.privileged === true) {
        problems.push("privileged is true");
    }
    if (own.allowPrivilegeEscalation !== false) {
        problems.push("allowPrivilegeEscalation is not false");
    }
    const capabilities = isRecord(own.capabilities) ? own.capabilities : {};
    if (!strings(capabilities.drop).includes("ALL")) {
        problems.push("capabilities.drop does not include ALL");
    }
    const added = strings(capabilities.add).filter((c) => !config.allowedCapabilities.includes(c));
    if (added.length > 0) {
        problems.push(`capabilities.add has ${JSON.stringify(added)}`);
    }
    if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) {
        problems.push("runAsNonRoot is not true (container or pod)");
    }
    if ((own.runAsUser ?? pod.runAsUser) === 0) {
        problems.push("runAsUser is 0");
    }
    const seccomp = own.seccompProfile ?? pod.seccompProfile;
    const seccompType = isRecord(seccomp) ? seccomp.type : undefined;
    if (config.requireSeccompProfile && seccompType !== "RuntimeDefault" && seccompType !== "Localhost") {
        problems.push("seccompProfile.type is not RuntimeDefault or Localhost (container or pod)");
    }
    return problems;
}

export const restrictedSecurityContext: ResourceRule<RestrictedSecurityContextConfig> = {
    scope: "resource",
    name: "restricted-security-context",
    description: "Every container meets the Pod Security Standard `restricted` profile; pods use no host namespaces or hostPath volumes.",
    remediationSteps: "set on each container `securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, "
        + "runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}` (runAsNonRoot and seccompProfile may sit in the pod securityContext), "
        + "and drop hostNetwork/hostPID/hostIPC and hostPath volumes.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            allowedCapabilities: stringList("Capabilities a container may add.", defaults.allowedCapabilities),
            requireSeccompProfile: flag("Require an explicit RuntimeDefault or Localhost seccomp profile.", defaults.requireSeccompProfile),
        },
    },
    kinds: WORKLOAD_KINDS,
    check(obj: K8sObject, config: RestrictedSecurityContextConfig): string[] {
        const pod = podTemplateOf(obj);
        if (pod === undefined) {
            return [];
        }
        const podContext = contextOf(pod.spec.securityContext);
        const problems: string[] = [];
        for (const hostField of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            if (pod.spec[hostField] === true) {
                problems.push(`the pod sets ${hostField}: true`);
            }
        }
        for (const volume of list(pod.spec.volumes)) {
            if (isRecord(volume) && volume.hostPath !== undefined) {
                problems.push(`the pod mounts the hostPath volume "${String(volume.name)}"`);
            }
        }
        for (const { container, label } of containersOf(pod.spec)) {
            const found = containerProblems(contextOf(container.securityContext), podContext, config);
            if (found.length > 0) {
                problems.push(`container ${label}: ${found.join("; ")}`);
            }
        }
        return problems;
    },
};
