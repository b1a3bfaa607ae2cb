// The settings of the policy configs (policy/config/<stack>.json) that restate the stack's
// configuration: the pack must judge the NetworkPolicies by the same trial-pod labels, DNS
// namespace and DNS pod labels the program writes them with, and reserve the ServiceAccount the
// pipeline runs as. Their source is Pulumi.yaml's defaults plus Pulumi.<stack>.yaml, read as the
// program reads them; `npm run docs` writes them into the JSON (every other setting, the levels
// included, stays as written) and `npm run docs:check`, part of `npm test`, fails when they differ.
import * as fs from "fs";
import * as path from "path";
import {
    AbevalflowConfig,
    declarations,
    loadConfig,
    objectConfigSource,
    SECRET_KEYS,
    stackFileConfig,
} from "../../components/config";
import { dedicatedServiceAccount } from "../../policy/policies/dedicated-service-account";

const ROOT = path.resolve(__dirname, "..", "..");
const CONFIG_DIR = path.join("policy", "config");

interface StackSetting {
    policy: string;
    setting: string;
    /** The config key (without `abevalflow:`) the value comes from. */
    from: string;
    /** The value for this stack; `written` is what the file holds now. */
    value(config: AbevalflowConfig, written: unknown): unknown;
}

const SETTINGS: readonly StackSetting[] = [
    { policy: "default-deny-plus-allow", setting: "dnsNamespace", from: "dnsNamespace", value: (c) => c.dns.namespace },
    { policy: "default-deny-plus-allow", setting: "dnsPodLabels", from: "dnsPodLabels", value: (c) => c.dns.podLabels },
    {
        policy: "default-deny-plus-allow",
        setting: "trialPodLabels",
        from: "trialPodLabels",
        value: (c) => c.trial.podLabels,
    },
    {
        // The list also names the platform's accounts, which are no stack setting: the pipeline's
        // own account is added in front when missing, and whatever else is written stays.
        policy: "dedicated-service-account",
        setting: "reservedServiceAccounts",
        from: "pipelineServiceAccount",
        value: (c, written) => {
            const list = Array.isArray(written)
                ? (written as unknown[])
                : dedicatedServiceAccount.defaults.reservedServiceAccounts;
            return list.includes(c.pipeline.serviceAccountName) ? list : [c.pipeline.serviceAccountName, ...list];
        },
    },
];

/** The policy configs, relative to the repository root: one per stack, named after it. */
export function policyConfigFiles(): string[] {
    return fs
        .readdirSync(path.join(ROOT, CONFIG_DIR))
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => path.join(CONFIG_DIR, f));
}

function stackOf(file: string): string {
    return path.basename(file, ".json");
}

type PolicyConfig = Record<string, Record<string, unknown>>;

/** Each stack-derived setting of `file` with its value now and its value from the stack files. */
function settingsOf(text: string, file: string): { item: StackSetting; written: unknown; wanted: unknown }[] {
    const stack = stackOf(file);
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) {
        throw new Error(`${file}: no stack file Pulumi.${stack}.yaml to take its settings from`);
    }
    const config = loadConfig(objectConfigSource(stackFileConfig(stack), [...SECRET_KEYS]));
    const parsed = JSON.parse(text) as PolicyConfig;
    return SETTINGS.map((item) => {
        if (!(item.from in declarations())) {
            throw new Error(
                `${file}: ${item.policy}.${item.setting} comes from abevalflow:${item.from}, which Pulumi.yaml does not declare`,
            );
        }
        const written = parsed[item.policy]?.[item.setting];
        return { item, written, wanted: item.value(config, written) };
    });
}

/** The text `file` should have: its stack-derived settings set from the stack files. */
export function regeneratePolicyConfig(text: string, file: string): string {
    const parsed = JSON.parse(text) as PolicyConfig;
    for (const { item, wanted } of settingsOf(text, file)) {
        parsed[item.policy] = { ...parsed[item.policy], [item.setting]: wanted };
    }
    return `${JSON.stringify(parsed, null, 2)}\n`;
}

/** One line per stack-derived setting of `file` that differs from the stack files, naming both values. */
export function policyConfigDrift(text: string, file: string): string[] {
    return settingsOf(text, file)
        .filter(({ written, wanted }) => JSON.stringify(written) !== JSON.stringify(wanted))
        .map(
            ({ item, written, wanted }) =>
                `${file}: ${item.policy}.${item.setting} is ${JSON.stringify(written)}, but abevalflow:${item.from} ` +
                `in Pulumi.${stackOf(file)}.yaml (or its default in Pulumi.yaml) gives ${JSON.stringify(wanted)}`,
        );
}
