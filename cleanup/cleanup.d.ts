// Generated from cleanup.js by cleanup/generate-dts.sh; do not edit. A unit test fails when it is stale.
export type ObjectMeta = {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: {
        uid?: string;
    }[];
};
export type ContainerStatus = {
    state?: {
        terminated?: {
            finishedAt?: string;
        };
    };
};
export type Pod = {
    metadata?: ObjectMeta;
    status?: {
        phase?: string;
        startTime?: string;
        containerStatuses?: ContainerStatus[];
        initContainerStatuses?: ContainerStatus[];
    };
};
export type Condition = {
    type?: string;
    status?: string;
    reason?: string;
};
export type PipelineRun = {
    metadata?: ObjectMeta;
    status?: {
        completionTime?: string;
        conditions?: Condition[];
    };
};
export type ImageStream = {
    metadata?: ObjectMeta;
    status?: {
        tags?: {
            tag?: string;
            items?: {
                created?: string;
            }[] | null;
        }[] | null;
    };
};
export type KubeObject = {
    metadata?: ObjectMeta;
};
export type Selection<T> = {
    stale: T[];
    kept: T[];
};
/**
 * imageStreamLabels is empty when IMAGESTREAM_SELECTOR is: then no ImageStream is listed or pruned.
 */
export type Config = {
    namespace: string;
    trialPodLabels: Record<string, string>;
    trialPodMaxAgeMs: number;
    pipelineRunMaxAgeMs: number;
    pipelineRunKeepRecent: number;
    imageStreamMaxAgeMs: number;
    imageStreamLabels: Record<string, string>;
    deadLetterDir: string | undefined;
    deadLetterRetentionDays: number;
    dryRun: boolean;
    concurrency: number;
    kinds: string[];
    requestTimeoutMs: number;
    cronJobName: string | undefined;
    lastRunConfigMap: string | undefined;
    apiUrl: URL;
    token: string;
    ca: string | undefined;
    insecure: boolean;
};
export type ApiResponse = {
    status: number;
    body: unknown;
    date?: number;
    message: string;
    retryAfter?: string;
};
export type Client = {
    requests: number;
    call: (method: string, urlPath: string, body?: unknown, contentType?: string) => Promise<ApiResponse>;
};
/**
 * Each examined object is counted once: kept (by selection), deleted (404, already gone,
 * included), changed (stale when listed, but its delete was refused with 409 Conflict, so it
 * stays), failed, or in a dry run wouldDelete. deadLettered: for PipelineRuns with the dead
 * letter on, the records written; note: what the summary line adds in words. The run's
 * record keeps these counts.
 */
export type KindCounts = {
    examined: number;
    deleted: number;
    kept: number;
    changed: number;
    failed: number;
    wouldDelete: number;
    deadLettered?: number;
    note?: string;
};
/**
 * Each examined object is counted once: kept (by selection), deleted (404, already gone,
 * included), changed (stale when listed, but its delete was refused with 409 Conflict, so it
 * stays), failed, or in a dry run wouldDelete. deadLettered: for PipelineRuns with the dead
 * letter on, the records written; note: what the summary line adds in words. The run's
 * record keeps these counts.
 */
export type Summary = KindCounts & {
    kind: string;
    transient: number;
    permanent: number;
};
/**
 * How one kind is cleaned.
 */
