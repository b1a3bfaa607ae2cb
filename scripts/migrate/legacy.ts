// The objects of the oc-applied layout (tests/fixtures/policy-yaml/original-config) that the
// stack does not have, and what each becomes. Objects of that layout with the program's names
// (ServiceAccount pipeline, the Role and its bindings, the quota, the cleanup CronJob and
// ConfigMap, both volumes, and in litellm mode the proxy's Deployment and Service) need no
// entry: the plan compares them with the program's own.
import { AbevalflowConfig } from "../../components/config";
import { LLM_MODES, llmMode } from "../../components/llmModes";
import { LITELLM, NETWORK_POLICIES, TRIAL_BASELINE_CONFIGMAP } from "../../components/names";
import { LegacyObject } from "./plan";

export function legacyObjects(config: AbevalflowConfig): LegacyObject[] {
    const superseded = (name: string, by: string, extra = ""): LegacyObject => ({
        kind: "NetworkPolicy",
        name,
        action: "delete",
        note: `superseded by NetworkPolicy/${by}${extra}`,
    });
    const vertexSecret = config.litellm?.vertexCredentialsSecretName ?? LITELLM.credentialsSecret;
    return [
        // Policies add up: any allow policy left behind would open what the new default-deny
        // closes. The old layout had one per LLM mode it knew (legacyAllowPolicy).
        ...LLM_MODES.flatMap((mode) => {
            const old = llmMode(mode).legacyAllowPolicy;
            return old === undefined
                ? []
                : [
                      superseded(
                          old,
                          llmMode(config.llmMode).allowPolicy,
                          mode === config.llmMode
                              ? ""
                              : ` (it allows ${mode} egress; this stack's LLM mode is ${config.llmMode})`,
                      ),
                  ];
        }),
        superseded(
            "trial-default-deny-egress",
            NETWORK_POLICIES.trialDefaultDeny,
            "; removed last, after the allow policies",
        ),
        {
            kind: "ConfigMap",
            name: "trial-pod-security-reference",
            action: "delete",
            note: `superseded by ConfigMap/${TRIAL_BASELINE_CONFIGMAP} (reference values only; the admission policy and pod-security labels enforce them)`,
        },
        {
            kind: "Secret",
            name: "litellm-credentials",
            action: "keep",
            note:
                config.llmMode === "litellm"
                    ? `holds the old Vertex credentials; never deleted. The proxy now reads Secret/${vertexSecret}: copy the key there, then delete this one by hand`
                    : `holds the old Vertex credentials, which a ${config.llmMode} stack does not use; never deleted: delete it by hand when it is no longer needed`,
        },
        // The old proxy (it ran as the pipeline's account with the credentials in its environment)
        // is replaced in litellm mode; in the other modes nothing takes its place.
        ...(config.llmMode === "litellm"
            ? []
            : ([
                  {
                      kind: "Deployment",
                      name: LITELLM.name,
                      action: "delete",
                      note: `the old LiteLLM proxy; a ${config.llmMode} stack runs none`,
                  },
                  {
                      kind: "Service",
                      name: LITELLM.name,
                      action: "delete",
                      note: `the old LiteLLM proxy's Service; a ${config.llmMode} stack runs no proxy`,
                  },
                  {
                      kind: "ConfigMap",
                      name: LITELLM.configMap,
                      action: "delete",
                      note: `the old LiteLLM proxy's configuration; a ${config.llmMode} stack runs no proxy`,
                  },
              ] satisfies LegacyObject[])),
    ];
}
