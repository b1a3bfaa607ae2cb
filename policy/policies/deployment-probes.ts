// Without probes a Deployment routes traffic to pods that are not ready and never restarts a hung
// one. LiteLLM's `/health` is the wrong probe: it needs the master key and calls every model
// upstream, so a slow provider restarts healthy proxies (use /health/liveliness and /health/readiness).
import { containersOf, DEPLOYMENT_KINDS, isRecord, K8sObject, Labels, podTemplateOf, Probe } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { stringList, stringMap, text } from "../lib/schema";
import { selects } from "../lib/selectors";

export interface DeploymentProbesConfig {
    litellmPodLabels: Labels;
    litellmImagePattern: string;
    forbiddenLitellmProbePaths: string[];
}

const defaults: DeploymentProbesConfig = {
    litellmPodLabels: { "app.kubernetes.io/name": "litellm" },
    litellmImagePattern: "(^|/)berriai/litellm",
    forbiddenLitellmProbePaths: ["/health"],
};

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

function probePath(probe: Probe | undefined): string | undefined {
    const httpGet = isRecord(probe) && isRecord(probe.httpGet) ? probe.httpGet : undefined;
    if (typeof httpGet?.path !== "string") {
        return undefined;
    }
    // `/health?x` and `/health/` reach the same handler as `/health`.
    const path = httpGet.path.split("?")[0];
    return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

export const deploymentProbes: ResourceRule<DeploymentProbesConfig> = {
    scope: "resource",
    name: "deployment-probes",
    description:
        "Every Deployment container has liveness and readiness probes; LiteLLM containers are never probed on `/health`.",
    details:
        "liveness and readiness probes on every container of a Deployment or DeploymentConfig; LiteLLM never probed on `/health` (it needs the master key and calls every model)",
    remediationSteps:
        "add `livenessProbe` and `readinessProbe` to every container; for LiteLLM use " +
        "`httpGet: {path: /health/liveliness}` and `httpGet: {path: /health/readiness}`, which need no key and call no model.",
    enforcementLevel: "advisory",
    defaults,
    configSchema: {
        properties: {
            litellmPodLabels: stringMap("Pod labels that mark a LiteLLM proxy.", defaults.litellmPodLabels),
            litellmImagePattern: text(
                "Regular expression on the image that marks a LiteLLM container.",
                defaults.litellmImagePattern,
            ),
            forbiddenLitellmProbePaths: stringList(
                "HTTP paths LiteLLM containers must not be probed on.",
                defaults.forbiddenLitellmProbePaths,
            ),
        },
    },
    kinds: DEPLOYMENT_KINDS,
    check(obj: K8sObject, config: DeploymentProbesConfig): string[] {
        const pod = podTemplateOf(obj);
        if (pod === undefined) {
            return [];
        }
        const litellmPod =
            Object.keys(config.litellmPodLabels).length > 0 &&
            selects({ matchLabels: config.litellmPodLabels }, pod.labels);
        const litellmImage = new RegExp(config.litellmImagePattern);
        const problems: string[] = [];
        for (const { container, label } of containersOf(pod.spec, ["containers"])) {
            const absent = (["livenessProbe", "readinessProbe"] as const).filter((p) => !isRecord(container[p]));
            if (absent.length > 0) {
                problems.push(`container ${label} has no ${absent.join(" and no ")}`);
            }
            const isLitellm = litellmPod || (typeof container.image === "string" && litellmImage.test(container.image));
            for (const probe of isLitellm ? PROBES : []) {
                const path = probePath(container[probe]);
                if (path !== undefined && config.forbiddenLitellmProbePaths.includes(path)) {
                    problems.push(
                        `LiteLLM container ${label} has ${probe} on "${path}", which needs the master key and calls every model`,
                    );
                }
            }
        }
        return problems;
    },
};
