// Tables in the docs that restate code or config. Each is generated here from its source
// of truth; `npm run docs` writes them between markers, and a test fails when the
// committed docs differ from what these functions produce.
import { LLM_MODES, PROJECT, stackFileConfig } from "../../components/config";
import { CLEANUP_ENV, CleanupEnvSpec, formText } from "../../components/cleanupEnv";
import { KEYS } from "../../components/configKeys";
import { CONFIG_RULES } from "../../components/configRules";
import { llmMode } from "../../components/llmModes";
import * as fs from "fs";
import * as path from "path";
import { controlsFor } from "../../policy/lib/podSecurity";
import { RULES } from "../../policy/policies";
import {
    field,
    MOCK_API_SERVER_ENDPOINT_SLICE,
    ofType,
    RecordedResource,
    runProgram,
    stackConfig,
    withMode,
} from "../engine/program-run";
import { REPO_ROOT } from "../engine/workspace";
import { reachabilityMatrix } from "../netpol/docs";
import { DeployerRights, deployerRights } from "../deployer/rights";
import { projectConfigBlock } from "./project-config";

export type Section = () => string | Promise<string>;

const STACKS = ["dev", "prod"];

function cell(value: unknown): string {
    if (value === undefined) {
        return "";
    }
    const text = typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value);
    return `\`${text.replace(/\|/g, "\\|")}\``;
}

function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim().replace(/\|/g, "\\|");
}

function table(header: string[], rows: string[][]): string {
    return [
        `| ${header.join(" | ")} |`,
        `|${header.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
}

/** The declared keys (components/configKeys.ts) that `filter` keeps, with each committed stack's value. */
function configRows(filter: (key: string) => boolean): string[][] {
    const values = Object.fromEntries(STACKS.map((s) => [s, stackFileConfig(s)]));
    return [...KEYS.values()]
        .filter((k) => filter(k.name))
        .map((k) => {
            const required = k.default === undefined ? " **required**" : "";
            return [
                `\`${k.name}\``,
                `${k.kind}${k.secret === true ? " (secret)" : ""}`,
                `${cell(k.default)}${required}`,
                ...STACKS.map((s) => cell(values[s][`${PROJECT}:${k.name}`])),
                oneLine(k.description),
            ];
        });
}

/** Every config key: type, default, the committed stacks' values, description. */
export const configKeys: Section = () =>
    table(
        ["key (`abevalflow:`)", "type", "default", ...STACKS, "description"],
        configRows(() => true),
    );

/** The rules that span keys (components/configRules.ts), in the order config.ts reports them. */
export const configRules: Section = () =>
    table(
        ["rule", "what it requires"],
        CONFIG_RULES.map((rule) => [`\`${rule.name}\``, oneLine(rule.description)]),
    );

export const cleanupKeys: Section = () =>
    table(
        ["key (`abevalflow:`)", "type", "default", ...STACKS, "description"],
        configRows((k) => k.startsWith("cleanup") || k.startsWith("apiServer")),
    );

/** Every variable cleanup.js reads: what the CronJob sets it from, and what the program accepts (components/cleanupEnv.ts). */
export const cleanupEnv: Section = () =>
    table(
        ["variable", "stack key", "form"],
        Object.entries(CLEANUP_ENV).map(([name, spec]: [string, CleanupEnvSpec]) => [
            `\`${name}\``,
            spec.setBy,
            formText(spec),
        ]),
    );

/** Quota and container defaults as each committed stack deploys them. */
export const quota: Section = async () => {
    const rows: string[][] = [];
    for (const stack of STACKS) {
        const run = await runProgram(stackConfig(stack));
        const hard = field(ofType(run, "kubernetes:core/v1:ResourceQuota")[0], "spec", "hard") as Record<
            string,
            string
        >;
        const limits = (
            field(ofType(run, "kubernetes:core/v1:LimitRange")[0], "spec", "limits") as Record<
                string,
                Record<string, string>
            >[]
        )[0];
        rows.push([
            stack,
            ...["pods", "requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "persistentvolumeclaims"].map(
                (k) => cell(hard[k]),
            ),
            `${cell(limits.defaultRequest.cpu)} / ${cell(limits.defaultRequest.memory)}`,
            `${cell(limits.default.cpu)} / ${cell(limits.default.memory)}`,
        ]);
    }
    return table(
        [
            "stack",
            "pods",
            "requests.cpu",
            "limits.cpu",
            "requests.memory",
            "limits.memory",
            "PVCs",
            "container default request (cpu / memory)",
            "container default limit",
        ],
        rows,
    );
};

interface Rule {
    apiGroups?: string[];
    resources?: string[];
    verbs?: string[];
    resourceNames?: string[];
}

function ruleRows(account: string, rules: Rule[]): string[][] {
    return rules.map((r) => [
        account,
        (r.apiGroups ?? []).map((g) => `\`${g || "core"}\``).join(", "),
        (r.resources ?? []).map((x) => `\`${x}\``).join(", "),
        (r.verbs ?? []).join(", "),
        (r.resourceNames ?? []).map((n) => `\`${n}\``).join(", ") || "any",
    ]);
}

