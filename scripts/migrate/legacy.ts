// The objects of the oc-applied layout (tests/fixtures/policy-yaml/original-config) whose
// names the program does not use, and what each becomes. Objects of that layout with the
// program's names (Deployment and Service litellm, ServiceAccount pipeline, the Role and its
// bindings, the quota, the cleanup CronJob and ConfigMap, both volumes) need no entry: the
// plan compares them with the program's own.
import { AbevalflowConfig, LLM_MODES } from "../../components/config";
import { LITELLM, NETWORK_POLICIES, TRIAL_BASELINE_CONFIGMAP } from "../../components/names";
import { LegacyObject } from "./plan";

export function legacyObjects(config: AbevalflowConfig): LegacyObject[] {
    const superseded = (name: string, by: string, extra = ""): LegacyObject =>
        ({ kind: "NetworkPolicy", name, action: "delete", note: `superseded by NetworkPolicy/${by}${extra}` });
    const vertexSecret = config.litellm?.vertexCredentialsSecretName ?? LITELLM.credentialsSecret;
    return [
        // Policies add up: any allow policy left behind would open what the new default-deny
        // closes. The old layout named one per LLM mode, trial-allow-<mode>.
        ...LLM_MODES.map((mode) => superseded(`trial-allow-${mode}`, NETWORK_POLICIES.trialAllow[config.llmMode],
            mode === config.llmMode ? "" : ` (it allows ${mode} egress; this stack's LLM mode is ${config.llmMode})`)),
        superseded("trial-default-deny-egress", NETWORK_POLICIES.trialDefaultDeny, "; removed last, after the allow policies"),
        { kind: "ConfigMap", name: "trial-pod-security-reference", action: "delete",
            note: `superseded by ConfigMap/${TRIAL_BASELINE_CONFIGMAP} (reference values only; the admission policy and pod-security labels enforce them)` },
        { kind: "Secret", name: "litellm-credentials", action: "keep",
            note: `holds the old Vertex credentials; never deleted. The proxy now reads Secret/${vertexSecret}: copy the key there, then delete this one by hand` },
    ];
}
