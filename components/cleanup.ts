// The cleanup slice: the daily CronJob that runs cleanup/cleanup.js, under its own
// ServiceAccount whose Role grants exactly the calls that program makes, and whose pods may
// reach the cluster DNS and the API server and nothing else. The program is read from its
// one file at deploy time, so the repository holds no second copy of it.
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../common/cidr";
import { cleanupEnv, CLEANUP_SCRIPT_KEY, cleanupScriptPath, DEAD_LETTER_MOUNT } from "./cleanupEnv";
import { CleanupConfig, Labels } from "./config";
import { managedMeta } from "./metadata";
import { cleanupAllowSpec, defaultDenyEgressSpec, EgressTargets } from "./networkPolicies";
import { CLEANUP, NETWORK_POLICIES, PART_OF } from "./names";
import { RESTRICTED_CONTAINER, RESTRICTED_POD, resourceRequirements, sha256 } from "./podSpec";

export { CLEANUP_SCRIPT_KEY, cleanupScriptPath };

export const CLEANUP_NAME = CLEANUP.name;
export const CLEANUP_SCRIPT_CONFIGMAP = "abevalflow-cleanup-script";
export const CLEANUP_LAST_RUN_CONFIGMAP = CLEANUP.lastRunConfigMap;
export const CLEANUP_CONTAINER = "cleanup";
export const CLEANUP_SCRIPT_DIR = "/opt/cleanup";
export const SCRIPT_HASH_ANNOTATION = "abevalflow/cleanup-script-sha256";
/** The job fails at once, without retries, on the program's "bad configuration" exit. */
export const NOT_RETRYABLE_EXIT = 2;

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * Exactly the calls cleanup.js makes: one list and per-object deletes per kind, and, with
 * the dead letter on, TaskRun lists to copy a failed run's record; to record each run, a read
 * of its own CronJob (for the uid its Event names), Events, and a read and patch of its
 * last-run ConfigMap. It watches nothing, and reads and patches nothing else. The e2e test
 * applies these same rules and runs the program under them.
 */
export function cleanupRoleRules(deadLetter: boolean): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["pods"], verbs: ["list", "delete"] },
        // With the dead letter, each failed run is read again just before its delete, so its
        // full object is held for one run at a time, never for the whole list.
        {
            apiGroups: ["tekton.dev"],
            resources: ["pipelineruns"],
            verbs: deadLetter ? ["get", "list", "delete"] : ["list", "delete"],
        },
        ...(deadLetter ? [{ apiGroups: ["tekton.dev"], resources: ["taskruns"], verbs: ["list"] }] : []),
        { apiGroups: ["image.openshift.io"], resources: ["imagestreams"], verbs: ["list", "delete"] },
        { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["get"], resourceNames: [CLEANUP_NAME] },
        // A create names no existing object, so RBAC cannot hold it to a name.
        { apiGroups: [""], resources: ["events"], verbs: ["create"] },
        {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "patch"],
            resourceNames: [CLEANUP_LAST_RUN_CONFIGMAP],
        },
    ];
}

/**
 * Where the addresses of the API server come from when apiServerCidrs is empty: the
 * EndpointSlice the API server's own endpoint reconciler writes for Service default/kubernetes
 * (named like the Service, beside the deprecated v1 Endpoints it also writes). Reading it needs
 * `get` on endpointslices in namespace default (the `view` ClusterRole has it).
 */
export const API_SERVER_ENDPOINT_SLICE = { namespace: "default", name: "kubernetes" } as const;

/** The fields of a discovery.k8s.io/v1 EndpointSlice the lookup reads. */
export interface EndpointSliceView {
    addressType?: string;
    endpoints?: readonly { addresses?: readonly string[] }[] | null;
    ports?: readonly { port?: number | null }[] | null;
}

const SET_CIDRS =
    "set the API server endpoint addresses yourself: pulumi config set --path 'abevalflow:apiServerCidrs[0]' <address>/32 " +
    "(one entry per API server; `kubectl get endpointslice kubernetes -n default` or the control-plane node addresses)";