/** What every ServiceAccount the program creates may do, from the rules it applies. */
export const rbac: Section = async () => {
    const run = await runProgram(stackConfig("dev"));
    const roleRows = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:Role").flatMap((role) => {
        const bindings = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").filter(
            (b) => (field(b, "roleRef") as { kind: string; name: string }).name === field(role, "metadata", "name"),
        );
        const accounts = bindings.flatMap((b) => (field(b, "subjects") as { name: string }[]).map((s) => s.name));
        return ruleRows(accounts.join(", "), field(role, "rules") as Rule[]);
    });
    const clusterRoleBindings = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
        .filter((b) => (field(b, "roleRef") as { kind: string }).kind === "ClusterRole")
        .map((b) => [
            (field(b, "subjects") as { name: string }[]).map((s) => s.name).join(", "),
            "",
            `ClusterRole \`${(field(b, "roleRef") as { name: string }).name}\` (namespaced binding)`,
            "",
            "",
        ]);
    const noAccess = ofType(run, "kubernetes:core/v1:ServiceAccount")
        .filter((sa) => field(sa, "automountServiceAccountToken") === false)
        .map((sa) => [String(field(sa, "metadata", "name")), "", "nothing: no binding, no token mounted", "", ""]);
    return (
        table(
            ["ServiceAccount", "API groups", "resources", "verbs", "resourceNames"],
            [...roleRows, ...clusterRoleBindings, ...noAccess],
        ) + "\n\nValues of the dev stack; the pipeline's secret names come from `pipelineSecretNames`."
    );
};

/** The addresses the mocks give the API server lookup; the docs name their source instead. */
const LOOKED_UP_API_SERVER = new Set(
    MOCK_API_SERVER_ENDPOINT_SLICE.endpoints.flatMap((e) => e.addresses.map((a) => `${a}/32`)),
);

function peers(rule: { to?: Record<string, unknown>[]; from?: Record<string, unknown>[] }): string {
    const list = rule.to ?? rule.from ?? [];
    const cidrs = list.map((p) => (p.ipBlock as { cidr?: string } | undefined)?.cidr);
    if (list.length > 0 && cidrs.every((c) => c !== undefined && LOOKED_UP_API_SERVER.has(c))) {
        return "the API server endpoints (`apiServerCidrs`; when empty, the addresses of EndpointSlice `default/kubernetes` at deploy time)";
    }
    return list
        .map((p) => {
            const ip = p.ipBlock as { cidr: string; except?: string[] } | undefined;
            if (ip) {
                const except = ip.except ?? [];
                return `\`${ip.cidr}\`${except.length > 0 ? ` except ${except.map((c) => `\`${c}\``).join(", ")}` : ""}`;
            }
            const ns = (p.namespaceSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels?.[
                "kubernetes.io/metadata.name"
            ];
            const pods = p.podSelector as
                { matchLabels?: Record<string, string>; matchExpressions?: { key: string }[] } | undefined;
            const podText = pods?.matchLabels
                ? Object.entries(pods.matchLabels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(",")
                : pods?.matchExpressions
                  ? pods.matchExpressions.map((e) => `${e.key} exists`).join(",")
                  : "any pod";
            return `${podText}${ns ? ` in \`${ns}\`` : ""}`;
        })
        .join("; ");
}

function policyRows(mode: string, policy: RecordedResource): string[][] {
    const spec = field(policy, "spec") as {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        egress?: Record<string, unknown>[];
        ingress?: Record<string, unknown>[];
    };
    const selects = Object.entries(spec.podSelector.matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    const name = `\`${String(field(policy, "metadata", "name"))}\``;
    const rules = [
        ...(spec.ingress ?? []).map((r) => ["ingress from", r] as const),
        ...(spec.egress ?? []).map((r) => ["egress to", r] as const),
    ];
    if (rules.length === 0) {
        return [[mode, name, selects, `deny all ${spec.policyTypes.join(" and ").toLowerCase()}`, ""]];
    }
    return rules.map(([direction, r]) => [
        mode,
        name,
        selects,
        `${direction} ${peers(r as { to?: Record<string, unknown>[] })}`,
        ((r.ports ?? []) as { protocol: string; port: number }[]).map((p) => `${p.protocol}/${p.port}`).join(", "),
    ]);
}

/** The README's table of the LLM modes, from components/llmModes.ts. */
export const llmModes: Section = () =>
    table(
        ["`llmMode`", "allow policy", "allowed besides DNS"],
        LLM_MODES.map((mode) => [`\`${mode}\``, `\`${llmMode(mode).allowPolicy}\``, llmMode(mode).readme]),
    );

/** The NetworkPolicies each LLM mode deploys (dev stack values), rule by rule. */
export const networkPolicies: Section = async () => {
    const rows: string[][] = [];
    for (const mode of LLM_MODES) {
        const run = await runProgram(withMode("dev", mode));
        for (const policy of ofType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
            rows.push(...policyRows(`\`${mode}\``, policy));
        }
    }
    return table(["llmMode", "policy", "selects pods", "rule", "ports"], rows);
};

/** The rules of the admission policy for the pipeline's pods, in the order it checks them (dev stack values). */
export const admissionRules: Section = async () => {
    const run = await runProgram(stackConfig("dev"));
    const [policy] = ofType(run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    const validations = field(policy, "spec", "validations") as { message: string }[];
    return (
        table(
            ["rule", "requirement (the message of a denial, followed by what the pod did)"],
            validations.map((v) => {
                const [, rule, requirement] = /^rule ([a-z-]+): (.*)$/.exec(v.message) ?? ["", "", v.message];
                return [`\`${rule}\``, oneLine(requirement)];
            }),
        ) +
        "\n\nValues of the dev stack (litellm mode, so the master key is allowed; `trialServiceAccounts` and `trialSecretNames` at their defaults)."
    );
};

/** The pack's rules with the level each stack's policy config sets. */
export const policyRules: Section = () => {
    const levels = Object.fromEntries(
        STACKS.map((s) => [
            s,
            JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "config", `${s}.json`), "utf8")) as Record<
                string,
                { enforcementLevel?: string }
            >,
        ]),
    );
    return table(
        ["policy", "scope", "what it requires", ...STACKS.map((s) => `${s} level`)],
        RULES.map((rule) => [
            `\`${rule.name}\``,
            rule.scope,
            oneLine(rule.description),
            ...STACKS.map((s) => levels[s][rule.name]?.enforcementLevel ?? `${rule.enforcementLevel} (default)`),
        ]),
    );
};

/** docs/policy-pack.md's levels table: each rule's details, with "(stack)" for a stack rule, and its level per stack. */
export const policyLevels: Section = () => {
    const levels = Object.fromEntries(
        STACKS.map((s) => [
            s,
            JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "config", `${s}.json`), "utf8")) as Record<
                string,
                { enforcementLevel?: string }
            >,
        ]),
    );
    return table(
        ["policy", "what it requires", ...STACKS],
        RULES.map((rule) => [
            `\`${rule.name}\`${rule.scope === "stack" ? " (stack)" : ""}`,
            oneLine(rule.details),
            ...STACKS.map((s) => levels[s][rule.name]?.enforcementLevel ?? `${rule.enforcementLevel} (default)`),
        ]),
    );
};

