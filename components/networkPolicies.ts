// NetworkPolicy specs as plain data, so the security and litellm slices, the unit tests and
// the reachability analysis all use one definition. NetworkPolicies are additive: a pod is
// isolated for egress once any policy selecting it lists Egress, so each allow policy stands
// beside a default-deny that keeps the pod isolated if the allow policy is ever removed.
import * as k8s from "@pulumi/kubernetes";
import { exceptsWithin } from "../common/cidr";
import { AbevalflowConfig, Labels, LlmMode } from "./config";
import { HTTPS_PORT, LITELLM, NON_PUBLIC_CIDRS, PIPELINE_POD_SELECTOR } from "./names";

type Spec = k8s.types.input.networking.v1.NetworkPolicySpec;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Where trial pods (and the proxy) may connect, besides the pipeline namespace itself. */
export interface EgressTargets {
    /** Which one allow policy trial pods get. */
    readonly llmMode: LlmMode;
    /** The cluster DNS pods: namespace, labels and the pod ports (5353 on OpenShift). */
    readonly dns: AbevalflowConfig["dns"];
    /** CIDRs excepted from public HTTPS besides the non-public ranges. */
    readonly directApi: AbevalflowConfig["directApi"];
    /** The in-cluster model server of the self-hosted mode. */
    readonly selfHosted: AbevalflowConfig["selfHosted"];
    /** The LiteLLM proxy's port; required in litellm mode. */
    readonly litellmPort?: number;
}

export interface NetworkInputs extends EgressTargets {
    /** The pipeline namespace, where the trial pods and the LiteLLM proxy run. */
    readonly namespace: string;
    /** Labels that select trial pods. */
    readonly trialPodLabels: Labels;
}

export function namespacePeer(namespace: string, podLabels: Labels): Peer {
    // One peer with both selectors: pods with these labels in that namespace only.
    return {
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
        podSelector: { matchLabels: podLabels },
    };
}

export function dnsEgressRule(dns: NetworkInputs["dns"]): EgressRule {
    return {
        to: [namespacePeer(dns.namespace, dns.podLabels)],
        ports: dns.ports.flatMap((port) => [
            { protocol: "UDP", port },
            { protocol: "TCP", port },
        ]),
    };
}

export const PUBLIC_IPV4 = "0.0.0.0/0";

/**
 * HTTPS to public IPv4 addresses. The block excepts the non-public ranges and the extra ones of
 * its own family; IPv6 ranges (extra ones included) stay out of it, as the API server refuses an
 * except outside the block, and apply only to an IPv6 block, which the program does not open.
 */
export function publicHttpsEgressRule(extraExceptCidrs: readonly string[]): EgressRule {
    return {
        to: [
            {
                ipBlock: {
                    cidr: PUBLIC_IPV4,
                    except: exceptsWithin(PUBLIC_IPV4, [...NON_PUBLIC_CIDRS, ...extraExceptCidrs]),
                },
            },
        ],
        ports: [{ protocol: "TCP", port: HTTPS_PORT }],
    };
}

export function defaultDenyEgressSpec(podLabels: Labels): Spec {
    return { podSelector: { matchLabels: podLabels }, policyTypes: ["Egress"] };
}

/** Nothing reaches trial pods (agents under evaluation) unless an allow policy below says so. */
export function defaultDenyIngressSpec(podLabels: Labels): Spec {
    return { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"] };
}

/** Pods of the pipeline namespace (only) may reach trial pods on these TCP ports. */
export function trialIngressAllowSpec(podLabels: Labels, ports: readonly number[]): Spec {
    return {
        podSelector: { matchLabels: podLabels },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }], ports: ports.map((port) => ({ protocol: "TCP", port })) }],
    };
}

/** The proxy's own rules: callers are trial and pipeline pods; it calls DNS and Vertex AI. */
export function litellmProxySpec(net: EgressTargets & { litellmPort: number }, trialPodLabels: Labels): Spec {
    return {
        podSelector: { matchLabels: LITELLM.podLabels },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: trialPodLabels } }, { podSelector: PIPELINE_POD_SELECTOR }],
                ports: [{ protocol: "TCP", port: net.litellmPort }],
            },
        ],
        egress: [dnsEgressRule(net.dns), publicHttpsEgressRule(net.directApi.extraExceptCidrs)],
    };
}

/** Isolates the proxy pods in both directions, under the allow policy above. */
export function litellmDefaultDenySpec(): Spec {
    return { podSelector: { matchLabels: LITELLM.podLabels }, policyTypes: ["Ingress", "Egress"] };
}

// ---------------------------------------------------------------------------------------
// The cleanup job: its token can delete in the pipeline namespace, so its pods reach the
// cluster DNS and the API server and nothing else.

/**
 * TCP to the API server's endpoints, by address. OVN-Kubernetes (like kube-proxy setups)
 * judges egress after the `kubernetes` Service's DNAT, so the rule names the endpoint
 * addresses and their port (6443 on OpenShift), never the Service IP and 443.
 */
export function apiServerEgressRule(cidrs: readonly string[], ports: readonly number[]): EgressRule {
    if (cidrs.length === 0 || ports.length === 0) {
        // An empty `to` or `ports` would allow every destination or every port.
        throw new Error("apiServerEgressRule: needs at least one API server address and one port");
    }
    return {
        to: cidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: ports.map((port) => ({ protocol: "TCP", port })),
    };
}

/** The cleanup pods' one allow policy: DNS and the API server; it stands beside defaultDenyEgressSpec(podLabels). */
export function cleanupAllowSpec(
    podLabels: Labels,
    dns: EgressTargets["dns"],
    apiServer: { cidrs: readonly string[]; ports: readonly number[] },
): Spec {
    return {
        podSelector: { matchLabels: podLabels },
        policyTypes: ["Egress"],
        egress: [dnsEgressRule(dns), apiServerEgressRule(apiServer.cidrs, apiServer.ports)],
    };
}
