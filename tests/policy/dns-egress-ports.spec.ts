import { expect } from "chai";
import { dnsEgressPorts } from "../../policy/policies/dns-egress-ports";
import { allowPolicy, checkResource, defaultDeny, dnsRule, egressOf, firing } from "./fixtures";

const NAME = "dns-egress-ports";

describe(NAME, () => {
    it("passes DNS on 5353 and 53, UDP and TCP", () => {
        expect(checkResource(dnsEgressPorts, allowPolicy())).to.deep.equal([]);
    });

    it("fails DNS on port 53 only (the review's rule), which OVN-Kubernetes drops", () => {
        const np = allowPolicy();
        egressOf(np)[0].ports = [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ];
        expect(checkResource(dnsEgressPorts, np)).to.deep.equal([
            "DNS rule egress[0] does not allow 5353/UDP, 5353/TCP",
        ]);
        expect(firing([defaultDeny(), np])).to.deep.equal([NAME]);
    });

    it("fails DNS without TCP, and reads a port without protocol as TCP", () => {
        const np = allowPolicy();
        egressOf(np)[0].ports = [{ protocol: "UDP", port: 5353 }, { port: 5353 }];
        expect(checkResource(dnsEgressPorts, np)).to.deep.equal([]);
        egressOf(np)[0].ports = [{ protocol: "UDP", port: 5353 }];
        expect(checkResource(dnsEgressPorts, np)).to.deep.equal(["DNS rule egress[0] does not allow 5353/TCP"]);
    });

    it("takes the required ports from config", () => {
        const np = allowPolicy(undefined, undefined, [{ ...dnsRule(), ports: [{ protocol: "UDP", port: 53 }] }]);
        expect(checkResource(dnsEgressPorts, np, { requiredPorts: ["53/UDP"] })).to.deep.equal([]);
    });
});
