import { expect } from "chai";
import { NON_PUBLIC_CIDRS } from "../../common/cidr";
import { resolvePolicies } from "../../policy/checker/config";
import { checkSubjects } from "../../policy/checker/engine";
import { K8sObject } from "../../policy/lib/k8s";
import { egressExceptsInternal } from "../../policy/policies/egress-excepts-internal";
import { RULES } from "../../policy/policies";
import prodConfig from "../../policy/config/prod.json";
import { allowPolicy, checkResource, defaultDeny, dnsRule, firing } from "./fixtures";

const NAME = "egress-excepts-internal";
const IPV6_NON_PUBLIC = NON_PUBLIC_CIDRS.filter((cidr) => cidr.includes(":"));
const PROD = resolvePolicies(RULES, prodConfig, "prod.json");

/** The policies that block `objects` under the prod config, where every rule is mandatory. */
function blockingAtProd(objects: K8sObject[]): string[] {
    return [
        ...new Set(
            checkSubjects(
                objects.map((object) => ({ object })),
                PROD,
            )
                .filter((v) => v.enforcementLevel === "mandatory")
                .map((v) => v.policy),
        ),
    ];
}

function withBlock(ipBlock: Record<string, unknown>) {
    return allowPolicy(undefined, undefined, [
        dnsRule(),
        { to: [{ ipBlock }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
}

describe(NAME, () => {
    it("passes 0.0.0.0/0 excepting every internal range", () => {
        expect(checkResource(egressExceptsInternal, allowPolicy())).to.deep.equal([]);
    });

    it("fails 0.0.0.0/0 excepting only RFC1918 (the review's direct-api policy)", () => {
        const np = withBlock({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] });
        expect(checkResource(egressExceptsInternal, np)).to.deep.equal([
            "egress[1] ipBlock 0.0.0.0/0 does not except 169.254.0.0/16, 100.64.0.0/10",
        ]);
        expect(firing([defaultDeny(), np])).to.deep.equal([NAME]);
    });

    it("fails a wide block that contains a range, accepts a wider except", () => {
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "128.0.0.0/1" }))[0]).to.include(
            "169.254.0.0/16",
        );
        expect(
            checkResource(egressExceptsInternal, withBlock({ cidr: "169.0.0.0/8", except: ["169.254.0.0/15"] })),
        ).to.deep.equal([]);
    });

    it("passes a block inside an internal range, which names it on purpose", () => {
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "10.1.2.0/24" }))).to.deep.equal([]);
    });

    it("passes the cleanup job's API server endpoints, host addresses inside private ranges, at prod strength", () => {
        const apiServer = {
            to: ["10.0.0.5/32", "100.64.0.1/32", "fd00:10::5/128"].map((cidr) => ({ ipBlock: { cidr } })),
            ports: [{ protocol: "TCP", port: 6443 }],
        };
        const np = allowPolicy(undefined, undefined, [dnsRule(), apiServer]);
        expect(checkResource(egressExceptsInternal, np)).to.deep.equal([]);
        expect(blockingAtProd([defaultDeny(), np])).to.deep.equal([]);
        // A host route is flagged only when it is itself a listed range, such as a cloud credential endpoint.
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "fd00:ec2::254/128" }))).to.deep.equal([
            "egress[1] ipBlock fd00:ec2::254/128 does not except fd00:ec2::254/128",
        ]);
    });

    describe("IPv6", () => {
        it("fails ::/0 on one port without excepts, which once passed every rule at prod strength", () => {
            const np = withBlock({ cidr: "::/0" });
            expect(checkResource(egressExceptsInternal, np)).to.deep.equal([
                "egress[1] ipBlock ::/0 does not except fc00::/7, fe80::/10, ::1/128, ::ffff:0:0/96, fd00:ec2::254/128, fd00:ec2::23/128, fd20:ce::254/128",
            ]);
            expect(firing([defaultDeny(), np])).to.deep.equal([NAME]);
            expect(blockingAtProd([defaultDeny(), np])).to.deep.equal([NAME]);
        });

        it("passes ::/0 excepting every IPv6 internal range; IPv4 excepts do not count for an IPv6 block", () => {
            expect(
                checkResource(egressExceptsInternal, withBlock({ cidr: "::/0", except: IPV6_NON_PUBLIC })),
            ).to.deep.equal([]);
            expect(
                blockingAtProd([defaultDeny(), withBlock({ cidr: "0:0:0:0:0:0:0:0/0", except: IPV6_NON_PUBLIC })]),
            ).to.deep.equal([]);
            const ipv4Only = checkResource(
                egressExceptsInternal,
                withBlock({ cidr: "::/0", except: NON_PUBLIC_CIDRS.filter((c) => !c.includes(":")) }),
            );
            expect(ipv4Only).to.have.length(1);
            expect(ipv4Only[0]).to.include("fc00::/7").and.not.include("10.0.0.0/8");
        });

        for (const [label, cidr, open] of [
            [
                "half the space, holding the unique-local and link-local ranges",
                "8000::/1",
                ["fc00::/7", "fe80::/10", "fd00:ec2::254/128"],
            ],
            ["the low /64, holding loopback and the IPv4-mapped range", "::/64", ["::1/128", "::ffff:0:0/96"]],
            [
                "a unique-local network holding the AWS IMDS and EKS Pod Identity addresses",
                "fd00:ec2::/32",
                ["fd00:ec2::254/128", "fd00:ec2::23/128"],
            ],
            ["a unique-local network holding the Google Cloud metadata server", "fd20:ce::/64", ["fd20:ce::254/128"]],
        ] as const) {
            it(`fails ${label} (${cidr}) without excepts`, () => {
                const problems = checkResource(egressExceptsInternal, withBlock({ cidr }));
                expect(problems).to.have.length(1);
                for (const range of open) {
                    expect(problems[0]).to.include(range);
                }
            });
        }

        it("accepts a wider except, and a block inside an internal range", () => {
            expect(
                checkResource(egressExceptsInternal, withBlock({ cidr: "fd00:ec2::/32", except: ["fd00:ec2::/116"] })),
            ).to.deep.equal([]);
            expect(checkResource(egressExceptsInternal, withBlock({ cidr: "fd12:3456::/48" }))).to.deep.equal([]);
            expect(checkResource(egressExceptsInternal, withBlock({ cidr: "2001:db8::/32" }))).to.deep.equal([]);
        });
    });

    it("fails an ipBlock whose cidr it cannot read rather than skipping it", () => {
        for (const cidr of ["10.0.0/8", "fe80::1%eth0/64", "0x0a.0.0.0/8", "::/129"]) {
            expect(checkResource(egressExceptsInternal, withBlock({ cidr })), cidr).to.deep.equal([
                `egress[1] ipBlock cidr ${JSON.stringify(cidr)} is not an IPv4 or IPv6 CIDR, so its excepts cannot be checked`,
            ]);
        }
    });

    it("takes IPv6 ranges in its config and reports a bad configured range clearly", () => {
        expect(
            checkResource(egressExceptsInternal, withBlock({ cidr: "2001:db8::/32" }), {
                requiredExcepts: ["2001:db8:1::/48"],
            }),
        ).to.deep.equal(["egress[1] ipBlock 2001:db8::/32 does not except 2001:db8:1::/48"]);
        expect(() => checkResource(egressExceptsInternal, allowPolicy(), { requiredExcepts: ["10.0.0/8"] })).to.throw(
            /"10.0.0\/8" is not an IPv4 or IPv6 CIDR/,
        );
    });
});
