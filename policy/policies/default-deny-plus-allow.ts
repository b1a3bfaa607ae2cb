// NetworkPolicies are additive. An allow policy standing alone isolates its pods only while it
// exists: delete it and they can reach everything. A separate default-deny keeps them isolated,
// so the review's "apply INSTEAD OF default-deny" advice is exactly what this rule forbids.
import { isWholeFamily, parseCidr } from "../../common/cidr";
import { groupBy, isRecord, K8sObject, Labels, nameOf, namespaceOf } from "../lib/k8s";
import {
    allowsEgress,
    EgressRule,
    egressRulesOf,
    isDefaultDenyEgress,
    isNetworkPolicy,
    podSelectorOf,
    portNumbers,
} from "../lib/netpol";
import { StackFinding, StackRule } from "../lib/rule";
import { integer, integerList, stringMap, text } from "../lib/schema";
import { covers, describeSelector, isEmptySelector, selects } from "../lib/selectors";

export interface DefaultDenyPlusAllowConfig {
    trialPodLabels: Labels;
    maxTrialAllowPolicies: number;
    dnsNamespace: string;
    dnsPodLabels: Labels;
    dnsPorts: number[];
    namespaceNameLabel: string;
}

const defaults: DefaultDenyPlusAllowConfig = {
    trialPodLabels: { "abevalflow/role": "trial" },
    maxTrialAllowPolicies: 1,
    dnsNamespace: "openshift-dns",
    dnsPodLabels: { "dns.operator.openshift.io/daemonset-dns": "default" },
    dnsPorts: [53, 5353],
    namespaceNameLabel: "kubernetes.io/metadata.name",
};

const INSTEAD_OF_DENY = /instead\s+of\s+(the\s+)?default[-\s]?deny/i;

function ipBlockCidr(peer: Record<string, unknown>): string | undefined {
    const block = peer.ipBlock;
    return isRecord(block) && typeof block.cidr === "string" ? block.cidr : undefined;
}

/** 0.0.0.0/0 or ::/0 however written (`0::/0`, `0:0:0:0:0:0:0:0/0`, ...): every address of a family. */
function isWorld(cidr: string): boolean {
    const range = parseCidr(cidr);
    return range !== undefined && isWholeFamily(range);
}

function pinsNamespace(selector: unknown, config: DefaultDenyPlusAllowConfig): boolean {
    // By the namespace's immutable name label, so the selector can match no other namespace.
    return covers({ matchLabels: { [config.namespaceNameLabel]: config.dnsNamespace } }, selector);
}

function dnsPeerProblem(peer: Record<string, unknown>, config: DefaultDenyPlusAllowConfig): string | undefined {
    if (!pinsNamespace(peer.namespaceSelector, config)) {
        return `a DNS peer (${JSON.stringify(peer)}) is not limited to namespace "${config.dnsNamespace}"`;
    }
    const wantPods = Object.keys(config.dnsPodLabels).length > 0;
    if (wantPods && !covers({ matchLabels: config.dnsPodLabels }, peer.podSelector)) {
        return `a DNS peer does not select the DNS pods ${JSON.stringify(config.dnsPodLabels)} with its podSelector`;
    }
    return undefined;
}

function ruleProblems(rule: EgressRule, index: number, config: DefaultDenyPlusAllowConfig): string[] {
    const where = `egress[${index}]`;
    const problems: string[] = [];
    const anyPort = rule.ports.length === 0;
    if (rule.peers.length === 0 && anyPort) {
        problems.push(`${where} allows every destination on every port`);
    }
    for (const peer of rule.peers) {
        if (isEmptySelector(peer.namespaceSelector)) {
            problems.push(`${where} allows egress to every namespace (namespaceSelector: {})`);
        }
        const cidr = ipBlockCidr(peer);
        if (cidr !== undefined && isWorld(cidr) && anyPort) {
            problems.push(`${where} allows ${cidr} on every port`);
        }
    }
    if (portNumbers(rule).some((p) => config.dnsPorts.includes(p))) {
        if (rule.peers.length === 0) {
            problems.push(`${where} sends DNS to any destination instead of namespace "${config.dnsNamespace}"`);
        }
        for (const peer of rule.peers) {
            const problem = dnsPeerProblem(peer, config);
            if (problem !== undefined) {
                problems.push(`${where}: ${problem}`);
            }
        }
    }
    return problems;
}