export type KindPlan = {
    label: string;
    collection: string;
    query: Record<string, string>;
    keep: (item: unknown, now: number) => KubeObject;
    select: (items: KubeObject[], now: number) => Selection<KubeObject>;
    referenceTime: (obj: KubeObject) => number | undefined;
    deleteOptions?: Record<string, unknown>;
    beforeDelete?: (obj: KubeObject) => Promise<{
        ok: true;
    } | {
        ok: false;
        status: number;
        message: string;
    }>;
};
export type Outcome = {
    reason: string;
    type: "Normal" | "Warning";
};
export type RunRecord = {
    startedAt: string;
    finishedAt: string;
    durationSeconds: number;
    exitCode: number;
    outcome: string;
    dryRun: boolean;
    namespace: string;
    pod: string;
    apiRequests: number;
    kinds: Record<string, KindCounts>;
    error?: string;
};
export type CronJobRef = {
    metadata?: {
        name?: string;
        namespace?: string;
        uid?: string;
        resourceVersion?: string;
    };
};
export const ENV: Readonly<{
    namespace: "NAMESPACE";
    trialPodSelector: "TRIAL_POD_SELECTOR";
    trialPodMaxAgeHours: "TRIAL_POD_MAX_AGE_HOURS";
    pipelineRunMaxAgeHours: "PIPELINERUN_MAX_AGE_HOURS";
    pipelineRunKeepRecent: "PIPELINERUN_KEEP_RECENT";
    imageStreamMaxAgeHours: "IMAGESTREAM_MAX_AGE_HOURS";
    imageStreamSelector: "IMAGESTREAM_SELECTOR";
    deadLetterDir: "DEAD_LETTER_DIR";
    deadLetterRetentionDays: "DEAD_LETTER_RETENTION_DAYS";
    dryRun: "DRY_RUN";
    concurrency: "CONCURRENCY";
    kinds: "CLEANUP_KINDS";
    requestTimeoutSeconds: "REQUEST_TIMEOUT_SECONDS";
    cronJobName: "CRONJOB_NAME";
    lastRunConfigMap: "LAST_RUN_CONFIGMAP";
    apiUrl: "KUBE_API_URL";
    token: "KUBE_TOKEN";
    tokenFile: "KUBE_TOKEN_FILE";
    caFile: "KUBE_CA_FILE";
    insecure: "KUBE_INSECURE_SKIP_TLS_VERIFY";
}>;
export const ALL_KINDS: string[];
/**
 * @typedef {{ name?: string, namespace?: string, uid?: string, labels?: Record<string, string>,
 *   creationTimestamp?: string, deletionTimestamp?: string, ownerReferences?: { uid?: string }[] }} ObjectMeta
 * @typedef {{ state?: { terminated?: { finishedAt?: string } } }} ContainerStatus
 * @typedef {{ metadata?: ObjectMeta, status?: { phase?: string, startTime?: string,
 *   containerStatuses?: ContainerStatus[], initContainerStatuses?: ContainerStatus[] } }} Pod
 * @typedef {{ type?: string, status?: string, reason?: string }} Condition
 * @typedef {{ metadata?: ObjectMeta, status?: { completionTime?: string, conditions?: Condition[] } }} PipelineRun
 * @typedef {{ metadata?: ObjectMeta, status?: { tags?: { tag?: string, items?: { created?: string }[] | null }[] | null } }} ImageStream
 * @typedef {{ metadata?: ObjectMeta }} KubeObject
 */
/**
 * @template T
 * @typedef {{ stale: T[], kept: T[] }} Selection
 */
/** @param {unknown} text @returns {number | undefined} epoch ms, or undefined if absent or malformed */
export function parseTime(text: unknown): number | undefined;
/**
 * Strictly older: an object exactly at the limit stays, and one stamped in the future (a
 * skewed clock) has a negative age and stays too.
 * @param {number | undefined} at @param {number} now @param {number} maxAgeMs
 */
export function isOlderThan(at: number | undefined, now: number, maxAgeMs: number): boolean;
/**
 * When a pod finished: its last container termination; else its start; else its creation,
 * which the API server always sets, so a pod that failed before starting is still aged.
 * @param {Pod} pod
 */
export function podFinishedAt(pod: Pod): number | undefined;
/** @param {KubeObject} obj @param {Record<string, string>} labels */
export function hasLabels(obj: KubeObject, labels: Record<string, string>): boolean;
/**
 * The server filters by label already; checking again here means a selector bug can never
 * reach an unlabelled pod.
 * @param {Pod[]} pods @param {{ now: number, maxAgeMs: number, labels: Record<string, string> }} opts
 * @returns {Selection<Pod>}
 */
export function selectTrialPods(pods: Pod[], { now, maxAgeMs, labels }: {
    now: number;
    maxAgeMs: number;
    labels: Record<string, string>;
}): Selection<Pod>;
/** @param {PipelineRun} run */
export function pipelineRunCompletedAt(run: PipelineRun): number | undefined;
/** Failed includes cancelled and timed out: Tekton reports all three as Succeeded=False. @param {PipelineRun} run */
export function isPipelineRunFailed(run: PipelineRun): boolean;
/**
 * A run without completionTime is running or pending and is never touched. Of the completed
 * ones, the keepRecent most recently completed stay whatever their age.
 * @param {PipelineRun[]} runs @param {{ now: number, maxAgeMs: number, keepRecent: number }} opts
 * @returns {Selection<PipelineRun>}
 */
