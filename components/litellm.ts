// The LiteLLM proxy in front of Vertex AI: its own identity with no API access, generated
// config, secrets, a highly available Deployment and the proxy's network rules.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Labels, LiteLLMConfig } from "./config";
import { renderLiteLLMConfig, urlGuardSource } from "./litellmConfig";
import { managedMeta } from "./metadata";
import { LITELLM, NETWORK_POLICIES, PART_OF } from "./names";
import { EgressTargets, litellmDefaultDenySpec, litellmProxySpec } from "./networkPolicies";
import { RESTRICTED_CONTAINER, RESTRICTED_POD, resourceRequirements, sha256 } from "./podSpec";

export interface LiteLLMArgs {
    /** The pipeline namespace, where the proxy runs. */
    readonly namespace: pulumi.Input<string>;
    /** Image, replicas, port, models, Vertex AI project and credentials, resources. */
    readonly litellm: LiteLLMConfig;
    /** Labels of the trial pods, the proxy's callers besides the pipeline's own pods. */
    readonly trialPodLabels: Labels;
    /** DNS and the public-HTTPS excepts the proxy's own egress uses. */
    readonly egress: EgressTargets;
}

/**
 * Seconds a stopping proxy keeps serving before it is sent SIGTERM: the time for the endpoint
 * removal to reach every node's Service rules, so no new request is routed to it.
 */
export const PRE_STOP_SECONDS = 10;
/** Room after the longest request for the proxy's own shutdown. */
const SHUTDOWN_MARGIN_SECONDS = 15;

/** A rollout or drain waits for the slowest LLM call the proxy allows, instead of cutting it at the default 30 s. */
export function terminationGracePeriodSeconds(requestTimeoutSeconds: number): number {
    return PRE_STOP_SECONDS + requestTimeoutSeconds + SHUTDOWN_MARGIN_SECONDS;
}

/** Pod-template annotations that change with what the proxy reads only at start. */
export const ROLL_ANNOTATIONS = {
    config: "abevalflow/config-sha256",
    masterKey: "abevalflow/master-key-sha256",
    vertexCredentials: "abevalflow/vertex-credentials-sha256",
} as const;

