import { expect } from "chai";
import { egressExceptsInternal } from "../../policy/policies/egress-excepts-internal";
import { allowPolicy, checkResource, defaultDeny, dnsRule, firing } from "./fixtures";

const NAME = "egress-excepts-internal";

function withBlock(ipBlock: Record<string, unknown>) {
    return allowPolicy(undefined, undefined, [dnsRule(), { to: [{ ipBlock }], ports: [{ protocol: "TCP", port: 443 }] }]);
}

describe(NAME, () => {
    it("passes 0.0.0.0/0 excepting every internal range", () => {
        expect(checkResource(egressExceptsInternal, allowPolicy())).to.deep.equal([]);
    });

    it("fails 0.0.0.0/0 excepting only RFC1918 (the review's direct-api policy)", () => {
        const np = withBlock({ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] });
        expect(checkResource(egressExceptsInternal, np)).to.deep.equal(["egress[1] ipBlock 0.0.0.0/0 does not except 169.254.0.0/16, 100.64.0.0/10"]);
        expect(firing([defaultDeny(), np])).to.deep.equal([NAME]);
    });

    it("fails a wide block that contains a range, accepts a wider except", () => {
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "128.0.0.0/1" }))[0]).to.include("169.254.0.0/16");
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "169.0.0.0/8", except: ["169.254.0.0/15"] }))).to.deep.equal([]);
    });

    it("passes a block inside an internal range, which names it on purpose", () => {
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "10.1.2.0/24" }))).to.deep.equal([]);
    });

    it("ignores IPv6 blocks and reports a bad configured range clearly", () => {
        expect(checkResource(egressExceptsInternal, withBlock({ cidr: "::/0" }))).to.deep.equal([]);
        expect(() => checkResource(egressExceptsInternal, allowPolicy(), { requiredExcepts: ["10.0.0/8"] })).to.throw(/"10.0.0\/8" is not an IPv4 CIDR/);
    });
});
