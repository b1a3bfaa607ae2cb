// OpenShift's dns-default Service maps port 53 to the DNS pods' port 5353, and NetworkPolicy
// ports are pod ports evaluated after the Service DNAT: a DNS rule allowing only 53 silently
// breaks name resolution on OVN-Kubernetes.
import { K8sObject } from "../lib/k8s";
import { egressRulesOf, portNumbers } from "../lib/netpol";
import { ResourceRule } from "../lib/rule";
import { integerList, stringList } from "../lib/schema";

export interface DnsEgressPortsConfig {
    dnsPorts: number[];
    requiredPorts: string[];
}

const defaults: DnsEgressPortsConfig = {
    dnsPorts: [53, 5353],
    requiredPorts: ["5353/UDP", "5353/TCP"],
};

export const dnsEgressPorts: ResourceRule<DnsEgressPortsConfig> = {
    scope: "resource",
    name: "dns-egress-ports",
    description:
        "Every DNS egress rule allows the DNS pods' real ports (5353 UDP and TCP on OpenShift), not only the Service port 53.",
    details:
        "a DNS egress rule allows 5353 UDP and TCP (OpenShift's DNS pods listen there; port 53 alone is dropped on OVN-Kubernetes)",
    remediationSteps:
        "list `{protocol: UDP, port: 5353}` and `{protocol: TCP, port: 5353}` in the DNS egress rule's ports " +
        "(keeping port 53 as well serves vanilla Kubernetes).",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            dnsPorts: integerList("Ports that make an egress rule a DNS rule.", defaults.dnsPorts),
            requiredPorts: {
                ...stringList("`port/PROTOCOL` pairs every DNS rule must allow.", defaults.requiredPorts),
                items: { type: "string", pattern: "^[0-9]{1,5}/(TCP|UDP|SCTP)$" },
            },
        },
    },
    kinds: ["NetworkPolicy.networking.k8s.io"],
    check(obj: K8sObject, config: DnsEgressPortsConfig): string[] {
        const problems: string[] = [];
        egressRulesOf(obj).forEach((rule, index) => {
            if (!portNumbers(rule).some((p) => config.dnsPorts.includes(p))) {
                return;
            }
            const allowed = new Set(rule.ports.map((p) => `${String(p.port)}/${p.protocol}`));
            const absent = config.requiredPorts.filter((p) => !allowed.has(p));
            if (absent.length > 0) {
                problems.push(`DNS rule egress[${index}] does not allow ${absent.join(", ")}`);
            }
        });
        return problems;
    },
};
