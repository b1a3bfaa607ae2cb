import { expect } from "chai";
import { NON_PUBLIC_CIDRS } from "../../common/cidr";
import { K8sObject } from "../../policy/lib/k8s";
import { defaultDenyPlusAllow } from "../../policy/policies/default-deny-plus-allow";
import {
    allowPolicy,
    checkStack,
    defaultDeny,
    dnsRule,
    egressOf,
    firing,
    httpsRule,
    LITELLM,
    NS,
    TRIAL,
} from "./fixtures";

const NAME = "default-deny-plus-allow";

function compliant(): K8sObject[] {
    return [defaultDeny(), allowPolicy()];
}

function messages(objects: K8sObject[], config = {}): string[] {
    return checkStack(defaultDenyPlusAllow, objects, config).map((f) => f.message);
}

function expectCaught(objects: K8sObject[], why: RegExp): void {
    expect(messages(objects).join("\n")).to.match(why);
    expect(firing(objects)).to.deep.equal([NAME]);
}

describe(NAME, () => {
    it("passes a default-deny plus one allow policy for the same pods, and so does every other policy", () => {
        expect(messages(compliant())).to.deep.equal([]);
        expect(firing(compliant())).to.deep.equal([]);
    });

    it("passes a default-deny that selects more pods than the allow policy", () => {
        expect(messages([defaultDeny({}), allowPolicy()])).to.deep.equal([]);
        const byExpression = defaultDeny();
        byExpression.spec = {
            podSelector: { matchExpressions: [{ key: "abevalflow/role", operator: "Exists" }] },
            policyTypes: ["Egress"],
        };
        expect(messages([byExpression, allowPolicy()])).to.deep.equal([]);
    });

    it("accepts a deny for both directions, as the LiteLLM proxy uses", () => {
        const deny = defaultDeny(LITELLM, "litellm-default-deny");
        deny.spec = { podSelector: { matchLabels: LITELLM }, policyTypes: ["Ingress", "Egress"] };
        expect(messages([deny, allowPolicy(LITELLM, "litellm-proxy")])).to.deep.equal([]);
    });

    describe("fails an allow policy without its default-deny", () => {
        it("when there is none (the review's INSTEAD OF advice followed)", () => {
            expectCaught([allowPolicy()], /no separate default-deny/);
        });
        it("when the deny selects other pods", () => {
            expectCaught([defaultDeny(LITELLM), allowPolicy()], /no separate default-deny/);
        });
        it("when the deny selects fewer pods", () => {
            expectCaught([defaultDeny({ ...TRIAL, tier: "gpu" }), allowPolicy()], /no separate default-deny/);
        });
        it("when the deny is in another namespace", () => {
            const deny = defaultDeny();
            deny.metadata = { ...deny.metadata, namespace: "elsewhere" };
            expectCaught([deny, allowPolicy()], /no separate default-deny/);
        });
        it("when the deny has egress rules", () => {
            const deny = defaultDeny();
            deny.spec = { podSelector: { matchLabels: TRIAL }, policyTypes: ["Egress"], egress: [httpsRule()] };
            expect(messages([deny, allowPolicy()])).to.have.length.greaterThan(0);
        });
        it("when the deny covers only ingress", () => {
            const deny = defaultDeny();
            deny.spec = { podSelector: { matchLabels: TRIAL }, policyTypes: ["Ingress"] };
            expectCaught([deny, allowPolicy()], /no separate default-deny/);
        });
        it("when the allow policy leaves policyTypes to the API server's default", () => {
            const allow = allowPolicy();
            allow.spec = { podSelector: { matchLabels: TRIAL }, egress: [dnsRule()] };
            expectCaught([allow], /no separate default-deny/);
        });
    });

    it("fails two mode allow policies for trial pods, naming both", () => {
        const objects = [...compliant(), allowPolicy(TRIAL, "trial-egress-litellm")];
        const found = checkStack(defaultDenyPlusAllow, objects).filter((f) =>
            /2 egress allow policies/.test(f.message),
        );
        expect(found.map((f) => f.subject?.metadata?.name)).to.deep.equal([
            "trial-egress-direct-api",
            "trial-egress-litellm",
        ]);
        expect(firing(objects)).to.deep.equal([NAME]);
    });

    it("fails egress to every namespace", () => {
        const objects = compliant();
        egressOf(objects[1]).push({ to: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] });
        expectCaught(objects, /every namespace/);
    });

    it("fails 0.0.0.0/0 on every port, but not on named ports", () => {
        const objects = compliant();
        delete egressOf(objects[1])[1].ports;
        expectCaught(objects, /0\.0\.0\.0\/0 on every port/);
        expect(messages(compliant())).to.deep.equal([]);
    });

    describe("fails ::/0 on every port, as it fails 0.0.0.0/0", () => {
        const ipv6Excepts = NON_PUBLIC_CIDRS.filter((cidr) => cidr.includes(":"));
        for (const cidr of ["::/0", "0::/0", "::0/0", "0:0:0:0:0:0:0:0/0", "0.0.0.0/00"]) {
            it(`written ${cidr}`, () => {
                const objects = compliant();
                egressOf(objects[1]).push({
                    to: [
                        {
                            ipBlock: {
                                cidr,
                                except: cidr.includes(":")
                                    ? ipv6Excepts
                                    : [...NON_PUBLIC_CIDRS.filter((c) => !c.includes(":"))],
                            },
                        },
                    ],
                });
                expect(messages(objects)).to.deep.equal([`egress[2] allows ${cidr} on every port`]);
                expect(firing(objects)).to.deep.equal([NAME]);
            });
        }

        it("but not on named ports, nor a narrower IPv6 block on every port", () => {
            const objects = compliant();
            egressOf(objects[1]).push({
                to: [{ ipBlock: { cidr: "::/0", except: ipv6Excepts } }],
                ports: [{ protocol: "TCP", port: 443 }],
            });
            egressOf(objects[1]).push({ to: [{ ipBlock: { cidr: "2001:db8::/32" } }] });
            expect(messages(objects)).to.deep.equal([]);
        });
    });

    it("fails a rule to every destination on every port", () => {
        const objects = compliant();
        egressOf(objects[1]).push({});
        expectCaught(objects, /every destination on every port/);
    });

    describe("DNS egress goes only to the DNS namespace", () => {
        it("fails DNS to every namespace (the review's port-53 rule)", () => {
            const objects = compliant();
            egressOf(objects[1])[0].to = [{ namespaceSelector: {} }];
            expectCaught(objects, /not limited to namespace "openshift-dns"/);
        });
        it("fails DNS to any destination", () => {
            const objects = compliant();
            delete egressOf(objects[1])[0].to;
            expectCaught(objects, /DNS to any destination/);
        });
        it("fails DNS to another namespace", () => {
            const objects = compliant();
            egressOf(objects[1])[0].to = [
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } },
            ];
            expectCaught(objects, /not limited to namespace/);
        });
        it("fails DNS to the right namespace but any pod, unless configured so", () => {
            const objects = compliant();
            egressOf(objects[1])[0].to = [
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } } },
            ];
            expectCaught(objects, /does not select the DNS pods/);
            expect(messages(objects, { dnsPodLabels: {} })).to.deep.equal([]);
        });
        it("follows a configured DNS namespace", () => {
            const objects = compliant();
            expect(messages(objects, { dnsNamespace: "kube-system" }).join("\n")).to.include(
                'not limited to namespace "kube-system"',
            );
        });
    });

    it("fails an annotation telling operators to apply the allow policy instead of default-deny", () => {
        const objects = compliant();
        objects[1].metadata = {
            name: "trial-egress-litellm",
            namespace: NS,
            annotations: { "abevalflow/note": "Apply this policy INSTEAD OF default-deny." },
        };
        expectCaught(objects, /instead of the default-deny/);
        objects[1].metadata.annotations = { "abevalflow/note": "Apply IN ADDITION TO default-deny." };
        expect(messages(objects)).to.deep.equal([]);
    });
});
