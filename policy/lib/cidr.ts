// IPv4 CIDR parsing shared by the pack's network rules and the program's config checks.

export interface Ipv4Range {
    /** The address as an unsigned 32-bit number. */
    base: number;
    prefix: number;
}

/** "a.b.c.d/n" to its address and prefix; undefined for anything else (IPv6 included). */
export function parseIpv4Cidr(text: string): Ipv4Range | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
    if (!match) {
        return undefined;
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    return { base: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}
