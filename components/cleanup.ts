// The cleanup slice: the daily CronJob that runs cleanup/cleanup.js, under its own
// ServiceAccount whose Role grants exactly the calls that program makes. The program is read
// from its one file at deploy time, so the repository holds no second copy of it.
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ENV, selectorString } from "../cleanup/cleanup";
import { CleanupConfig, findProjectFile, Labels } from "./config";
import { managedMeta } from "./metadata";
import { PART_OF } from "./names";
import { RESTRICTED_CONTAINER, RESTRICTED_POD, resourceRequirements, sha256 } from "./podSpec";

export const CLEANUP_NAME = "abevalflow-cleanup";
export const CLEANUP_SCRIPT_CONFIGMAP = "abevalflow-cleanup-script";
export const CLEANUP_CONTAINER = "cleanup";
export const CLEANUP_SCRIPT_KEY = "cleanup.js";
export const CLEANUP_SCRIPT_DIR = "/opt/cleanup";
export const DEAD_LETTER_MOUNT = "/dead-letter";
export const SCRIPT_HASH_ANNOTATION = "abevalflow/cleanup-script-sha256";
/** The job fails at once, without retries, on the program's "bad configuration" exit. */
export const NOT_RETRYABLE_EXIT = 2;

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * Exactly the calls cleanup.js makes: one list and per-object deletes per kind, and, with
 * the dead letter on, TaskRun lists to copy a failed run's record. It never gets, watches or
 * patches. The e2e test applies these same rules and runs the program under them.
 */
export function cleanupRoleRules(deadLetter: boolean): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["pods"], verbs: ["list", "delete"] },
        { apiGroups: ["tekton.dev"], resources: ["pipelineruns"], verbs: ["list", "delete"] },
        ...(deadLetter ? [{ apiGroups: ["tekton.dev"], resources: ["taskruns"], verbs: ["list"] }] : []),
        { apiGroups: ["image.openshift.io"], resources: ["imagestreams"], verbs: ["list", "delete"] },
    ];
}

export function cleanupScriptPath(): string {
    return path.join(path.dirname(findProjectFile()), "cleanup", CLEANUP_SCRIPT_KEY);
}

/** The variables cleanup.js reads, from typed stack config; the namespace comes from the pod itself. */
export function cleanupEnv(config: CleanupConfig, trialPodLabels: Labels): k8s.types.input.core.v1.EnvVar[] {
    const plain: [string, string | number | boolean][] = [
        [ENV.trialPodSelector, selectorString(trialPodLabels)],
        [ENV.trialPodMaxAgeHours, config.trialPodMaxAgeHours],
        [ENV.pipelineRunMaxAgeHours, config.pipelineRunMaxAgeHours],
        [ENV.pipelineRunKeepRecent, config.pipelineRunKeepRecent],
        [ENV.imageStreamMaxAgeHours, config.imageStreamMaxAgeHours],
        ...(config.deadLetter
            ? ([[ENV.deadLetterDir, DEAD_LETTER_MOUNT], [ENV.deadLetterRetentionDays, config.deadLetterRetentionDays]] as [string, string | number][])
            : []),
        [ENV.dryRun, config.dryRun],
        [ENV.concurrency, config.concurrency],
    ];
    return [
        { name: ENV.namespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        ...plain.map(([name, value]) => ({ name, value: String(value) })),
    ];
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
}

export class Cleanup extends pulumi.ComponentResource {
    readonly serviceAccountName: pulumi.Output<string>;
    readonly cronJobName: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: CleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:cleanup:Cleanup", name, {}, opts);
        const { config } = args;
        if (config.deadLetter && args.deadLetterClaimName === undefined) {
            throw new pulumi.ResourceError("Cleanup: cleanupDeadLetter is true but no deadLetterClaimName was given; pass the dead-letter PVC or set cleanupDeadLetter to false", this);
        }
        const script = fs.readFileSync(cleanupScriptPath(), "utf8");
        const labels = { ...PART_OF, "app.kubernetes.io/name": CLEANUP_NAME, "app.kubernetes.io/component": "cleanup" };
        // None of these has a readiness the provider waits for (a CronJob is done once stored).
        const metadata = (objectName: string): k8s.types.input.meta.v1.ObjectMeta => managedMeta(objectName, args.namespace, labels);
        const child = { parent: this };

        const serviceAccount = new k8s.core.v1.ServiceAccount("cleanup-sa", {
            metadata: metadata(CLEANUP_NAME),
            // The job talks to the API; nothing else runs under this account.
            automountServiceAccountToken: true,
        }, child);
        const role = new k8s.rbac.v1.Role("cleanup-role", {
            metadata: metadata(CLEANUP_NAME),
            rules: cleanupRoleRules(config.deadLetter),
        }, child);
        new k8s.rbac.v1.RoleBinding("cleanup-rolebinding", {
            metadata: metadata(CLEANUP_NAME),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: args.namespace }],
        }, child);
        const scriptMap = new k8s.core.v1.ConfigMap("cleanup-script", {
            metadata: metadata(CLEANUP_SCRIPT_CONFIGMAP),
            data: { [CLEANUP_SCRIPT_KEY]: script },
        }, child);

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

        const cronJob = new k8s.batch.v1.CronJob("cleanup-cronjob", {
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
                            rules: [{
                                action: "FailJob",
                                onExitCodes: { containerName: CLEANUP_CONTAINER, operator: "In", values: [NOT_RETRYABLE_EXIT] },
                            }],
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
                                containers: [{
                                    name: CLEANUP_CONTAINER,
                                    image: config.image,
                                    command: ["node", `${CLEANUP_SCRIPT_DIR}/${CLEANUP_SCRIPT_KEY}`],
                                    env: cleanupEnv(config, args.trialPodLabels),
                                    resources: resourceRequirements(config.resources),
                                    securityContext: RESTRICTED_CONTAINER,
                                    volumeMounts,
                                }],
                                volumes,
                            },
                        },
                    },
                },
            },
        }, child);

        this.serviceAccountName = serviceAccount.metadata.name;
        this.cronJobName = cronJob.metadata.name;
        this.roleName = role.metadata.name;
        this.registerOutputs({
            serviceAccountName: this.serviceAccountName,
            cronJobName: this.cronJobName,
            roleName: this.roleName,
        });
    }
}
