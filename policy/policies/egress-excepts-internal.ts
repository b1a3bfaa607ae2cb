// An ipBlock meant as "the internet" (0.0.0.0/0) also contains the cluster, the private
// networks and the link-local cloud metadata endpoint (169.254.169.254), which hands out
// credentials. The original excepted only the RFC1918 ranges.
import { Ipv4Range, parseIpv4Cidr } from "../lib/cidr";
import { isRecord, K8sObject, strings } from "../lib/k8s";
import { egressRulesOf } from "../lib/netpol";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface EgressExceptsInternalConfig {
    requiredExcepts: string[];
}

/** Private networks, link-local (cloud metadata) and the shared space OpenShift uses for its cluster network. */
export const REQUIRED_EGRESS_EXCEPTS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] as const;

const defaults: EgressExceptsInternalConfig = {
    requiredExcepts: [...REQUIRED_EGRESS_EXCEPTS],
};

function contains(outer: Ipv4Range, inner: Ipv4Range): boolean {
    if (outer.prefix > inner.prefix) {
        return false;
    }
    const shift = 32 - outer.prefix;
    return shift === 32 || (outer.base >>> shift) === (inner.base >>> shift);
}

export const egressExceptsInternal: ResourceRule<EgressExceptsInternalConfig> = {
    scope: "resource",
    name: "egress-excepts-internal",
    description: "An egress ipBlock that contains a private, link-local or cluster range excepts it.",
    remediationSteps: "add the listed ranges to the ipBlock's `except` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
        + "169.254.0.0/16 for cloud metadata, and the cluster network, e.g. 100.64.0.0/10).",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            requiredExcepts: stringList("IPv4 ranges a wider egress ipBlock must except.", defaults.requiredExcepts),
        },
    },
    kinds: ["NetworkPolicy.networking.k8s.io"],
    check(obj: K8sObject, config: EgressExceptsInternalConfig): string[] {
        const required = config.requiredExcepts.map((cidr) => {
            const range = parseIpv4Cidr(cidr);
            if (range === undefined) {
                throw new Error(`egress-excepts-internal: requiredExcepts entry "${cidr}" is not an IPv4 CIDR such as 10.0.0.0/8`);
            }
            return { cidr, range };
        });
        const problems: string[] = [];
        egressRulesOf(obj).forEach((rule, index) => {
            for (const peer of rule.peers) {
                const block = isRecord(peer.ipBlock) ? peer.ipBlock : {};
                const range = typeof block.cidr === "string" ? parseIpv4Cidr(block.cidr) : undefined;
                if (range === undefined) {
                    continue;
                }
                const excepts = strings(block.except).map(parseIpv4Cidr).filter((r): r is Ipv4Range => r !== undefined);
                const open = required.filter((r) => contains(range, r.range) && !excepts.some((e) => contains(e, r.range)));
                if (open.length > 0) {
                    problems.push(`egress[${index}] ipBlock ${String(block.cidr)} does not except ${open.map((r) => r.cidr).join(", ")}`);
                }
            }
        });
        return problems;
    },
};