/**
 * The API server's addresses as host CIDRs (/32, or /128 for IPv6), sorted and without
 * duplicates, from the EndpointSlice of Service default/kubernetes. Throws a message that says
 * what to set when the slice lists no address (a control plane without an endpoint reconciler,
 * such as the local one) or when its port is not among `ports`, since either would leave the
 * cleanup job unable to reach the API server.
 */
export function apiServerCidrsFromEndpointSlice(slice: EndpointSliceView, ports: readonly number[]): string[] {
    const where = `EndpointSlice ${API_SERVER_ENDPOINT_SLICE.namespace}/${API_SERVER_ENDPOINT_SLICE.name}`;
    if (slice.addressType !== undefined && slice.addressType !== "IPv4" && slice.addressType !== "IPv6") {
        throw new Error(
            `the cleanup job's egress policy needs the API server's addresses, and ${where} has addressType ${slice.addressType}, ` +
                `not IP addresses; abevalflow:apiServerCidrs is empty, so ${SET_CIDRS}`,
        );
    }
    const cidrs = new Set<string>();
    for (const address of (slice.endpoints ?? []).flatMap((e) => e.addresses ?? [])) {
        const cidr = `${address}/${address.includes(":") ? 128 : 32}`;
        if (parseCidr(cidr) === undefined) {
            throw new Error(`${where} lists ${JSON.stringify(address)}, which is not an IP address; ${SET_CIDRS}`);
        }
        cidrs.add(cidr);
    }
    if (cidrs.size === 0) {
        throw new Error(
            `the cleanup job's egress policy needs the API server's addresses: abevalflow:apiServerCidrs is empty and ${where} ` +
                "lists no endpoint address (the API server runs without an endpoint reconciler, as on the local control plane), " +
                `so ${SET_CIDRS}`,
        );
    }
    const served = [
        ...new Set((slice.ports ?? []).map((p) => p.port).filter((p): p is number => typeof p === "number")),
    ];
    if (served.length > 0 && !served.some((p) => ports.includes(p))) {
        throw new Error(
            `${where} serves the API on port ${served.join(", ")}, which abevalflow:apiServerPorts (${ports.join(", ")}) does not include, ` +
                `so the cleanup job could not reach the API server; set it: pulumi config set --path 'abevalflow:apiServerPorts[0]' ${served[0]}`,
        );
    }
    return [...cidrs].sort();
}

export interface CleanupArgs {
    /** Namespace the job prunes and runs in (its ServiceAccount, Role and CronJob live there). */
    readonly namespace: pulumi.Input<string>;
    /** Schedule, ages, limits, image and resources of the job. */
    readonly config: CleanupConfig;
    /** Labels that select trial pods; finished ones older than the limit are deleted. */
    readonly trialPodLabels: Labels;
    /** The dead-letter PVC; required when config.deadLetter is on. */
    readonly deadLetterClaimName?: pulumi.Input<string>;
    /** The cluster DNS pods, the only destination besides the API server the job's pods may reach. */
    readonly dns: EgressTargets["dns"];
}

