import { expect } from "chai";
import { llmMode, LlmMode } from "../components/llmModes";
import { LITELLM, NETWORK_POLICIES, NON_PUBLIC_CIDRS } from "../components/names";
import { field, LLM_MODES, ofType, RecordedResource, runProgram, withMode } from "./harness";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const TRIAL = { "abevalflow/role": "trial" };

interface Port {
    protocol: string;
    port: number;
}
interface Peer {
    namespaceSelector?: { matchLabels?: Record<string, string> };
    podSelector?: { matchLabels?: Record<string, string> };
    ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
    to?: Peer[];
    from?: Peer[];
    ports?: Port[];
}
interface Spec {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    egress?: Rule[];
    ingress?: Rule[];
}

const spec = (r: RecordedResource): Spec => field(r, "spec") as Spec;
const selectsTrialPods = (r: RecordedResource): boolean =>
    JSON.stringify(spec(r).podSelector.matchLabels) === JSON.stringify(TRIAL);
const isDefaultDeny = (r: RecordedResource): boolean =>
    spec(r).policyTypes.includes("Egress") && (spec(r).egress ?? []).length === 0;

async function trialPolicies(mode: LlmMode, extra: Record<string, unknown> = {}) {
    const run = await runProgram(withMode("dev", mode, extra));
    const trial = ofType(run, NETPOL).filter(selectsTrialPods);
    const egress = trial.filter((r) => spec(r).policyTypes.includes("Egress"));
    const ingress = trial.filter((r) => spec(r).policyTypes.includes("Ingress"));
    return { run, deny: egress.filter(isDefaultDeny), allow: egress.filter((r) => !isDefaultDeny(r)), ingress };
}

function expectDnsRule(rule: Rule): void {
    expect(rule.to).to.deep.equal([
        {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
            podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
        },
    ]);
    expect(rule.ports).to.have.deep.members([
        { protocol: "UDP", port: 5353 },
        { protocol: "TCP", port: 5353 },
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ]);
}

describe("trial-pod ingress", () => {
    for (const mode of LLM_MODES) {
        it(`${mode}: trial pods are isolated for ingress by default, with no allow policy`, async () => {
            const { ingress } = await trialPolicies(mode);
            expect(ingress.map((r) => field(r, "metadata", "name"))).to.deep.equal([
                NETWORK_POLICIES.trialIngressDefaultDeny,
            ]);
            expect(spec(ingress[0])).to.deep.equal({ podSelector: { matchLabels: TRIAL }, policyTypes: ["Ingress"] });
        });
    }

    it("trialIngressPorts opens exactly those TCP ports, to pods of the pipeline namespace only", async () => {
        const { ingress } = await trialPolicies("litellm", { trialIngressPorts: [8080, 9090] });
        const allow = ingress.filter((r) => field(r, "metadata", "name") === NETWORK_POLICIES.trialIngressAllow);
        expect(allow).to.have.length(1);
        expect(spec(allow[0]).ingress).to.deep.equal([
            {
                from: [{ podSelector: {} }],
                ports: [
                    { protocol: "TCP", port: 8080 },
                    { protocol: "TCP", port: 9090 },
                ],
            },
        ]);
        expect(ingress.map((r) => field(r, "metadata", "name"))).to.include(NETWORK_POLICIES.trialIngressDefaultDeny);
    });
});