/** The Pod Security controls restricted-security-context runs, from policy/lib/podSecurity.ts. */
export const podSecurityControls: Section = () => {
    const restricted = controlsFor("restricted");
    const order = [...controlsFor("baseline"), ...restricted.filter((c) => c.level === "restricted")];
    return table(
        ["control (upstream check id)", "level", "what it requires"],
        order.map((control) => {
            const replacedBy = restricted.find((r) => r.overrides === control.id);
            const level = replacedBy ? `baseline (restricted runs \`${replacedBy.id}\` instead)` : control.level;
            return [`\`${control.id}\``, level, oneLine(control.summary)];
        }),
    );
};

/**
 * The deploy identity's rights for the committed stacks (npm run deployer -- <stack> rbac prints
 * them to apply), with each stack's namespace written {namespace}: stacks whose rights are then
 * the same share one table.
 */
export const deployerRightsTable: Section = async () => {
    const byRights = new Map<string, { stacks: string[]; rights: DeployerRights }>();
    for (const stack of STACKS) {
        const rights = deployerRights(await runProgram(stackConfig(stack)));
        const general = JSON.parse(
            JSON.stringify(rights).split(rights.namespace).join("{namespace}"),
        ) as DeployerRights;
        const key = JSON.stringify(general);
        byRights.set(key, { stacks: [...(byRights.get(key)?.stacks ?? []), stack], rights: general });
    }
    return [...byRights.values()]
        .map(({ stacks, rights }) =>
            [
                `${stacks.join(", ")}:`,
                "",
                table(
                    ["object", "API groups", "resources", "verbs", "names"],
                    [...ruleRows("Role", rights.namespaceRules), ...ruleRows("ClusterRole", rights.clusterRules)],
                ),
                "",
                "Cluster-wide, because the stack:",
                ...rights.clusterReasons.map((r) => `- ${r}`),
            ].join("\n"),
        )
        .join("\n\n");
};

export const SECTIONS: Record<string, Section> = {
    "policy-rules": policyRules,
    "policy-levels": policyLevels,
    "pod-security-controls": podSecurityControls,
    "config-keys": configKeys,
    "llm-modes": llmModes,
    "config-rules": configRules,
    "cleanup-keys": cleanupKeys,
    "cleanup-env": cleanupEnv,
    quota,
    rbac,
    "admission-rules": admissionRules,
    "network-policies": networkPolicies,
    "reachability-matrix": () => reachabilityMatrix(),
    "deployer-rights": deployerRightsTable,
    "project-config": projectConfigBlock,
};
