// An ipBlock meant as "the internet" (0.0.0.0/0, ::/0) also contains the cluster, the private
// networks and the link-local cloud metadata endpoint (169.254.169.254), which hands out
// credentials. The original excepted only the RFC1918 ranges. IPv4 and IPv6 blocks are judged
// alike, each against the ranges of its own family.
import { Cidr, cidrContains, NON_PUBLIC_CIDRS, parseCidr } from "../../common/cidr";
import { isRecord, K8sObject, strings } from "../lib/k8s";
import { egressRulesOf } from "../lib/netpol";
import { ResourceRule } from "../lib/rule";
import { stringList } from "../lib/schema";

export interface EgressExceptsInternalConfig {
    requiredExcepts: string[];
}

const defaults: EgressExceptsInternalConfig = {
    requiredExcepts: [...NON_PUBLIC_CIDRS],
};

export const egressExceptsInternal: ResourceRule<EgressExceptsInternalConfig> = {
    scope: "resource",
    name: "egress-excepts-internal",
    description:
        "An egress ipBlock, IPv4 or IPv6, that contains a private, link-local, loopback, IPv4-mapped, " +
        "cloud-metadata or cluster range excepts it.",
    details:
        "an egress ipBlock, IPv4 or IPv6, containing a non-public range (below) excepts it, each block against the ranges of its own family; an ipBlock whose `cidr` is not an IPv4 or IPv6 CIDR is a violation, not skipped",
    remediationSteps:
        `add the listed ranges to the ipBlock's \`except\` (by default ${NON_PUBLIC_CIDRS.join(", ")}; ` +
        "each block excepts those of its own family), or narrow the block to the public addresses it needs.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            requiredExcepts: stringList(
                "IPv4 and IPv6 ranges a wider egress ipBlock of the same family must except.",
                defaults.requiredExcepts,
            ),
        },
    },
    kinds: ["NetworkPolicy.networking.k8s.io"],
    check(obj: K8sObject, config: EgressExceptsInternalConfig): string[] {
        const required = config.requiredExcepts.map((cidr) => {
            const range = parseCidr(cidr);
            if (range === undefined) {
                throw new Error(
                    `egress-excepts-internal: requiredExcepts entry "${cidr}" is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fc00::/7`,
                );
            }
            return { cidr, range };
        });
        const problems: string[] = [];
        egressRulesOf(obj).forEach((rule, index) => {
            for (const peer of rule.peers) {
                if (!isRecord(peer.ipBlock)) {
                    continue;
                }
                const block = peer.ipBlock;
                const range = typeof block.cidr === "string" ? parseCidr(block.cidr) : undefined;
                if (range === undefined) {
                    // Unreadable is not harmless: this is how IPv6 blocks once went unchecked.
                    problems.push(
                        `egress[${index}] ipBlock cidr ${JSON.stringify(block.cidr)} is not an IPv4 or IPv6 CIDR, so its excepts cannot be checked`,
                    );
                    continue;
                }
                const excepts = strings(block.except)
                    .map(parseCidr)
                    .filter((r): r is Cidr => r !== undefined);
                const open = required.filter(
                    (r) => cidrContains(range, r.range) && !excepts.some((e) => cidrContains(e, r.range)),
                );
                if (open.length > 0) {
                    problems.push(
                        `egress[${index}] ipBlock ${String(block.cidr)} does not except ${open.map((r) => r.cidr).join(", ")}`,
                    );
                }
            }
        });
        return problems;
    },
};