export class Cleanup extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;
    readonly cronJobName: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    readonly networkPolicyNames: pulumi.Output<string[]>;
    /** The API server addresses the job's pods may reach: apiServerCidrs, or what the lookup found. */
    readonly apiServerCidrs: pulumi.Output<string[]>;

    constructor(name: string, args: CleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:cleanup:Cleanup", name, {}, opts);
        const { config } = args;
        if (config.deadLetter && args.deadLetterClaimName === undefined) {
            throw new pulumi.ResourceError(
                "Cleanup: cleanupDeadLetter is true but no deadLetterClaimName was given; pass the dead-letter PVC or set cleanupDeadLetter to false",
                this,
            );
        }
        const script = fs.readFileSync(cleanupScriptPath(), "utf8");
        const labels = { ...PART_OF, ...CLEANUP.podLabels };
        // None of these has a readiness the provider waits for (a CronJob is done once stored).
        const metadata = (objectName: string): k8s.types.input.meta.v1.ObjectMeta =>
            managedMeta(objectName, args.namespace, labels);
        const child = { parent: this };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            "cleanup-sa",
            {
                metadata: metadata(CLEANUP_NAME),
                // The job talks to the API; nothing else runs under this account.
                automountServiceAccountToken: true,
            },
            child,
        );
        const role = new k8s.rbac.v1.Role(
            "cleanup-role",
            {
                metadata: metadata(CLEANUP_NAME),
                rules: cleanupRoleRules(config.deadLetter),
            },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            "cleanup-rolebinding",
            {
                metadata: metadata(CLEANUP_NAME),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: args.namespace }],
            },
            child,
        );
        const scriptMap = new k8s.core.v1.ConfigMap(
            "cleanup-script",
            {
                metadata: metadata(CLEANUP_SCRIPT_CONFIGMAP),
                data: { [CLEANUP_SCRIPT_KEY]: script },
            },
            child,
        );
        // Each run patches its record into this ConfigMap's data. The program sets no data, so
        // its server-side apply owns none and never takes the job's records back.
        new k8s.core.v1.ConfigMap(
            "cleanup-last-run",
            {
                metadata: metadata(CLEANUP_LAST_RUN_CONFIGMAP),
            },
            child,
        );

        // The job's token can delete in this namespace, so its pods reach DNS and the API
        // server only: a default-deny for them, and one allow policy beside it. The
        // CronJob waits for both, so no run of the job is ever without them.
        const apiServerCidrs =
            config.apiServer.cidrs.length > 0
                ? pulumi.output([...config.apiServer.cidrs])
                : lookUpApiServerCidrs(config.apiServer.ports, this);
        const deny = new k8s.networking.v1.NetworkPolicy(
            NETWORK_POLICIES.cleanupDefaultDeny,
            {
                metadata: metadata(NETWORK_POLICIES.cleanupDefaultDeny),
                spec: defaultDenyEgressSpec(CLEANUP.podLabels),
            },
            child,
        );
        const allow = new k8s.networking.v1.NetworkPolicy(
            NETWORK_POLICIES.cleanupAllow,
            {
                metadata: metadata(NETWORK_POLICIES.cleanupAllow),
                spec: apiServerCidrs.apply((cidrs) =>
                    cleanupAllowSpec(CLEANUP.podLabels, args.dns, { cidrs, ports: config.apiServer.ports }),
                ),
            },
            child,
        );

        const volumes: k8s.types.input.core.v1.Volume[] = [
            { name: "script", configMap: { name: scriptMap.metadata.name, defaultMode: 0o444 } },
        ];
        const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [
            { name: "script", mountPath: CLEANUP_SCRIPT_DIR, readOnly: true },
        ];
        if (config.deadLetter && args.deadLetterClaimName !== undefined) {
            volumes.push({ name: "dead-letter", persistentVolumeClaim: { claimName: args.deadLetterClaimName } });
            volumeMounts.push({ name: "dead-letter", mountPath: DEAD_LETTER_MOUNT });
        }

        const cronJob = new k8s.batch.v1.CronJob(
            "cleanup-cronjob",
            {
                metadata: metadata(CLEANUP_NAME),
                spec: {
                    schedule: config.schedule,
                    timeZone: config.timeZone,
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: config.startingDeadlineSeconds,
                    successfulJobsHistoryLimit: config.successfulJobsHistory,
                    failedJobsHistoryLimit: config.failedJobsHistory,
                    jobTemplate: {
                        metadata: { labels },
                        spec: {
                            activeDeadlineSeconds: config.activeDeadlineSeconds,
                            backoffLimit: config.backoffLimit,
                            ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
                            // Exit 1 (transient) is worth the backoff retries; exit 2 never is.
                            podFailurePolicy: {
                                rules: [
                                    {
                                        action: "FailJob",
                                        onExitCodes: {
                                            containerName: CLEANUP_CONTAINER,
                                            operator: "In",
                                            values: [NOT_RETRYABLE_EXIT],
                                        },
                                    },
                                ],
                            },
                            template: {
                                metadata: {
                                    labels,
                                    // A changed script changes the pod template, so the next run is seen to differ.
                                    annotations: { [SCRIPT_HASH_ANNOTATION]: sha256(script) },
                                },
                                spec: {
                                    serviceAccountName: serviceAccount.metadata.name,
                                    automountServiceAccountToken: true,
                                    restartPolicy: "Never",
                                    enableServiceLinks: false,
                                    securityContext: RESTRICTED_POD,
                                    containers: [
                                        {
                                            name: CLEANUP_CONTAINER,
                                            image: config.image,
                                            command: ["node", `${CLEANUP_SCRIPT_DIR}/${CLEANUP_SCRIPT_KEY}`],
                                            env: cleanupEnv(config, args.trialPodLabels),
                                            resources: resourceRequirements(config.resources),
                                            securityContext: RESTRICTED_CONTAINER,
                                            volumeMounts,
                                        },
                                    ],
                                    volumes,
                                },
                            },
                        },
                    },
                },
            },
            { ...child, dependsOn: [deny, allow] },
        );

        this.serviceAccountName = serviceAccount.metadata.name;
        this.cronJobName = cronJob.metadata.name;
        this.roleName = role.metadata.name;
        this.networkPolicyNames = pulumi.all([deny.metadata.name, allow.metadata.name]);
        this.apiServerCidrs = apiServerCidrs;
        this.registerOutputs({
            serviceAccountName: this.serviceAccountName,
            cronJobName: this.cronJobName,
            roleName: this.roleName,
            networkPolicyNames: this.networkPolicyNames,
        });
    }
}

