// Deliberately broken policies, for the tests that show the reachability check fails when
// a policy is wrong. Each edits the analyzer input only; the program is untouched.
import { llmMode, TRIAL_ALLOW_POLICIES } from "../../components/llmModes";
import { NETWORK_POLICIES } from "../../components/names";
import { Manifest, ManifestSet } from "./manifests";

type PolicySpec = {
    podSelector: unknown;
    policyTypes?: string[];
    egress?: { to?: unknown[]; ports?: { protocol?: string; port?: number }[] }[];
    ingress?: unknown[];
};

function isPolicy(m: Manifest, name: string): boolean {
    return m.kind === "NetworkPolicy" && m.metadata.name === name;
}

function editPolicies(set: ManifestSet, edit: (m: Manifest) => Manifest | undefined): ManifestSet {
    const manifests = set.manifests.flatMap((m) => {
        if (m.kind !== "NetworkPolicy") {
            return [m];
        }
        const edited = edit(structuredClone(m));
        return edited ? [edited] : [];
    });
    return { ...set, manifests };
}

const specOf = (m: Manifest): PolicySpec => m.spec as PolicySpec;

/** The original's mistake: no default-deny, and DNS on port 53 to every namespace. */
export function widenDns(set: ManifestSet): ManifestSet {
    return editPolicies(set, (m) => {
        if (isPolicy(m, NETWORK_POLICIES.trialDefaultDeny)) {
            return undefined;
        }
        if (TRIAL_ALLOW_POLICIES.some((name) => isPolicy(m, name))) {
            const dns = (specOf(m).egress ?? [])[0];
            dns.to = [{ namespaceSelector: {} }];
            dns.ports = [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ];
        }
        return m;
    });
}

/** The trial allow rule names another port than the proxy listens on. */
export function wrongLitellmPort(set: ManifestSet): ManifestSet {
    return editPolicies(set, (m) => {
        if (isPolicy(m, llmMode("litellm").allowPolicy)) {
            const rule = (specOf(m).egress ?? [])[1];
            rule.ports = [{ protocol: "TCP", port: set.ports.litellmPort + 1 }];
        }
        return m;
    });
}

/** The proxy loses its ingress isolation: only its egress stays restricted. */
export function openLitellmIngress(set: ManifestSet): ManifestSet {
    return editPolicies(set, (m) => {
        if (isPolicy(m, NETWORK_POLICIES.litellmDefaultDeny) || isPolicy(m, NETWORK_POLICIES.litellmProxy)) {
            const spec = specOf(m);
            spec.policyTypes = ["Egress"];
            delete spec.ingress;
        }
        return m;
    });
}

/** The cleanup job's allow policy names the API server Service's port (443) instead of the endpoints' (6443). */
export function cleanupServicePort(set: ManifestSet): ManifestSet {
    return editPolicies(set, (m) => {
        if (isPolicy(m, NETWORK_POLICIES.cleanupAllow)) {
            const rule = (specOf(m).egress ?? [])[1];
            rule.ports = [{ protocol: "TCP", port: 443 }];
        }
        return m;
    });
}

/** The cleanup job's pods lose their egress policies altogether, as before issue 14. */
export function dropCleanupEgress(set: ManifestSet): ManifestSet {
    return editPolicies(set, (m) =>
        isPolicy(m, NETWORK_POLICIES.cleanupDefaultDeny) || isPolicy(m, NETWORK_POLICIES.cleanupAllow) ? undefined : m,
    );
}