export function selectPipelineRuns(runs: PipelineRun[], { now, maxAgeMs, keepRecent }: {
    now: number;
    maxAgeMs: number;
    keepRecent: number;
}): Selection<PipelineRun>;
/**
 * The newest image of any tag; without any image, the stream's creation, so that a stream a
 * running build has just created is not deleted before its first push.
 * @param {ImageStream} stream
 */
export function imageStreamNewestAt(stream: ImageStream): number | undefined;
/**
 * Only streams with every selector label are candidates: the server filters by them already,
 * and checking again here means a selector bug can never reach an imported base image. No
 * labels select nothing.
 * @param {ImageStream[]} streams @param {{ now: number, maxAgeMs: number, labels: Record<string, string> }} opts
 * @returns {Selection<ImageStream>}
 */
export function selectImageStreams(streams: ImageStream[], { now, maxAgeMs, labels }: {
    now: number;
    maxAgeMs: number;
    labels: Record<string, string>;
}): Selection<ImageStream>;
/**
 * Without a selector no ImageStream is a candidate, so none is even listed: imported base
 * images and other streams nobody pushes to must never age out. The summary says so.
 * @returns {Summary}
 */
export function skippedImageStreams(): Summary;
/**
 * Where a failed run's record goes, relative to the dead-letter root:
 * pipelineruns/<UTC day it is written>/<name>-<uid>. Filing by the day of writing, not of the
 * run's completion, is what makes retention count from the moment the record exists: a run
 * that completed long ago and is pruned today is kept for the whole retention from today. The
 * uid keeps a re-created run of the same name from overwriting an older record.
 * @param {PipelineRun} run @param {number} writtenAt epoch ms
 */
export function deadLetterEntryPath(run: PipelineRun, writtenAt: number): string;
/**
 * Whether one dead-letter entry is past retention. Its time of writing is taken as the later
 * of the end of its day folder and its record file's modification time, so that neither a
 * folder named by an earlier layout (the completion day) nor a file whose time was reset
 * can make an entry go early; an entry with neither is kept.
 * @param {{ day: string, recordMtimeMs: number | undefined }} entry
 * @param {number} now @param {number} retentionDays
 */
export function isDeadLetterEntryExpired(entry: {
    day: string;
    recordMtimeMs: number | undefined;
}, now: number, retentionDays: number): boolean;
/**
 * Waiting time before retry number `attempt` (1-based): the server's Retry-After when it
 * gives one, else exponential backoff with full jitter, both capped.
 * @param {number} attempt @param {string | undefined} retryAfter @param {() => number} [random]
 */
export function retryDelayMs(attempt: number, retryAfter: string | undefined, random?: () => number): number;
/** @param {number} status HTTP status, 0 for a network error */
export function isTransient(status: number): boolean;
/** @param {string} text @returns {Record<string, string> | string} the labels, or what is wrong */
export function parseSelector(text: string): Record<string, string> | string;
/** @param {Record<string, string>} labels */
export function selectorString(labels: Record<string, string>): string;
/**
 * imageStreamLabels is empty when IMAGESTREAM_SELECTOR is: then no ImageStream is listed or pruned.
 * @typedef {{ namespace: string, trialPodLabels: Record<string, string>, trialPodMaxAgeMs: number,
 *   pipelineRunMaxAgeMs: number, pipelineRunKeepRecent: number, imageStreamMaxAgeMs: number,
 *   imageStreamLabels: Record<string, string>,
 *   deadLetterDir: string | undefined, deadLetterRetentionDays: number, dryRun: boolean,
 *   concurrency: number, kinds: string[], requestTimeoutMs: number, cronJobName: string | undefined,
 *   lastRunConfigMap: string | undefined, apiUrl: URL, token: string,
 *   ca: string | undefined, insecure: boolean }} Config
 */