export class LiteLLM extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    readonly networkPolicyNames: pulumi.Output<string[]>;

    constructor(name: string, args: LiteLLMArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:litellm:LiteLLM", name, {}, opts);
        const cfg = args.litellm;
        const labels = { ...PART_OF, ...LITELLM.podLabels };
        const meta = (objectName: string) => managedMeta(objectName, args.namespace, labels);

        // The proxy needs nothing from the Kubernetes API: no token, no bindings.
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            "litellm",
            {
                metadata: meta(LITELLM.name),
                automountServiceAccountToken: false,
            },
            { parent: this },
        );

        const configFiles = {
            [LITELLM.configFile]: renderLiteLLMConfig(cfg),
            [LITELLM.urlGuardFile]: urlGuardSource(),
        };
        const configMap = new k8s.core.v1.ConfigMap(
            "litellm-config",
            {
                metadata: meta(LITELLM.configMap),
                data: configFiles,
            },
            { parent: this },
        );

        const masterKey = new random.RandomPassword(
            "litellm-master-key",
            {
                length: 48,
                special: false,
                // A new rotation number makes a new key. None at 0, so stacks from before the key keep theirs.
                keepers: cfg.masterKeyRotation > 0 ? { rotation: String(cfg.masterKeyRotation) } : undefined,
            },
            { parent: this },
        );
        // LiteLLM accepts only master keys that start with sk-.
        const masterKeyValue = pulumi.interpolate`sk-${masterKey.result}`;
        const masterKeySecret = new k8s.core.v1.Secret(
            "litellm-master-key",
            {
                metadata: meta(LITELLM.masterKeySecret),
                type: "Opaque",
                stringData: { [LITELLM.masterKeyEnv]: masterKeyValue },
            },
            { parent: this },
        );

        const credentialsSecretName = cfg.vertexCredentials
            ? new k8s.core.v1.Secret(
                  "litellm-vertex-credentials",
                  {
                      metadata: meta(LITELLM.credentialsSecret),
                      type: "Opaque",
                      stringData: { [LITELLM.credentialsKey]: cfg.vertexCredentials },
                  },
                  { parent: this },
              ).metadata.name
            : pulumi.output(cfg.vertexCredentialsSecretName as string);

        const deployment = new k8s.apps.v1.Deployment(
            "litellm",
            {
                metadata: meta(LITELLM.name),
                spec: {
                    replicas: cfg.replicas,
                    selector: { matchLabels: LITELLM.podLabels },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: {
                            labels,
                            // The proxy reads its config, its master key (an env var) and the Vertex key only
                            // at start: a change of any of them must roll the pods, or the old key keeps
                            // working. A key's digest reveals nothing of it, so it is no secret. A Vertex key
                            // in a Secret the program does not write is rotated under a new Secret name
                            // (docs/operations.md), which changes the template itself.
                            annotations: {
                                [ROLL_ANNOTATIONS.config]: sha256(JSON.stringify(configFiles)),
                                [ROLL_ANNOTATIONS.masterKey]: pulumi.unsecret(masterKeyValue.apply(sha256)),
                                ...(cfg.vertexCredentials
                                    ? {
                                          [ROLL_ANNOTATIONS.vertexCredentials]: pulumi.unsecret(
                                              pulumi.output(cfg.vertexCredentials).apply(sha256),
                                          ),
                                      }
                                    : {}),
                            },
                        },
                        spec: {
                            serviceAccountName: serviceAccount.metadata.name,
                            automountServiceAccountToken: false,
                            securityContext: RESTRICTED_POD,
                            terminationGracePeriodSeconds: terminationGracePeriodSeconds(cfg.requestTimeoutSeconds),
                            topologySpreadConstraints: [
                                {
                                    maxSkew: 1,
                                    topologyKey: "kubernetes.io/hostname",
                                    // Required in prod: two replicas on one node would both go in one drain.
                                    whenUnsatisfiable: cfg.requireSpread ? "DoNotSchedule" : "ScheduleAnyway",
                                    // A cordoned node carries the unschedulable taint: leaving it out of the
                                    // spread lets a drain's evicted replicas start on the nodes that remain,
                                    // where counting it (empty) would hold them Pending and stall the drain.
                                    nodeTaintsPolicy: "Honor",
                                    labelSelector: { matchLabels: LITELLM.podLabels },
                                },
                            ],
                            containers: [
                                {
                                    name: "litellm",
                                    image: cfg.image,
                                    args: [
                                        "--config",
                                        `${LITELLM.configMountPath}/${LITELLM.configFile}`,
                                        "--port",
                                        String(cfg.port),
                                    ],
                                    ports: [{ name: "http", containerPort: cfg.port, protocol: "TCP" }],
                                    env: [
                                        {
                                            name: LITELLM.masterKeyEnv,
                                            valueFrom: {
                                                secretKeyRef: {
                                                    name: masterKeySecret.metadata.name,
                                                    key: LITELLM.masterKeyEnv,
                                                },
                                            },
                                        },
                                        // The root filesystem is read-only; caches go to the writable /tmp.
                                        { name: "HOME", value: "/tmp" },
                                        { name: "XDG_CACHE_HOME", value: "/tmp/.cache" },
                                        // Start from the cost map shipped in the image rather than fetching
                                        // it from the internet on every start.
                                        { name: "LITELLM_LOCAL_MODEL_COST_MAP", value: "True" },
                                        // Behind the URL guard: LiteLLM refuses to download any image URL itself.
                                        { name: "MAX_IMAGE_URL_DOWNLOAD_SIZE_MB", value: "0" },
                                    ],
                                    resources: resourceRequirements(cfg.resources),
                                    securityContext: RESTRICTED_CONTAINER,
                                    // The kubelet's own sleep (no binary needed in the image), GA in Kubernetes 1.32, on by default since 1.30.
                                    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
                                    startupProbe: {
                                        httpGet: { path: LITELLM.probes.liveness, port: "http" },
                                        periodSeconds: 5,
                                        failureThreshold: 60,
                                    },
                                    livenessProbe: {
                                        httpGet: { path: LITELLM.probes.liveness, port: "http" },
                                        periodSeconds: 15,
                                        timeoutSeconds: 5,
                                        failureThreshold: 3,
                                    },
                                    readinessProbe: {
                                        httpGet: { path: LITELLM.probes.readiness, port: "http" },
                                        periodSeconds: 10,
                                        timeoutSeconds: 5,
                                        failureThreshold: 3,
                                    },
                                    volumeMounts: [
                                        { name: "config", mountPath: LITELLM.configMountPath, readOnly: true },
                                        {
                                            name: "vertex-credentials",
                                            mountPath: LITELLM.credentialsMountPath,
                                            readOnly: true,
                                        },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: configMap.metadata.name } },
                                {
                                    name: "vertex-credentials",
                                    secret: {
                                        secretName: credentialsSecretName,
                                        items: [{ key: LITELLM.credentialsKey, path: LITELLM.credentialsKey }],
                                    },
                                },
                                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        new k8s.policy.v1.PodDisruptionBudget(
            "litellm",
            {
                metadata: meta(LITELLM.name),
                // maxUnavailable rather than minAvailable, so a single-replica dev proxy never blocks a drain.
                spec: { maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } },
            },
            { parent: this },
        );

        const service = new k8s.core.v1.Service(
            "litellm",
            {
                metadata: meta(LITELLM.name),
                spec: {
                    type: "ClusterIP",
                    selector: deployment.spec.selector.matchLabels,
                    ports: [{ name: "http", port: cfg.port, targetPort: "http", protocol: "TCP" }],
                },
            },
            { parent: this },
        );

        const net = { ...args.egress, litellmPort: cfg.port };
        const deny = new k8s.networking.v1.NetworkPolicy(
            "litellm-default-deny",
            {
                metadata: meta(NETWORK_POLICIES.litellmDefaultDeny),
                spec: litellmDefaultDenySpec(),
            },
            { parent: this },
        );
        const allow = new k8s.networking.v1.NetworkPolicy(
            "litellm-proxy",
            {
                metadata: meta(NETWORK_POLICIES.litellmProxy),
                spec: litellmProxySpec(net, args.trialPodLabels),
            },
            { parent: this },
        );

        this.url = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc:${cfg.port}`;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.networkPolicyNames = pulumi.all([deny.metadata.name, allow.metadata.name]);
        this.registerOutputs({
            url: this.url,
            serviceAccountName: this.serviceAccountName,
            networkPolicyNames: this.networkPolicyNames,
        });
    }
}
