// NetworkPolicy reading shared by the egress rules: which policies allow egress, which deny it,
// and what each egress rule lets through.
import { K8sObject, kindKeyOf, records, specOf, strings } from "./k8s";

export const NETWORK_POLICY: string = "NetworkPolicy.networking.k8s.io";

export function isNetworkPolicy(obj: K8sObject): boolean {
    return kindKeyOf(obj) === NETWORK_POLICY;
}

export interface EgressPort {
    port?: number | string;
    protocol: string;
}

export interface EgressRule {
    /** Absent or empty `to`: the rule allows every destination. */
    peers: Record<string, unknown>[];
    /** Absent or empty `ports`: the rule allows every port. */
    ports: EgressPort[];
}

export function egressRulesOf(np: K8sObject): EgressRule[] {
    return records(specOf(np).egress).map((rule) => ({
        peers: records(rule.to),
        ports: records(rule.ports).map((p) => ({
            port: typeof p.port === "number" || typeof p.port === "string" ? p.port : undefined,
            protocol: typeof p.protocol === "string" ? p.protocol : "TCP",
        })),
    }));
}

/** Kubernetes defaults policyTypes to include Egress exactly when an egress section is present. */
function coversEgress(np: K8sObject): boolean {
    const spec = specOf(np);
    return Array.isArray(spec.policyTypes) ? strings(spec.policyTypes).includes("Egress") : Array.isArray(spec.egress);
}

export function allowsEgress(np: K8sObject): boolean {
    return coversEgress(np) && egressRulesOf(np).length > 0;
}

export function isDefaultDenyEgress(np: K8sObject): boolean {
    return strings(specOf(np).policyTypes).includes("Egress") && egressRulesOf(np).length === 0;
}

/** The API server requires podSelector; `{}` is what an omitted one would have to mean. */
export function podSelectorOf(np: K8sObject): unknown {
    return specOf(np).podSelector ?? {};
}

export function portNumbers(rule: EgressRule): number[] {
    return rule.ports.map((p) => Number(p.port)).filter((n) => Number.isInteger(n));
}
