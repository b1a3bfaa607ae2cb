// CIDR parsing and the list of non-public address ranges, in one place for the program
// (components/: the config checks and the NetworkPolicies it writes) and the policy pack
// (policy/: the rules that judge every NetworkPolicy), so the ranges the program excepts and
// the ranges the pack demands cannot drift apart. IPv4 and IPv6, parsed by ipaddr.js.
import * as ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

export interface Cidr {
    family: IpFamily;
    /** The address as written, host bits included. */
    address: ipaddr.IPv4 | ipaddr.IPv6;
    prefix: number;
}

/**
 * Never reachable through an allow rule meant for the internet: a wider egress ipBlock must
 * except each of these, and the program's public-HTTPS rule excepts the IPv4 ones from
 * 0.0.0.0/0. The only copy of the list: everything else imports it.
 */
export const NON_PUBLIC_CIDRS = [
    // IPv4: the private networks (RFC 1918); link-local (RFC 3927), which holds the cloud
    // metadata endpoint 169.254.169.254 that hands out credentials; the shared address space
    // (RFC 6598) OpenShift uses for its cluster network.
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    // IPv6: unique local addresses (RFC 4193, the IPv6 private networks); link-local
    // (RFC 4291); loopback; IPv4-mapped addresses (RFC 4291 2.5.5.2, ::ffff:10.0.0.1 is
    // 10.0.0.1 to a dual-stack socket); and the IPv6 credential endpoints of the clouds, AWS
    // IMDS (fd00:ec2::254), the EKS Pod Identity agent (fd00:ec2::23) and the Google Cloud
    // metadata server (fd20:ce::254). Those three lie inside fc00::/7 but are listed on their
    // own, so that a block naming a unique-local network on purpose must still except them.
    "fc00::/7",
    "fe80::/10",
    "::1/128",
    "::ffff:0:0/96",
    "fd00:ec2::254/128",
    "fd00:ec2::23/128",
    "fd20:ce::254/128",
] as const;

const BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const DECIMAL_OCTET = /^(0|[1-9]\d{0,2})$/;

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
    const quad = DOTTED_QUAD.exec(text);
    if (quad) {
        // Dotted decimal only, read as Kubernetes reads it ("010" is ten). ipaddr.js would also
        // take hex, octal and short forms such as "10.1", which the API server refuses.
        const octets = quad.slice(1, 5).map(Number);
        return octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : undefined;
    }
    if (!text.includes(":") || text.includes("%")) {
        return undefined; // neither family, or an IPv6 zone, which a CIDR cannot carry
    }
    const tail = text.slice(text.lastIndexOf(":") + 1);
    if (tail.includes(".") && !tail.split(".").every((octet) => DECIMAL_OCTET.test(octet))) {
        return undefined; // an embedded IPv4 address must be plain decimal too
    }
    return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
}

/**
 * "10.0.0.0/8", "fc00::/7", "::ffff:10.0.0.0/104" to family, address and prefix; undefined
 * for anything else (no prefix, a prefix too long for the family, hex or octal IPv4, zones).
 * Surrounding whitespace is ignored; host bits are allowed (see isNetwork).
 */
export function parseCidr(text: string): Cidr | undefined {
    const [addressText, prefixText, ...rest] = text.trim().split("/");
    if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) {
        return undefined;
    }
    const address = parseAddress(addressText);
    const prefix = Number(prefixText);
    if (address === undefined || prefix > BITS[address.kind()]) {
        return undefined;
    }
    return { family: address.kind(), address, prefix };
}

/** Whether no host bits are set: "10.0.0.0/8" is a network, "10.1.2.3/8" a typo for one. */
export function isNetwork(cidr: Cidr): boolean {
    return cidr.address.toByteArray().every((byte, i) => {
        const networkBits = Math.min(8, Math.max(0, cidr.prefix - 8 * i));
        return (byte & (0xff >> networkBits)) === 0;
    });
}

/** A network in CIDR form, exactly as written (no whitespace, no host bits); undefined otherwise. */
export function parseNetwork(text: string): Cidr | undefined {
    const cidr = text === text.trim() ? parseCidr(text) : undefined;
    return cidr !== undefined && isNetwork(cidr) ? cidr : undefined;
}

/** Whether every address of `inner` is in `outer`. Never across families: an IPv4 block holds no IPv6 address. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
    return (
        outer.family === inner.family &&
        outer.prefix <= inner.prefix &&
        inner.address.match(outer.address, outer.prefix)
    );
}

/** The whole address space of its family: 0.0.0.0/0 or ::/0, however spelled. */
export function isWholeFamily(cidr: Cidr): boolean {
    return cidr.prefix === 0;
}

/**
 * The entries of `excepts` that may stand in the `except` list of an ipBlock with `cidr`:
 * those of the block's family strictly inside it (the API server rejects any other), in order.
 */
export function exceptsWithin(cidr: string, excepts: readonly string[]): string[] {
    const block = parseCidr(cidr);
    if (block === undefined) {
        throw new Error(`exceptsWithin: "${cidr}" is not a CIDR`);
    }
    return excepts.filter((text) => {
        const except = parseCidr(text);
        return except !== undefined && cidrContains(block, except) && except.prefix > block.prefix;
    });
}