/**
 * Reads the whole configuration and reports every problem at once, each naming the variable,
 * the value given and the form expected.
 * @param {Record<string, string | undefined>} env
 * @param {(file: string) => string} [readFile]
 * @returns {{ config?: Config, problems: string[] }}
 */
export function parseConfig(env: Record<string, string | undefined>, readFile?: (file: string) => string): {
    config?: Config;
    problems: string[];
};
/** @param {Summary[]} summaries */
export function exitCodeFor(summaries: Summary[]): 0 | 1 | 2;
/** @param {Summary} s @param {boolean} dryRun */
export function summaryLine(s: Summary, dryRun: boolean): string;
/**
 * @template T
 * @param {T[]} items @param {number} concurrency @param {(item: T) => Promise<void>} worker never rejects
 */
export function runPool<T>(items: T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void>;
export const RUN_HISTORY: 30;
export const LAST_RUN_KEY: "last-run.json";
export const RUNS_KEY: "runs.json";
export const REPORTER: "abevalflow-cleanup.js";
/** @param {number} exitCode @returns {Outcome} */
export function runOutcome(exitCode: number): Outcome;
/**
 * @param {{ startedMs: number, finishedMs: number, exitCode: number, dryRun: boolean, namespace: string,
 *   pod: string, apiRequests: number, summaries: Summary[], error?: string }} run
 * @returns {RunRecord}
 */
export function runRecord(run: {
    startedMs: number;
    finishedMs: number;
    exitCode: number;
    dryRun: boolean;
    namespace: string;
    pod: string;
    apiRequests: number;
    summaries: Summary[];
    error?: string;
}): RunRecord;
/**
 * The Event's message: the exit code, the duration and every kind's counts as the log's
 * summary lines give them, then whatever could not be recorded.
 * @param {RunRecord} record @param {string[]} [notRecorded]
 */
export function runEventMessage(record: RunRecord, notRecorded?: string[]): string;
/**
 * A core/v1 Event on the CronJob. Its uid is what `kubectl describe cronjob` selects the
 * Events by, so the CronJob as read is referred to, not only its name.
 * @param {CronJobRef} cronJob @param {RunRecord} record @param {string[]} notRecorded @param {number} now
 */
export function runEvent(cronJob: CronJobRef, record: RunRecord, notRecorded: string[], now: number): {
    firstTimestamp: string;
    lastTimestamp: string;
    count: number;
    reportingInstance?: string | undefined;
    apiVersion: string;
    kind: string;
    metadata: {
        generateName: string;
        namespace: string | undefined;
    };
    involvedObject: {
        apiVersion: string;
        kind: string;
        name: string | undefined;
        namespace: string | undefined;
        uid: string | undefined;
        resourceVersion: string | undefined;
    };
    reason: string;
    type: "Normal" | "Warning";
    message: string;
    source: {
        component: string;
    };
    reportingComponent: string;
};
/**
 * The runs to keep, newest first: this one and the previous ones from `runs.json`, at most
 * `limit`. A history that is not a JSON array of objects is replaced, and the problem said.
 * @param {unknown} previousText @param {RunRecord} record @param {number} [limit]
 * @returns {{ runs: unknown[], problem?: string }}
 */
export function runHistory(previousText: unknown, record: RunRecord, limit?: number): {
    runs: unknown[];
    problem?: string;
};
/**
 * A JSON merge patch of the ConfigMap's data. The resourceVersion makes it apply only to the
 * ConfigMap as read, so a history another writer extended meanwhile is not overwritten.
 * @param {RunRecord} record @param {unknown[]} runs @param {string | undefined} resourceVersion
 */
export function lastRunPatch(record: RunRecord, runs: unknown[], resourceVersion: string | undefined): {
    metadata: {
        resourceVersion: string | undefined;
    };
    data: {
        "last-run.json": string;
        "runs.json": string;
    };
};
/**
 * Writes the record, then the Event, each when configured. A failure is logged and makes the
 * exit code at least 1, never lower than the cleanup's own: the record never hides the outcome.
 * @param {Client} client @param {Config} config @param {RunRecord} record @returns {Promise<number>} the exit code
 */
export function recordRun(client: Client, config: Config, record: RunRecord): Promise<number>;
