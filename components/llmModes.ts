// The LLM modes (abevalflow:llmMode): how trial pods reach a model. Each mode is one entry of
// LLM_MODE_TABLE, and everything that differs per mode derives from it: the values the config
// check accepts, the name and egress rule of the one allow policy trial pods get, the README's
// per-mode table (npm run docs), the connection the reachability analyses expect the mode to
// open, and what the migration deletes of the old layout. README.md, "Layout", lists what else
// a new mode takes.
import * as k8s from "@pulumi/kubernetes";
import { HTTPS_PORT, LITELLM, NON_PUBLIC_CIDRS } from "./names";
import { dnsEgressRule, namespacePeer, NetworkInputs, PUBLIC_IPV4, publicHttpsEgressRule } from "./networkPolicies";

type Spec = k8s.types.input.networking.v1.NetworkPolicySpec;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** What a mode's egress rule is built from: the stack's targets, whatever its mode. */
export type ModeTargets = Omit<NetworkInputs, "llmMode" | "trialPodLabels" | "dns">;

/**
 * A connection in the terms of docs/reachability.yaml: `to` a workload id or an external
 * address named there, `port` a number or a port the matrix resolves from the stack's config
 * (scripts/netpol/matrix.ts, NAMED_PORTS). The matrix loader refuses a name it does not know.
 */
export interface ModeConnection {
    readonly to: string;
    readonly protocol: "TCP" | "UDP";
    readonly port: number | string;
}

export interface LlmModeSpec {
    /** Name of the one egress allow NetworkPolicy trial pods get in this mode, beside their default-deny. */
    readonly allowPolicy: string;
    /** The allow policy's rule besides DNS: where this mode lets trial pods connect. */
    readonly egress: (targets: ModeTargets) => EgressRule;
    /** The README's cell for the mode: what trial pods may reach besides DNS (Markdown, config keys in backticks). */
    readonly readme: string;
    /**
     * The connection from a trial pod that this mode, and no other, allows: the reachability
     * matrix expects it allowed here and denied in every other mode, and expects nothing else
     * of trial pods beyond DNS (tests/reachability.spec.ts, tests/e2e/connections.e2e.ts).
     */
    readonly reaches: ModeConnection;
    /** The mode's allow policy in the oc-applied layout that `npm run migrate` replaces; absent for a mode that layout never had. */
    readonly legacyAllowPolicy?: string;
}

const code = (text: string | number): string => `\`${text}\``;
const PUBLIC_IPV4_EXCEPTS = NON_PUBLIC_CIDRS.filter((cidr) => !cidr.includes(":"));

const LLM_MODE_TABLE = {
    "direct-api": {
        allowPolicy: "trial-egress-direct-api",
        egress: (targets): EgressRule => publicHttpsEgressRule(targets.directApi.extraExceptCidrs),
        readme:
            `TCP ${HTTPS_PORT} to ${code(PUBLIC_IPV4)} except ${PUBLIC_IPV4_EXCEPTS.map(code).join(", ")} ` +
            "and the IPv4 entries of `directApiExtraExceptCidrs`",
        reaches: { to: "public", protocol: "TCP", port: HTTPS_PORT },
        legacyAllowPolicy: "trial-allow-direct-api",
    },
    litellm: {
        allowPolicy: "trial-egress-litellm",
        egress: (targets): EgressRule => {
            if (targets.litellmPort === undefined) {
                throw new Error("trialAllowSpec: litellm mode needs the proxy port");
            }
            return {
                to: [namespacePeer(targets.namespace, LITELLM.podLabels)],
                ports: [{ protocol: "TCP", port: targets.litellmPort }],
            };
        },
        readme: "TCP `litellmPort` to the LiteLLM pods only",
        reaches: { to: "litellm", protocol: "TCP", port: "litellmPort" },
        legacyAllowPolicy: "trial-allow-litellm",
    },
    "self-hosted": {
        allowPolicy: "trial-egress-self-hosted",
        egress: (targets): EgressRule => ({
            to: [namespacePeer(targets.selfHosted.namespace, targets.selfHosted.podLabels)],
            ports: [{ protocol: "TCP", port: targets.selfHosted.port }],
        }),
        readme: "TCP `selfHostedPort` to the model server pods (`selfHostedNamespace`, `selfHostedPodLabels`)",
        reaches: { to: "model-server", protocol: "TCP", port: "selfHostedPort" },
        legacyAllowPolicy: "trial-allow-self-hosted",
    },
} satisfies Record<string, LlmModeSpec>;

export type LlmMode = keyof typeof LLM_MODE_TABLE;

/** Every mode, in the table's order (the order of the docs' columns and the tests' loops). */
export const LLM_MODES = Object.keys(LLM_MODE_TABLE) as readonly LlmMode[];

export function isLlmMode(value: unknown): value is LlmMode {
    return typeof value === "string" && Object.hasOwn(LLM_MODE_TABLE, value);
}

export function llmMode(mode: LlmMode): LlmModeSpec {
    return LLM_MODE_TABLE[mode];
}

/** The allow policy of every mode: a stack has exactly one of them. */
export const TRIAL_ALLOW_POLICIES: readonly string[] = LLM_MODES.map((mode) => LLM_MODE_TABLE[mode].allowPolicy);

/** The one allow policy for trial pods in the stack's LLM mode: DNS plus the mode's target. */
export function trialAllowSpec(net: NetworkInputs): Spec {
    return {
        podSelector: { matchLabels: net.trialPodLabels },
        policyTypes: ["Egress"],
        egress: [dnsEgressRule(net.dns), llmMode(net.llmMode).egress(net)],
    };
}