/**
 * A property the read object lacks (an EndpointSlice without endpoints has `endpoints: null`)
 * resolves as unknown during a preview, since the SDK cannot tell an absent output from one the
 * provider computes later; `apply` would then skip the check and the preview would pass with
 * an unknown policy. Nothing of a read is computed later, so unknown here means absent. The
 * second argument of `apply` (run the callback on unknown values, as the SDK's output proxies
 * do) is not in the SDK's typings.
 */
function absentIfUnknown<T>(value: pulumi.Output<T>): pulumi.Output<T | undefined> {
    const withUnknowns = value as unknown as {
        apply<U>(func: (v: T) => U, runWithUnknowns: boolean): pulumi.Output<U>;
    };
    return withUnknowns.apply((v) => (pulumi.isUnknown(v) ? undefined : v), true);
}

/**
 * Reads the API server's endpoints at deploy time (preview included), through `parent`'s
 * provider. An empty slice rejects here with a message saying which key to set, and nothing
 * that depends on the addresses (the allow policy, and through it the CronJob) is sent. Where
 * the slice does not exist the engine stops on the read itself ("resource 'default/kubernetes'
 * does not exist"), where the deployer may not read it with a 403; the info line logged first
 * names the key for those cases too.
 */
export function lookUpApiServerCidrs(ports: readonly number[], parent: pulumi.Resource): pulumi.Output<string[]> {
    const where = `${API_SERVER_ENDPOINT_SLICE.namespace}/${API_SERVER_ENDPOINT_SLICE.name}`;
    if (pulumi.runtime.hasEngine()) {
        // Under mocks (no engine) the SDK would print this to stdout, into `npm run render`.
        void pulumi.log.info(
            `abevalflow:apiServerCidrs is empty, so the cleanup job's egress policy takes the API server's addresses from EndpointSlice ${where} ` +
                "(this needs get on endpointslices in namespace default); if that read fails or finds no address, set abevalflow:apiServerCidrs (docs/operations.md, section 6)",
            parent,
        );
    }
    const slice = k8s.discovery.v1.EndpointSlice.get("api-server-endpoints", where, { parent });
    return pulumi
        .all([slice.addressType, absentIfUnknown(slice.endpoints), absentIfUnknown(slice.ports)])
        .apply(([addressType, endpoints, slicePorts]) => {
            try {
                return apiServerCidrsFromEndpointSlice({ addressType, endpoints, ports: slicePorts }, ports);
            } catch (e) {
                // RunError, as in cluster.ts: printed as its message, without inspecting the resource graph.
                throw new pulumi.RunError((e as Error).message);
            }
        });
}