describe("trial-pod egress policies", () => {
    for (const mode of LLM_MODES) {
        it(`${mode}: exactly one default-deny and one allow policy select trial pods`, async () => {
            const { deny, allow } = await trialPolicies(mode);
            expect(deny.map((r) => field(r, "metadata", "name"))).to.deep.equal([NETWORK_POLICIES.trialDefaultDeny]);
            expect(allow.map((r) => field(r, "metadata", "name"))).to.deep.equal([llmMode(mode).allowPolicy]);
            expect(spec(deny[0]).policyTypes).to.deep.equal(["Egress"]);
            expect(spec(deny[0])).to.not.have.property("egress");
        });

        it(`${mode}: DNS goes only to the cluster DNS pods, on 5353 and 53`, async () => {
            const { allow } = await trialPolicies(mode);
            const egress = spec(allow[0]).egress ?? [];
            expect(egress).to.have.length(2);
            expectDnsRule(egress[0]);
        });
    }

    it("direct-api: HTTPS to public addresses only, never metadata or cluster ranges", async () => {
        const { allow } = await trialPolicies("direct-api", { directApiExtraExceptCidrs: ["203.0.113.0/24"] });
        const rule = (spec(allow[0]).egress ?? [])[1];
        expect(rule.ports).to.deep.equal([{ protocol: "TCP", port: 443 }]);
        expect(rule.to).to.have.length(1);
        const block = rule.to?.[0].ipBlock;
        expect(block?.cidr).to.equal("0.0.0.0/0");
        expect(block?.except).to.have.members([
            ...NON_PUBLIC_CIDRS.filter((cidr) => !cidr.includes(":")),
            "203.0.113.0/24",
        ]);
        expect(block?.except).to.include.members([
            "169.254.0.0/16",
            "100.64.0.0/10",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
        ]);
    });

    it("direct-api: the IPv4 block excepts only IPv4 ranges, in the same order as before IPv6 was known", async () => {
        const { allow } = await trialPolicies("direct-api", {
            directApiExtraExceptCidrs: ["2001:db8::/32", "203.0.113.0/24"],
        });
        const block = (spec(allow[0]).egress ?? [])[1].to?.[0].ipBlock;
        // The API server refuses an except outside its block, so the IPv6 extra stays out.
        expect(block).to.deep.equal({
            cidr: "0.0.0.0/0",
            except: [
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "169.254.0.0/16",
                "100.64.0.0/10",
                "203.0.113.0/24",
            ],
        });
    });

    it("litellm: only the proxy pods' port in the pipeline namespace", async () => {
        const { allow } = await trialPolicies("litellm", { litellmPort: 4100 });
        const rule = (spec(allow[0]).egress ?? [])[1];
        expect(rule.ports).to.deep.equal([{ protocol: "TCP", port: 4100 }]);
        expect(rule.to).to.deep.equal([
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ab-eval-flow-dev" } },
                podSelector: { matchLabels: LITELLM.podLabels },
            },
        ]);
    });

    it("self-hosted: only the configured model server, default port 8000", async () => {
        const { allow, run } = await trialPolicies("self-hosted", {
            selfHostedNamespace: "models",
            selfHostedPodLabels: ["app=vllm"],
        });
        const rule = (spec(allow[0]).egress ?? [])[1];
        expect(rule.ports).to.deep.equal([{ protocol: "TCP", port: 8000 }]);
        expect(rule.to).to.deep.equal([
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "models" } },
                podSelector: { matchLabels: { app: "vllm" } },
            },
        ]);
        expect(ofType(run, NETPOL).map((r) => field(r, "metadata", "name"))).to.not.include(
            NETWORK_POLICIES.litellmProxy,
        );
    });

    it("follows a custom trial selector and DNS target", async () => {
        const run = await runProgram(
            withMode("dev", "direct-api", {
                trialPodLabels: ["team/role=trial-pod"],
                dnsNamespace: "kube-system",
                dnsPodLabels: ["k8s-app=kube-dns"],
                dnsPorts: [53],
            }),
        );
        const cleanupPolicies: string[] = [NETWORK_POLICIES.cleanupDefaultDeny, NETWORK_POLICIES.cleanupAllow];
        const policies = ofType(run, NETPOL).filter(
            (p) => !cleanupPolicies.includes(field(p, "metadata", "name") as string),
        );
        for (const p of policies) {
            expect(spec(p).podSelector.matchLabels).to.deep.equal({ "team/role": "trial-pod" });
        }
        const allow = policies.find((p) => !isDefaultDeny(p));
        const dnsRule = {
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
            ],
            ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ],
        };
        expect(allow && (spec(allow).egress ?? [])[0]).to.deep.equal(dnsRule);
        // The cleanup job's pods resolve names through the same DNS pods.
        const cleanupAllow = ofType(run, NETPOL).find(
            (p) => field(p, "metadata", "name") === NETWORK_POLICIES.cleanupAllow,
        );
        expect(cleanupAllow && (spec(cleanupAllow).egress ?? [])[0]).to.deep.equal(dnsRule);
    });
});