function namespaceProblems(policies: K8sObject[], config: DefaultDenyPlusAllowConfig): StackFinding[] {
    const findings: StackFinding[] = [];
    const denies = policies.filter(isDefaultDenyEgress);
    const allows = policies.filter(allowsEgress);
    const trialAllows = allows.filter((np) => selects(podSelectorOf(np), config.trialPodLabels));
    for (const np of allows) {
        const selector = podSelectorOf(np);
        if (!denies.some((deny) => deny !== np && covers(podSelectorOf(deny), selector))) {
            findings.push({
                subject: np,
                message:
                    `allows egress for pods ${describeSelector(selector)} but no separate default-deny ` +
                    "egress policy (policyTypes [Egress], no egress rules) in its namespace selects at least those pods",
            });
        }
        egressRulesOf(np).forEach((rule, i) =>
            findings.push(...ruleProblems(rule, i, config).map((message) => ({ subject: np, message }))),
        );
    }
    if (trialAllows.length > config.maxTrialAllowPolicies) {
        const names = trialAllows.map(nameOf).join(", ");
        for (const np of trialAllows) {
            findings.push({
                subject: np,
                message:
                    `trial pods ${JSON.stringify(config.trialPodLabels)} are selected by ` +
                    `${trialAllows.length} egress allow policies (${names}); at most ${config.maxTrialAllowPolicies} mode policy is allowed`,
            });
        }
    }
    for (const np of policies) {
        for (const [key, value] of Object.entries(np.metadata?.annotations ?? {})) {
            if (typeof value === "string" && INSTEAD_OF_DENY.test(value)) {
                findings.push({
                    subject: np,
                    message:
                        `annotation "${key}" says to apply it instead of the default-deny policy; ` +
                        "allow policies go in addition to default-deny",
                });
            }
        }
    }
    return findings;
}

export const defaultDenyPlusAllow: StackRule<DefaultDenyPlusAllowConfig> = {
    scope: "stack",
    name: "default-deny-plus-allow",
    description:
        "Each egress allow NetworkPolicy stands beside a default-deny egress policy for the same pods; " +
        "trial pods get at most one mode allow policy; no egress to every namespace or to 0.0.0.0/0 or ::/0 on every port; DNS only to the DNS namespace.",
    details:
        'every egress allow NetworkPolicy has a separate default-deny egress policy (`policyTypes: [Egress]`, no egress rules) selecting at least its pods; trial pods (`abevalflow/role: trial`) have at most one mode allow policy; no egress to every namespace (`namespaceSelector: {}`), nor to `0.0.0.0/0`, `::/0` (however written: `0::/0`, `0:0:0:0:0:0:0:0/0`, \u2026) or anywhere on every port; DNS egress only to the DNS pods in `openshift-dns`; no "apply INSTEAD OF default-deny" annotations',
    remediationSteps:
        "keep a NetworkPolicy with `policyTypes: [Egress]` and no egress rules that selects the same pods as each allow policy, " +
        "give trial pods exactly one mode allow policy, name destination namespaces with `kubernetes.io/metadata.name`, " +
        "restrict 0.0.0.0/0 and ::/0 to explicit ports, and send DNS only to the DNS pods in the DNS namespace.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            trialPodLabels: stringMap("Labels every trial pod carries.", defaults.trialPodLabels),
            maxTrialAllowPolicies: integer(
                "How many egress allow policies may select trial pods.",
                defaults.maxTrialAllowPolicies,
                1,
            ),
            dnsNamespace: text("The namespace of the cluster DNS pods.", defaults.dnsNamespace),
            dnsPodLabels: stringMap(
                "Labels of the DNS pods a DNS peer must select ({} to accept the whole namespace).",
                defaults.dnsPodLabels,
            ),
            dnsPorts: integerList("Ports that make an egress rule a DNS rule.", defaults.dnsPorts),
            namespaceNameLabel: text("The label carrying a namespace's name.", defaults.namespaceNameLabel),
        },
    },
    check(objects: readonly K8sObject[], config: DefaultDenyPlusAllowConfig): StackFinding[] {
        const byNamespace = groupBy(objects.filter(isNetworkPolicy), (np) => namespaceOf(np) ?? "");
        return [...byNamespace.values()].flatMap((policies) => namespaceProblems(policies, config));
    },
};
