// @ts-check
/*
 * abevalflow cleanup: prunes finished trial pods, completed PipelineRuns and stale
 * ImageStreams in one namespace, and keeps the record of every failed PipelineRun on the
 * dead-letter volume before pruning it. One file, Node.js 20 built-ins only: the CronJob
 * mounts it from a ConfigMap and runs `node /opt/cleanup/cleanup.js`. Manual: docs/cleanup.md.
 *
 * Environment (the CronJob sets every one from typed stack config):
 *   NAMESPACE                    namespace to clean; default: the ServiceAccount's namespace
 *   TRIAL_POD_SELECTOR           trial pod labels, key=value[,key=value...]; never empty
 *   TRIAL_POD_MAX_AGE_HOURS      Succeeded/Failed trial pods finished longer ago are deleted
 *   PIPELINERUN_MAX_AGE_HOURS    PipelineRuns completed longer ago are deleted
 *   PIPELINERUN_KEEP_RECENT      the K most recently completed PipelineRuns are kept anyway
 *   IMAGESTREAM_MAX_AGE_HOURS    ImageStreams whose newest image (or, without any, whose
 *                                creation) is older are deleted
 *   IMAGESTREAM_SELECTOR         only ImageStreams with these labels (key=value[,key=value...])
 *                                are pruned; empty or unset: no ImageStream is pruned at all
 *   DEAD_LETTER_DIR              mounted dead-letter volume; empty or unset: no dead letter
 *   DEAD_LETTER_RETENTION_DAYS   dead-letter entries written longer ago are removed
 *   DRY_RUN                      true: report what would go, change nothing (default false)
 *   CONCURRENCY                  deletes in flight at once
 *   CLEANUP_KINDS                subset of pods,pipelineruns,imagestreams (default: all)
 *   REQUEST_TIMEOUT_SECONDS      one API request, from sending to its last byte (default 60)
 *   CRONJOB_NAME                 the CronJob that runs this program; each run leaves an Event
 *                                on it; empty or unset: no Event
 *   LAST_RUN_CONFIGMAP           ConfigMap whose data the run's record is patched into (the
 *                                last run, and the last RUN_HISTORY runs); empty or unset: none
 * Connection: inside a pod the ServiceAccount token and CA; outside one (tests, benchmark)
 *   KUBE_API_URL, KUBE_TOKEN or KUBE_TOKEN_FILE, and KUBE_CA_FILE or
 *   KUBE_INSECURE_SKIP_TLS_VERIFY=true.
 * Exit codes: 0 done; 1 something failed for a transient reason (retrying is safe), or the
 *   run's Event or record could not be written; 2 bad configuration or a refusal that
 *   retrying cannot fix (403, unknown resource).
 */
"use strict";

const fs = require("fs");
const fsp = require("fs/promises");
const http = require("http");
const https = require("https");
const os = require("os");
const path = require("path");

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
// Pages stay small because a PipelineRun carries its whole resolved pipeline spec in status.
const PAGE_SIZE = 250;
// A continue token expires when etcd compacts past the list's snapshot (every 5 minutes by
// default), so a slow list can meet 410 Gone mid-way; it then starts over, at most this many
// times, so a list that can never finish fails instead of looping.
const LIST_RESTARTS = 3;
const MAX_ATTEMPTS = 6;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
// Label values are at most 63 characters, and a set-based selector per batch keeps the
// URL short while avoiding one TaskRun list per PipelineRun.
const TASKRUN_BATCH = 50;
// Stale objects are prepared (TaskRuns fetched) and deleted this many at a time, so a large
// backlog of failed runs never has all its TaskRuns in memory at once.
const PREPARE_CHUNK = 4 * TASKRUN_BATCH;
const ALL_KINDS = ["pods", "pipelineruns", "imagestreams"];
// About a month of daily runs; a record is under 1 KB, far below a ConfigMap's 1 MiB.
const RUN_HISTORY = 30;
const LAST_RUN_KEY = "last-run.json";
const RUNS_KEY = "runs.json";
// Who wrote the Events and the record's data: the Events' source and the patch's field manager.
const REPORTER = "abevalflow-cleanup.js";
// Another writer between this run's read and its patch of the record (a run started by hand):
// read and patch again, at most this many times.
const RECORD_ATTEMPTS = 3;

const ENV = Object.freeze({
    namespace: "NAMESPACE",
    trialPodSelector: "TRIAL_POD_SELECTOR",
    trialPodMaxAgeHours: "TRIAL_POD_MAX_AGE_HOURS",
    pipelineRunMaxAgeHours: "PIPELINERUN_MAX_AGE_HOURS",
    pipelineRunKeepRecent: "PIPELINERUN_KEEP_RECENT",
    imageStreamMaxAgeHours: "IMAGESTREAM_MAX_AGE_HOURS",
    imageStreamSelector: "IMAGESTREAM_SELECTOR",
    deadLetterDir: "DEAD_LETTER_DIR",
    deadLetterRetentionDays: "DEAD_LETTER_RETENTION_DAYS",
    dryRun: "DRY_RUN",
    concurrency: "CONCURRENCY",
    kinds: "CLEANUP_KINDS",
    requestTimeoutSeconds: "REQUEST_TIMEOUT_SECONDS",
    cronJobName: "CRONJOB_NAME",
    lastRunConfigMap: "LAST_RUN_CONFIGMAP",
    apiUrl: "KUBE_API_URL",
    token: "KUBE_TOKEN",
    tokenFile: "KUBE_TOKEN_FILE",
    caFile: "KUBE_CA_FILE",
    insecure: "KUBE_INSECURE_SKIP_TLS_VERIFY",
});

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

// ---------------------------------------------------------------------------------------
// Selection: pure functions of the listed objects and the time; exported for unit tests.

/** @param {unknown} text @returns {number | undefined} epoch ms, or undefined if absent or malformed */
function parseTime(text) {
    if (typeof text !== "string" || text === "") {
        return undefined;
    }
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Strictly older: an object exactly at the limit stays, and one stamped in the future (a
 * skewed clock) has a negative age and stays too.
 * @param {number | undefined} at @param {number} now @param {number} maxAgeMs
 */
function isOlderThan(at, now, maxAgeMs) {
    return at !== undefined && now - at > maxAgeMs;
}

/**
 * When a pod finished: its last container termination; else its start; else its creation,
 * which the API server always sets, so a pod that failed before starting is still aged.
 * @param {Pod} pod
 */
function podFinishedAt(pod) {
    const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
    /** @type {number | undefined} */
    let latest;
    for (const s of statuses) {
        const t = parseTime(s?.state?.terminated?.finishedAt);
        if (t !== undefined && (latest === undefined || t > latest)) {
            latest = t;
        }
    }
    return latest ?? parseTime(pod.status?.startTime) ?? parseTime(pod.metadata?.creationTimestamp);
}

/** @param {KubeObject} obj @param {Record<string, string>} labels */
function hasLabels(obj, labels) {
    const own = obj.metadata?.labels ?? {};
    return Object.keys(labels).length > 0 && Object.entries(labels).every(([k, v]) => own[k] === v);
}

/**
 * The server filters by label already; checking again here means a selector bug can never
 * reach an unlabelled pod.
 * @param {Pod[]} pods @param {{ now: number, maxAgeMs: number, labels: Record<string, string> }} opts
 * @returns {Selection<Pod>}
 */
function selectTrialPods(pods, { now, maxAgeMs, labels }) {
    /** @type {Selection<Pod>} */
    const out = { stale: [], kept: [] };
    for (const pod of pods) {
        const phase = pod.status?.phase;
        const finished = phase === "Succeeded" || phase === "Failed";
        const stale =
            finished &&
            hasLabels(pod, labels) &&
            !pod.metadata?.deletionTimestamp &&
            isOlderThan(podFinishedAt(pod), now, maxAgeMs);
        (stale ? out.stale : out.kept).push(pod);
    }
    return out;
}

/** @param {PipelineRun} run */
function pipelineRunCompletedAt(run) {
    return parseTime(run.status?.completionTime);
}

/** Failed includes cancelled and timed out: Tekton reports all three as Succeeded=False. @param {PipelineRun} run */
function isPipelineRunFailed(run) {
    return (run.status?.conditions ?? []).some((c) => c.type === "Succeeded" && c.status === "False");
}

/**
 * A run without completionTime is running or pending and is never touched. Of the completed
 * ones, the keepRecent most recently completed stay whatever their age.
 * @param {PipelineRun[]} runs @param {{ now: number, maxAgeMs: number, keepRecent: number }} opts
 * @returns {Selection<PipelineRun>}
 */
function selectPipelineRuns(runs, { now, maxAgeMs, keepRecent }) {
    /** @type {Selection<PipelineRun>} */
    const out = { stale: [], kept: [] };
    const completed = [];
    for (const run of runs) {
        if (pipelineRunCompletedAt(run) === undefined || run.metadata?.deletionTimestamp) {
            out.kept.push(run);
        } else {
            completed.push(run);
        }
    }
    const newestFirst = completed.sort(
        (a, b) =>
            (pipelineRunCompletedAt(b) ?? 0) - (pipelineRunCompletedAt(a) ?? 0) ||
            (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
    );
    newestFirst.forEach((run, index) => {
        const stale = index >= keepRecent && isOlderThan(pipelineRunCompletedAt(run), now, maxAgeMs);
        (stale ? out.stale : out.kept).push(run);
    });
    return out;
}

/**
 * The newest image of any tag; without any image, the stream's creation, so that a stream a
 * running build has just created is not deleted before its first push.
 * @param {ImageStream} stream
 */
function imageStreamNewestAt(stream) {
    /** @type {number | undefined} */
    let newest;
    for (const tag of stream.status?.tags ?? []) {
        for (const item of tag?.items ?? []) {
            const t = parseTime(item?.created);
            if (t !== undefined && (newest === undefined || t > newest)) {
                newest = t;
            }
        }
    }
    return newest ?? parseTime(stream.metadata?.creationTimestamp);
}

/**
 * Only streams with every selector label are candidates: the server filters by them already,
 * and checking again here means a selector bug can never reach an imported base image. No
 * labels select nothing.
 * @param {ImageStream[]} streams @param {{ now: number, maxAgeMs: number, labels: Record<string, string> }} opts
 * @returns {Selection<ImageStream>}
 */
function selectImageStreams(streams, { now, maxAgeMs, labels }) {
    /** @type {Selection<ImageStream>} */
    const out = { stale: [], kept: [] };
    for (const stream of streams) {
        const stale =
            hasLabels(stream, labels) &&
            !stream.metadata?.deletionTimestamp &&
            isOlderThan(imageStreamNewestAt(stream), now, maxAgeMs);
        (stale ? out.stale : out.kept).push(stream);
    }
    return out;
}

/**
 * Where a failed run's record goes, relative to the dead-letter root:
 * pipelineruns/<UTC day it is written>/<name>-<uid>. Filing by the day of writing, not of the
 * run's completion, is what makes retention count from the moment the record exists: a run
 * that completed long ago and is pruned today is kept for the whole retention from today. The
 * uid keeps a re-created run of the same name from overwriting an older record.
 * @param {PipelineRun} run @param {number} writtenAt epoch ms
 */
function deadLetterEntryPath(run, writtenAt) {
    const day = new Date(writtenAt).toISOString().slice(0, 10);
    return path.posix.join("pipelineruns", day, deadLetterEntryName(run));
}

/** @param {PipelineRun} run */
function deadLetterEntryName(run) {
    return `${run.metadata?.name}-${run.metadata?.uid}`;
}

const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether one dead-letter entry is past retention. Its time of writing is taken as the later
 * of the end of its day folder and its record file's modification time, so that neither a
 * folder named by an earlier layout (the completion day) nor a file whose time was reset
 * can make an entry go early; an entry with neither is kept.
 * @param {{ day: string, recordMtimeMs: number | undefined }} entry
 * @param {number} now @param {number} retentionDays
 */
function isDeadLetterEntryExpired(entry, now, retentionDays) {
    const start = DAY_FOLDER.test(entry.day) ? parseTime(`${entry.day}T00:00:00Z`) : undefined;
    const dayEnd = start === undefined ? undefined : start + DAY_MS;
    const candidates = [dayEnd, entry.recordMtimeMs].filter((t) => t !== undefined && Number.isFinite(t));
    if (candidates.length === 0) {
        return false;
    }
    const writtenAt = Math.max(.../** @type {number[]} */ (candidates));
    return now - writtenAt > retentionDays * DAY_MS;
}

/**
 * Waiting time before retry number `attempt` (1-based): the server's Retry-After when it
 * gives one, else exponential backoff with full jitter, both capped.
 * @param {number} attempt @param {string | undefined} retryAfter @param {() => number} [random]
 */
function retryDelayMs(attempt, retryAfter, random = Math.random) {
    const seconds = retryAfter === undefined ? NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) {
        return Math.min(seconds * 1000, MAX_BACKOFF_MS);
    }
    return Math.round(random() * Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt));
}

/** @param {number} status HTTP status, 0 for a network error */
function isTransient(status) {
    return status === 0 || status === 429 || status >= 500;
}

// ---------------------------------------------------------------------------------------
// Configuration

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** @param {string} text @returns {Record<string, string> | string} the labels, or what is wrong */
function parseSelector(text) {
    /** @type {Record<string, string>} */
    const labels = {};
    for (const term of text.split(",").map((t) => t.trim())) {
        const match = /^([^=!]+)=([^=]*)$/.exec(term);
        const key = match?.[1] ?? "";
        const slash = key.lastIndexOf("/");
        const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
        const name = key.slice(slash + 1);
        const value = match?.[2] ?? "";
        const keyOk =
            LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
        if (!match || !keyOk || (value !== "" && !LABEL_NAME.test(value))) {
            return `key=value terms separated by commas, with valid label keys and values (bad term ${JSON.stringify(term)})`;
        }
        labels[key] = value;
    }
    return labels;
}

/** @param {Record<string, string>} labels */
function selectorString(labels) {
    return Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
}

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
function parseConfig(env, readFile = (file) => fs.readFileSync(file, "utf8")) {
    /** @type {string[]} */
    const problems = [];
    /** @param {string} name @param {string} expected */
    const bad = (name, expected) => problems.push(`${name}=${JSON.stringify(env[name] ?? "")}: expected ${expected}`);
    /** @param {string} name @param {number} min */
    const integer = (name, min) => {
        const raw = (env[name] ?? "").trim();
        if (!/^[0-9]+$/.test(raw) || Number(raw) < min) {
            bad(name, `an integer >= ${min}`);
            return min;
        }
        return Number(raw);
    };
    /** @param {string} name @param {string} what */
    const fromFile = (name, what) => {
        try {
            return readFile(name).trim();
        } catch (e) {
            problems.push(`cannot read ${what} from ${name}: ${e instanceof Error ? e.message : String(e)}`);
            return "";
        }
    };

    const namespace = env[ENV.namespace] || fromFile(path.join(SA_DIR, "namespace"), `${ENV.namespace} (unset)`);
    if (namespace && !DNS_LABEL.test(namespace)) {
        bad(ENV.namespace, "a namespace name (DNS-1123 label)");
    }
    const selector = parseSelector(env[ENV.trialPodSelector] ?? "");
    if (typeof selector === "string") {
        bad(ENV.trialPodSelector, selector);
    }
    // Empty is a valid choice here, unlike for trial pods: it keeps every ImageStream.
    const streamSelectorText = (env[ENV.imageStreamSelector] ?? "").trim();
    const streamSelector = streamSelectorText === "" ? {} : parseSelector(streamSelectorText);
    if (typeof streamSelector === "string") {
        bad(ENV.imageStreamSelector, `empty (prune no ImageStream) or ${streamSelector}`);
    }
    const dryRunRaw = env[ENV.dryRun] ?? "false";
    if (dryRunRaw !== "true" && dryRunRaw !== "false") {
        bad(ENV.dryRun, "true or false");
    }
    const kinds = (env[ENV.kinds] || ALL_KINDS.join(",")).split(",").map((k) => k.trim());
    if (kinds.some((k) => !ALL_KINDS.includes(k))) {
        bad(ENV.kinds, `a comma-separated subset of ${ALL_KINDS.join(",")}`);
    }
    const deadLetterDir = env[ENV.deadLetterDir] || undefined;
    /** @param {string} name @returns {string | undefined} */
    const objectName = (name) => {
        const value = (env[name] ?? "").trim();
        if (value !== "" && (value.length > 253 || !DNS_SUBDOMAIN.test(value))) {
            bad(name, "an object name (DNS-1123 subdomain), or empty for none");
        }
        return value || undefined;
    };
    const cronJobName = objectName(ENV.cronJobName);
    const lastRunConfigMap = objectName(ENV.lastRunConfigMap);
    if (deadLetterDir !== undefined && !path.isAbsolute(deadLetterDir)) {
        bad(ENV.deadLetterDir, "an absolute path to the mounted dead-letter volume, or empty to disable");
    }

    let apiUrl;
    const host = env.KUBERNETES_SERVICE_HOST;
    const urlText =
        env[ENV.apiUrl] ||
        (host ? `https://${host.includes(":") ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT || "443"}` : "");
    try {
        apiUrl = new URL(urlText);
        if (apiUrl.protocol !== "https:" && apiUrl.protocol !== "http:") {
            throw new Error("not http(s)");
        }
    } catch {
        bad(ENV.apiUrl, "the API server URL (https://host:port); it is only optional inside a pod");
    }
    const token = env[ENV.token] || fromFile(env[ENV.tokenFile] || path.join(SA_DIR, "token"), "the API token");
    const insecure = env[ENV.insecure] === "true";
    const ca =
        insecure || apiUrl?.protocol !== "https:"
            ? undefined
            : fromFile(env[ENV.caFile] || path.join(SA_DIR, "ca.crt"), "the API server CA");

    const config = {
        namespace,
        trialPodLabels: typeof selector === "string" ? {} : selector,
        trialPodMaxAgeMs: integer(ENV.trialPodMaxAgeHours, 1) * HOUR_MS,
        pipelineRunMaxAgeMs: integer(ENV.pipelineRunMaxAgeHours, 1) * HOUR_MS,
        pipelineRunKeepRecent: integer(ENV.pipelineRunKeepRecent, 0),
        imageStreamMaxAgeMs: integer(ENV.imageStreamMaxAgeHours, 1) * HOUR_MS,
        imageStreamLabels: typeof streamSelector === "string" ? {} : streamSelector,
        deadLetterDir,
        deadLetterRetentionDays: deadLetterDir === undefined ? 0 : integer(ENV.deadLetterRetentionDays, 1),
        dryRun: dryRunRaw === "true",
        concurrency: integer(ENV.concurrency, 1),
        kinds,
        requestTimeoutMs:
            ((env[ENV.requestTimeoutSeconds] ?? "").trim() === ""
                ? DEFAULT_REQUEST_TIMEOUT_SECONDS
                : integer(ENV.requestTimeoutSeconds, 1)) * 1000,
        cronJobName,
        lastRunConfigMap,
        apiUrl: apiUrl ?? new URL("https://invalid"),
        token,
        ca,
        insecure,
    };
    return problems.length > 0 ? { problems } : { config, problems };
}

// ---------------------------------------------------------------------------------------
// API client: keep-alive connections, retries with backoff, a request counter.

/**
 * @typedef {{ status: number, body: unknown, date?: number, message: string, retryAfter?: string }} ApiResponse
 * @typedef {{ requests: number, call: (method: string, urlPath: string, body?: unknown, contentType?: string) => Promise<ApiResponse> }} Client
 */

/** @param {Config} config @returns {Client} */
function createClient(config) {
    const secure = config.apiUrl.protocol === "https:";
    const agentOptions = { keepAlive: true, maxSockets: config.concurrency + 2 };
    const agent = secure
        ? new https.Agent({ ...agentOptions, ca: config.ca, rejectUnauthorized: !config.insecure })
        : new http.Agent(agentOptions);
    const client = { requests: 0, call };

    /**
     * One request, bounded as a whole: a server that trickles its answer a byte at a time
     * never trips an idle timeout, so the deadline runs from sending to the last byte.
     * @param {string} method @param {string} urlPath @param {string | undefined} payload @param {string} contentType
     * @returns {Promise<ApiResponse>}
     */
    function once(method, urlPath, payload, contentType) {
        client.requests += 1;
        return new Promise((resolve) => {
            let settled = false;
            /** @param {ApiResponse} answer */
            const settle = (answer) => {
                if (!settled) {
                    settled = true;
                    clearTimeout(deadline);
                    resolve(answer);
                }
            };
            /** @param {string} message */
            const networkError = (message) => settle({ status: 0, body: undefined, date: undefined, message });
            const req = (secure ? https : http).request(
                new URL(urlPath, config.apiUrl),
                {
                    method,
                    agent,
                    headers: {
                        Authorization: `Bearer ${config.token}`,
                        Accept: "application/json",
                        ...(payload === undefined
                            ? {}
                            : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
                    },
                },
                (res) => {
                    /** @type {Buffer[]} */
                    const chunks = [];
                    res.on("data", (c) => chunks.push(c));
                    res.on("error", (e) => networkError(e.message));
                    res.on("aborted", () => networkError("the connection closed before the whole answer arrived"));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let body;
                        try {
                            body = text ? JSON.parse(text) : undefined;
                        } catch {
                            body = undefined;
                        }
                        const status = res.statusCode ?? 0;
                        const message =
                            /** @type {{ message?: string } | undefined} */ (body)?.message ?? text.slice(0, 200);
                        const retryAfter = res.headers["retry-after"];
                        settle({ status, body, date: parseTime(res.headers.date), message, retryAfter });
                    });
                },
            );
            const deadline = setTimeout(() => {
                networkError(`no complete answer within ${config.requestTimeoutMs / 1000}s`);
                req.destroy();
            }, config.requestTimeoutMs);
            req.on("error", (e) => networkError(e.message));
            req.end(payload);
        });
    }

    /** @param {string} method @param {string} urlPath @param {unknown} [body] @param {string} [contentType] */
    async function call(method, urlPath, body, contentType = "application/json") {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        for (let attempt = 1; ; attempt++) {
            const res = await once(method, urlPath, payload, contentType);
            if (!isTransient(res.status) || attempt >= MAX_ATTEMPTS) {
                return res;
            }
            await new Promise((r) => setTimeout(r, retryDelayMs(attempt, res.retryAfter)));
        }
    }
    return client;
}

/**
 * Every page of a list; `keep` maps each item to what the caller holds on to, so a large
 * namespace never sits in memory whole. An expired continue token (410 Gone) restarts the
 * list from its first page and the pages of the abandoned pass are dropped, so every object is
 * held, counted and deleted once, as the new pass saw it. After LIST_RESTARTS restarts the list fails with the 410.
 * @template T
 * @param {Client} client @param {string} urlPath @param {Record<string, string>} query
 * @param {(item: unknown, now: number) => T} keep
 * @returns {Promise<{ items: T[], now: number } | { error: ApiResponse }>}
 */
async function listAll(client, urlPath, query, keep) {
    /** @type {T[]} */
    let items = [];
    let next = "";
    /** @type {number | undefined} */
    let now;
    for (let restarts = 0; ;) {
        const params = new URLSearchParams({ ...query, limit: String(PAGE_SIZE), ...(next ? { continue: next } : {}) });
        const res = await client.call("GET", `${urlPath}?${params}`);
        if (res.status === 410 && next) {
            if (restarts >= LIST_RESTARTS) {
                const message =
                    `continue token expired (410 Gone) on ${restarts + 1} passes in a row, after ${restarts} ` +
                    `restarts from the beginning (${res.message}); the next run lists again`;
                return { error: { ...res, message } };
            }
            restarts += 1;
            console.log(
                `list ${urlPath}: continue token expired (410 Gone) after ${items.length} objects; ` +
                    `listing again from the beginning (restart ${restarts} of ${LIST_RESTARTS})`,
            );
            items = [];
            next = "";
            continue;
        }
        if (res.status !== 200) {
            return { error: res };
        }
        // The API server's clock, not this node's, is what stamped most of the times compared.
        // A restarted list keeps the first page's time: `keep` and selection must use one
        // time, and an earlier one can only make objects look younger.
        now ??= res.date ?? Date.now();
        const list = asList(res.body);
        if (typeof list === "string") {
            // Whatever answered is not the API server speaking Kubernetes (a proxy's error page,
            // a truncated body): this kind fails, the others go on, and the next run lists again.
            return {
                error: {
                    ...res,
                    status: 0,
                    message: `GET ${urlPath} answered 200 with ${list}, not a Kubernetes list`,
                },
            };
        }
        for (const item of list.items) {
            items.push(keep(item, now));
        }
        next = list.continue;
        if (!next) {
            return { items, now };
        }
    }
}

/**
 * A list answer's items and continue token, or what the body was instead.
 * @param {unknown} body @returns {{ items: unknown[], continue: string } | string}
 */
function asList(body) {
    if (body === undefined) {
        return "a body that is not JSON";
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
        return `the JSON value ${JSON.stringify(body).slice(0, 60)}`;
    }
    const list = /** @type {{ kind?: unknown, items?: unknown, metadata?: { continue?: unknown } }} */ (body);
    if (!Array.isArray(list.items)) {
        return `an object whose items is ${list.items === undefined ? "missing" : JSON.stringify(list.items).slice(0, 60)}`;
    }
    const token = list.metadata?.continue;
    return { items: list.items, continue: typeof token === "string" ? token : "" };
}

/**
 * @template T
 * @param {T[]} items @param {number} concurrency @param {(item: T) => Promise<void>} worker never rejects
 */
async function runPool(items, concurrency, worker) {
    let next = 0;
    const lane = async () => {
        while (next < items.length) {
            await worker(items[next++]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

// ---------------------------------------------------------------------------------------
// The kinds

/**
 * Each examined object is counted once: kept (by selection), deleted (404, already gone,
 * included), changed (stale when listed, but its delete was refused with 409 Conflict, so it
 * stays), failed, or in a dry run wouldDelete. deadLettered: for PipelineRuns with the dead
 * letter on, the records written; note: what the summary line adds in words. The run's
 * record keeps these counts.
 * @typedef {{ examined: number, deleted: number, kept: number, changed: number, failed: number,
 *   wouldDelete: number, deadLettered?: number, note?: string }} KindCounts
 * @typedef {KindCounts & { kind: string, transient: number, permanent: number }} Summary
 */

/** @param {string} kind @returns {Summary} */
function emptySummary(kind) {
    return {
        kind,
        examined: 0,
        deleted: 0,
        kept: 0,
        changed: 0,
        failed: 0,
        wouldDelete: 0,
        transient: 0,
        permanent: 0,
    };
}

/** @param {Summary} summary @param {string} what @param {ApiResponse | { status: number, message: string }} res */
function recordFailure(summary, what, res) {
    summary.failed += 1;
    // A 410 that reaches here is a list whose continue token kept expiring; a later run
    // lists afresh and may well finish, so it counts as transient.
    if (isTransient(res.status) || res.status === 410) {
        summary.transient += 1;
    } else {
        summary.permanent += 1;
    }
    console.log(`failed ${what}: ${res.status || "network error"} ${res.message}`);
}

/** @param {number} ms */
function hoursAgo(ms) {
    return `${(ms / HOUR_MS).toFixed(1)}h ago`;
}

/**
 * Deletes exactly the listed object: the uid precondition turns a same-named replacement
 * into a 409 instead of a deletion. 404: the listed object is already gone, as the delete
 * intended. 409: what now carries the name is not the object as listed, so it stays, and
 * the next run selects it afresh.
 * @param {Client} client @param {string} collection @param {KubeObject} obj @param {Record<string, unknown>} [extra]
 * @returns {Promise<{ outcome: "deleted" | "changed" | "failed", res: ApiResponse }>}
 */
async function deleteObject(client, collection, obj, extra = {}) {
    const res = await client.call("DELETE", `${collection}/${encodeURIComponent(obj.metadata?.name ?? "")}`, {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        preconditions: { uid: obj.metadata?.uid },
        ...extra,
    });
    if ((res.status >= 200 && res.status < 300) || res.status === 404) {
        return { outcome: "deleted", res };
    }
    return { outcome: res.status === 409 ? "changed" : "failed", res };
}

/**
 * How one kind is cleaned.
 * @typedef {{ label: string, collection: string, query: Record<string, string>,
 *   keep: (item: unknown, now: number) => KubeObject, select: (items: KubeObject[], now: number) => Selection<KubeObject>,
 *   referenceTime: (obj: KubeObject) => number | undefined, deleteOptions?: Record<string, unknown>,
 *   beforeDelete?: (obj: KubeObject) => Promise<{ ok: true } | { ok: false, status: number, message: string }> }} KindPlan
 */

/**
 * Lists one kind, selects, and deletes the stale objects with bounded concurrency.
 * @param {Client} client @param {Config} config @param {KindPlan} plan
 * @param {(stale: KubeObject[]) => Promise<void>} [prepare] runs before each chunk of deletes, on that chunk
 */
async function cleanKind(client, config, plan, prepare) {
    const summary = emptySummary(plan.label);
    const listed = await listAll(client, plan.collection, plan.query, plan.keep);
    if ("error" in listed) {
        recordFailure(summary, `list ${plan.label}`, listed.error);
        return summary;
    }
    const { stale, kept } = plan.select(listed.items, listed.now);
    summary.examined = listed.items.length;
    summary.kept = kept.length;
    /** @param {KubeObject} obj */
    const handle = async (obj) => {
        const name = `${plan.label}/${obj.metadata?.name}`;
        const at = plan.referenceTime(obj);
        const why = at === undefined ? "" : ` (${new Date(at).toISOString()}, ${hoursAgo(listed.now - at)})`;
        if (config.dryRun) {
            console.log(`would delete ${name}${why}`);
            summary.wouldDelete += 1;
            return;
        }
        const ready = plan.beforeDelete ? await plan.beforeDelete(obj) : { ok: /** @type {const} */ (true) };
        if (!ready.ok) {
            recordFailure(summary, `dead-letter copy of ${name}, so it was kept`, ready);
            return;
        }
        const { outcome, res } = await deleteObject(client, plan.collection, obj, plan.deleteOptions);
        if (outcome === "deleted") {
            summary.deleted += 1;
            console.log(`deleted ${name}${why}`);
        } else if (outcome === "changed") {
            summary.changed += 1;
            console.log(`kept ${name}: changed since it was listed (409 ${res.message})`);
        } else {
            recordFailure(summary, `delete ${name}`, res);
        }
    };
    const chunkSize = prepare && !config.dryRun ? PREPARE_CHUNK : Math.max(stale.length, 1);
    for (let start = 0; start < stale.length; start += chunkSize) {
        const chunk = stale.slice(start, start + chunkSize);
        if (prepare && !config.dryRun) {
            await prepare(chunk);
        }
        await runPool(chunk, config.concurrency, handle);
    }
    return summary;
}

/** @param {unknown} item @returns {Pod} only the fields selection reads */
function slimPod(item) {
    const pod = /** @type {Pod} */ (item);
    /** @param {ContainerStatus[] | undefined} list */
    const finishes = (list) =>
        (list ?? []).map((s) => ({ state: { terminated: { finishedAt: s?.state?.terminated?.finishedAt } } }));
    return {
        metadata: slimMeta(pod.metadata),
        status: {
            phase: pod.status?.phase,
            startTime: pod.status?.startTime,
            containerStatuses: finishes(pod.status?.containerStatuses),
            initContainerStatuses: finishes(pod.status?.initContainerStatuses),
        },
    };
}

/** @param {ObjectMeta | undefined} m @returns {ObjectMeta} */
function slimMeta(m) {
    return {
        name: m?.name,
        uid: m?.uid,
        labels: m?.labels,
        creationTimestamp: m?.creationTimestamp,
        deletionTimestamp: m?.deletionTimestamp,
    };
}

/** @param {Config} config @param {string} ns @returns {KindPlan} */
function podPlan(config, ns) {
    return {
        label: "pod",
        collection: `/api/v1/namespaces/${ns}/pods`,
        query: { labelSelector: selectorString(config.trialPodLabels) },
        keep: slimPod,
        select: (items, now) =>
            selectTrialPods(items, { now, maxAgeMs: config.trialPodMaxAgeMs, labels: config.trialPodLabels }),
        referenceTime: podFinishedAt,
        // A Succeeded or Failed pod has no running container left to stop, so there is
        // nothing to wait for (the API server itself uses 0 for terminal pods).
        deleteOptions: { gracePeriodSeconds: 0 },
    };
}

/** @param {Config} config @param {string} ns @returns {KindPlan} */
function imageStreamPlan(config, ns) {
    return {
        label: "imagestream",
        collection: `/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`,
        query: { labelSelector: selectorString(config.imageStreamLabels) },
        keep: (item) => {
            const s = /** @type {ImageStream} */ (item);
            const tags = (s.status?.tags ?? []).map((t) => ({
                items: (t?.items ?? []).map((i) => ({ created: i?.created })),
            }));
            return { metadata: slimMeta(s.metadata), status: { tags } };
        },
        select: (items, now) =>
            selectImageStreams(items, { now, maxAgeMs: config.imageStreamMaxAgeMs, labels: config.imageStreamLabels }),
        referenceTime: imageStreamNewestAt,
    };
}

/**
 * Without a selector no ImageStream is a candidate, so none is even listed: imported base
 * images and other streams nobody pushes to must never age out. The summary says so.
 * @returns {Summary}
 */
function skippedImageStreams() {
    return {
        ...emptySummary("imagestream"),
        note: `(skipped: ${ENV.imageStreamSelector} is empty, so no ImageStream is pruned)`,
    };
}

/**
 * PipelineRuns, with the dead letter. Selection holds only the slim form of each run; the
 * full object of a failed run is fetched again just before its delete, written with its
 * TaskRuns, and released, so a backlog of large failed runs needs memory for one chunk of
 * deletes at most, never for the whole backlog. A run whose copy fails is kept, to be tried
 * again next time.
 * @param {Client} client @param {Config} config @param {string} ns
 */
async function cleanPipelineRuns(client, config, ns) {
    const tekton = `/apis/tekton.dev/v1/namespaces/${ns}`;
    /** @type {Map<string, unknown[] | ApiResponse>} TaskRuns per run uid, or the failed list, for the chunk being deleted */
    const taskRunsByRun = new Map();
    const deadLetter = config.deadLetterDir === undefined ? undefined : openDeadLetter(config.deadLetterDir);
    const cutoffMs = config.pipelineRunMaxAgeMs;
    let deadLettered = 0;

    /** @type {KindPlan} */
    const plan = {
        label: "pipelinerun",
        collection: `${tekton}/pipelineruns`,
        query: {},
        keep: (item) => {
            const run = /** @type {PipelineRun} */ (item);
            const succeeded = (run.status?.conditions ?? []).filter((c) => c.type === "Succeeded");
            return {
                metadata: slimMeta(run.metadata),
                status: { completionTime: run.status?.completionTime, conditions: succeeded },
            };
        },
        select: (items, now) =>
            selectPipelineRuns(items, { now, maxAgeMs: cutoffMs, keepRecent: config.pipelineRunKeepRecent }),
        referenceTime: pipelineRunCompletedAt,
        beforeDelete: async (obj) => {
            if (!deadLetter || !isPipelineRunFailed(obj)) {
                return { ok: true };
            }
            const uid = obj.metadata?.uid ?? "";
            const taskRuns = taskRunsByRun.get(uid) ?? [];
            taskRunsByRun.delete(uid);
            if (!Array.isArray(taskRuns)) {
                return { ok: false, status: taskRuns.status, message: `listing its TaskRuns: ${taskRuns.message}` };
            }
            const res = await client.call(
                "GET",
                `${tekton}/pipelineruns/${encodeURIComponent(obj.metadata?.name ?? "")}`,
            );
            const full = /** @type {PipelineRun | undefined} */ (res.body);
            if (res.status === 404 || (res.status === 200 && full?.metadata?.uid !== uid)) {
                // Gone, or the name now holds another run: the uid-preconditioned delete that
                // follows counts it as already gone or as changed, and nothing of it is lost here.
                return { ok: true };
            }
            if (res.status !== 200 || typeof full !== "object" || full === null) {
                return {
                    ok: false,
                    status: res.status === 200 ? 0 : res.status,
                    message: `reading it for its record: ${res.message || "not a PipelineRun"}`,
                };
            }
            try {
                await deadLetter.write(full, taskRuns);
                deadLettered += 1;
                return { ok: true };
            } catch (e) {
                // A full or unwritable volume may clear up; the run stays until it does.
                return { ok: false, status: 0, message: e instanceof Error ? e.message : String(e) };
            }
        },
    };

    /** @param {KubeObject[]} stale */
    const fetchTaskRuns = async (stale) => {
        const failed = stale.filter((r) => deadLetter && isPipelineRunFailed(r));
        const batches = [];
        for (let i = 0; i < failed.length; i += TASKRUN_BATCH) {
            batches.push(failed.slice(i, i + TASKRUN_BATCH));
        }
        await runPool(batches, config.concurrency, async (batch) => {
            const names = batch.map((r) => r.metadata?.name ?? "").filter((n) => n.length <= 63);
            const selector = `tekton.dev/pipelineRun in (${names.join(",")})`;
            const listed =
                names.length === 0
                    ? { items: [], now: 0 }
                    : await listAll(client, `${tekton}/taskruns`, { labelSelector: selector }, (t) => t);
            for (const run of batch) {
                const uid = run.metadata?.uid ?? "";
                if ("error" in listed) {
                    taskRunsByRun.set(uid, listed.error);
                    continue;
                }
                taskRunsByRun.set(
                    uid,
                    listed.items.filter((t) => {
                        const meta = /** @type {KubeObject} */ (t).metadata;
                        return (
                            meta?.labels?.["tekton.dev/pipelineRun"] === run.metadata?.name &&
                            (meta?.ownerReferences ?? [{ uid }]).some((o) => o.uid === uid)
                        );
                    }),
                );
            }
        });
    };

    const summary = await cleanKind(client, config, plan, fetchTaskRuns);
    if (deadLetter) {
        summary.deadLettered = config.dryRun ? 0 : deadLettered;
    }
    return summary;
}

// ---------------------------------------------------------------------------------------
// Dead-letter volume

/** @param {unknown} e */
function errorCode(e) {
    return /** @type {NodeJS.ErrnoException} */ (e)?.code;
}

/**
 * Flushes a directory, so that the names created, removed or renamed in it survive a crash
 * of the node, not only the files' contents.
 * @param {string} dir
 */
async function syncDirectory(dir) {
    const handle = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** @param {string} file @param {string} text */
async function writeDurably(file, text) {
    const handle = await fsp.open(file, "wx", 0o640);
    try {
        await handle.writeFile(text);
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/**
 * mkdir -p that flushes each directory it creates into its parent.
 * @param {string} dir
 */
async function mkdirDurably(dir) {
    const first = await fsp.mkdir(dir, { recursive: true });
    if (first === undefined) {
        return;
    }
    for (let d = dir; ; d = path.dirname(d)) {
        await syncDirectory(path.dirname(d));
        if (d === first) {
            return;
        }
    }
}

/**
 * The dead letter of one cleanup run. Each entry is written into a scratch folder, flushed,
 * renamed into place and its new name flushed, so an entry is either complete and durable or
 * absent; a failed write removes its scratch folder, so a full volume leaves no truncated
 * record. An entry already there under any day (copied by a run whose delete then failed)
 * counts as done.
 * @param {string} root
 */
function openDeadLetter(root) {
    const base = path.join(root, "pipelineruns");
    /** @type {Promise<Set<string>> | undefined} names of the entries on the volume, read once */
    let existing;
    const entriesOnVolume = async () => {
        const names = new Set();
        for (const day of (await fsp.readdir(base).catch(() => [])).filter((d) => DAY_FOLDER.test(d))) {
            for (const entry of await fsp.readdir(path.join(base, day)).catch(() => [])) {
                names.add(entry);
            }
        }
        return names;
    };
    return {
        /** @param {PipelineRun} run @param {unknown[]} taskRuns */
        async write(run, taskRuns) {
            existing ??= entriesOnVolume();
            const names = await existing;
            const name = deadLetterEntryName(run);
            if (names.has(name)) {
                return;
            }
            const final = path.join(root, deadLetterEntryPath(run, Date.now()));
            const scratch = path.join(base, ".incoming", `${name}.${process.pid}`);
            try {
                await fsp.rm(scratch, { recursive: true, force: true });
                await mkdirDurably(scratch);
                await writeDurably(path.join(scratch, "pipelinerun.json"), JSON.stringify(run, null, 2));
                await writeDurably(
                    path.join(scratch, "taskruns.json"),
                    JSON.stringify({ apiVersion: "tekton.dev/v1", kind: "TaskRunList", items: taskRuns }, null, 2),
                );
                await syncDirectory(scratch);
                await mkdirDurably(path.dirname(final));
                await fsp.rename(scratch, final);
                await syncDirectory(path.dirname(final));
                await syncDirectory(path.dirname(scratch));
                names.add(name);
            } catch (e) {
                await fsp.rm(scratch, { recursive: true, force: true }).catch(() => undefined);
                if (errorCode(e) === "ENOSPC" || errorCode(e) === "EDQUOT") {
                    throw new Error(`volume full (${errorCode(e)}) at ${root}: the record of ${name} was not written`, {
                        cause: e,
                    });
                }
                throw e;
            }
        },
    };
}

/**
 * Removes the entries written longer ago than the retention (isDeadLetterEntryExpired), then
 * day folders left empty, and scratch folders a crashed run left behind.
 * @param {Config} config @param {string} root @param {number} now
 */
async function pruneDeadLetter(config, root, now) {
    const summary = emptySummary("dead-letter");
    const base = path.join(root, "pipelineruns");
    try {
        const days = (await fsp.readdir(base).catch(() => [])).filter((d) => DAY_FOLDER.test(d)).sort();
        for (const day of days) {
            const dayDir = path.join(base, day);
            const entries = await fsp.readdir(dayDir);
            let removed = 0;
            for (const entry of entries) {
                summary.examined += 1;
                const recordMtimeMs = await fsp.stat(path.join(dayDir, entry, "pipelinerun.json")).then(
                    (st) => st.mtimeMs,
                    () => undefined,
                );
                if (!isDeadLetterEntryExpired({ day, recordMtimeMs }, now, config.deadLetterRetentionDays)) {
                    summary.kept += 1;
                    continue;
                }
                if (config.dryRun) {
                    summary.wouldDelete += 1;
                } else {
                    await fsp.rm(path.join(dayDir, entry), { recursive: true, force: true });
                    summary.deleted += 1;
                }
                removed += 1;
            }
            if (removed > 0) {
                console.log(
                    `${config.dryRun ? "would remove" : "removed"} ${removed} of ${entries.length} dead-letter entries of day ${day}`,
                );
            }
            if (!config.dryRun && removed === entries.length) {
                await fsp.rmdir(dayDir).catch(() => undefined);
            }
        }
        const incoming = path.join(base, ".incoming");
        for (const leftover of await fsp.readdir(incoming).catch(() => [])) {
            const stat = await fsp.stat(path.join(incoming, leftover));
            if (!config.dryRun && now - stat.mtimeMs > HOUR_MS) {
                await fsp.rm(path.join(incoming, leftover), { recursive: true, force: true });
            }
        }
    } catch (e) {
        recordFailure(summary, `dead-letter retention in ${base}`, {
            status: 0,
            message: e instanceof Error ? e.message : String(e),
        });
    }
    return summary;
}

// ---------------------------------------------------------------------------------------
// The run's record: an Event on the CronJob and the last runs in a ConfigMap, both written
// through the API server, the one destination the job's egress policy allows. A Job and its
// log go after ttlSecondsAfterFinished and Events after the API server's --event-ttl; the
// ConfigMap keeps the last RUN_HISTORY runs.

/**
 * @typedef {{ reason: string, type: "Normal" | "Warning" }} Outcome
 * @typedef {{ startedAt: string, finishedAt: string, durationSeconds: number, exitCode: number,
 *   outcome: string, dryRun: boolean, namespace: string, pod: string, apiRequests: number,
 *   kinds: Record<string, KindCounts>, error?: string }} RunRecord
 * @typedef {{ metadata?: { name?: string, namespace?: string, uid?: string, resourceVersion?: string } }} CronJobRef
 */

/** By exit code: 0 done, 1 transient failures (the next run may finish), 2 permanent ones. */
const OUTCOMES = /** @type {const} */ ([
    { reason: "CleanupSucceeded", type: "Normal" },
    { reason: "CleanupIncomplete", type: "Warning" },
    { reason: "CleanupFailed", type: "Warning" },
]);

/** @param {number} exitCode @returns {Outcome} */
function runOutcome(exitCode) {
    return OUTCOMES[Math.min(Math.max(Math.trunc(exitCode), 0), OUTCOMES.length - 1)];
}

/** @param {Summary} s @returns {KindCounts} */
function kindCounts(s) {
    return {
        examined: s.examined,
        deleted: s.deleted,
        kept: s.kept,
        changed: s.changed,
        failed: s.failed,
        wouldDelete: s.wouldDelete,
        ...(s.deadLettered === undefined ? {} : { deadLettered: s.deadLettered }),
        ...(s.note ? { note: s.note } : {}),
    };
}

/**
 * @param {{ startedMs: number, finishedMs: number, exitCode: number, dryRun: boolean, namespace: string,
 *   pod: string, apiRequests: number, summaries: Summary[], error?: string }} run
 * @returns {RunRecord}
 */
function runRecord(run) {
    return {
        startedAt: new Date(run.startedMs).toISOString(),
        finishedAt: new Date(run.finishedMs).toISOString(),
        durationSeconds: Math.round(run.finishedMs - run.startedMs) / 1000,
        exitCode: run.exitCode,
        outcome: runOutcome(run.exitCode).reason,
        dryRun: run.dryRun,
        namespace: run.namespace,
        pod: run.pod,
        apiRequests: run.apiRequests,
        kinds: Object.fromEntries(run.summaries.map((s) => [s.kind, kindCounts(s)])),
        ...(run.error === undefined ? {} : { error: run.error }),
    };
}

/**
 * The record as it goes into the Event when writing it elsewhere failed: the exit code the
 * process ends with, and the outcome that follows from it.
 * @param {RunRecord} record @param {number} exitCode @returns {RunRecord}
 */
function withExitCode(record, exitCode) {
    return { ...record, exitCode, outcome: runOutcome(exitCode).reason };
}

/**
 * `kind: examined=1 deleted=0 ...`, as the summary line and the Event say it.
 * @param {string} kind @param {KindCounts} c @param {boolean} dryRun
 */
function kindCountsText(kind, c, dryRun) {
    const changed = c.changed > 0 ? ` changed=${c.changed}` : "";
    const would = dryRun ? ` wouldDelete=${c.wouldDelete}` : "";
    const deadLettered = c.deadLettered === undefined ? "" : ` deadLettered=${c.deadLettered}`;
    return `${kind}: examined=${c.examined} deleted=${c.deleted} kept=${c.kept} failed=${c.failed}${changed}${would}${deadLettered}${c.note ? ` ${c.note}` : ""}`;
}

/**
 * The Event's message: the exit code, the duration and every kind's counts as the log's
 * summary lines give them, then whatever could not be recorded.
 * @param {RunRecord} record @param {string[]} [notRecorded]
 */
function runEventMessage(record, notRecorded = []) {
    const kinds = Object.entries(record.kinds).map(([kind, c]) => kindCountsText(kind, c, record.dryRun));
    return [
        `${record.dryRun ? "dry run, " : ""}exit ${record.exitCode} in ${record.durationSeconds}s`,
        ...(record.error === undefined ? [] : [record.error]),
        ...kinds,
        ...notRecorded.map((problem) => `not recorded: ${problem}`),
    ].join("; ");
}

/**
 * A core/v1 Event on the CronJob. Its uid is what `kubectl describe cronjob` selects the
 * Events by, so the CronJob as read is referred to, not only its name.
 * @param {CronJobRef} cronJob @param {RunRecord} record @param {string[]} notRecorded @param {number} now
 */
function runEvent(cronJob, record, notRecorded, now) {
    const { name, namespace, uid, resourceVersion } = cronJob.metadata ?? {};
    const { reason, type } = runOutcome(record.exitCode);
    const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: { apiVersion: "batch/v1", kind: "CronJob", name, namespace, uid, resourceVersion },
        reason,
        type,
        message: runEventMessage(record, notRecorded),
        source: { component: REPORTER },
        reportingComponent: REPORTER,
        ...(record.pod ? { reportingInstance: record.pod } : {}),
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
    };
}

/**
 * The runs to keep, newest first: this one and the previous ones from `runs.json`, at most
 * `limit`. A history that is not a JSON array of objects is replaced, and the problem said.
 * @param {unknown} previousText @param {RunRecord} record @param {number} [limit]
 * @returns {{ runs: unknown[], problem?: string }}
 */
function runHistory(previousText, record, limit = RUN_HISTORY) {
    if (previousText === undefined || previousText === "") {
        return { runs: [record] };
    }
    let previous;
    try {
        previous = JSON.parse(String(previousText));
    } catch (e) {
        return { runs: [record], problem: `${RUNS_KEY} is not JSON (${e instanceof Error ? e.message : e})` };
    }
    if (!Array.isArray(previous)) {
        return { runs: [record], problem: `${RUNS_KEY} is not a JSON array` };
    }
    const runs = previous.filter((r) => typeof r === "object" && r !== null && !Array.isArray(r));
    return { runs: [record, ...runs].slice(0, Math.max(limit, 1)) };
}

/**
 * A JSON merge patch of the ConfigMap's data. The resourceVersion makes it apply only to the
 * ConfigMap as read, so a history another writer extended meanwhile is not overwritten.
 * @param {RunRecord} record @param {unknown[]} runs @param {string | undefined} resourceVersion
 */
function lastRunPatch(record, runs, resourceVersion) {
    return {
        metadata: { resourceVersion },
        data: {
            [LAST_RUN_KEY]: `${JSON.stringify(record, null, 2)}\n`,
            // One run per line: readable with `jq` and in `kubectl get -o yaml` alike.
            [RUNS_KEY]: `[\n${runs.map((r) => `  ${JSON.stringify(r)}`).join(",\n")}\n]\n`,
        },
    };
}

/** @param {ApiResponse} res */
function answerText(res) {
    return `${res.status || "network error"} ${res.message}`.trim();
}

/**
 * @param {Client} client @param {string} namespace @param {string} name @param {RunRecord} record
 * @returns {Promise<string | undefined>} what went wrong, if anything
 */
async function writeLastRun(client, namespace, name, record) {
    const url = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;
    for (let attempt = 1; ; attempt++) {
        const read = await client.call("GET", url);
        if (read.status !== 200) {
            return `reading ConfigMap ${name}: ${answerText(read)}${read.status === 404 ? " (pulumi up creates it)" : ""}`;
        }
        const configMap =
            /** @type {{ metadata?: { resourceVersion?: string }, data?: Record<string, string> } | undefined} */ (
                read.body
            );
        const { runs, problem } = runHistory(configMap?.data?.[RUNS_KEY], record);
        if (problem) {
            console.log(`ConfigMap ${name}: ${problem}; the history starts again with this run`);
        }
        const patched = await client.call(
            "PATCH",
            `${url}?fieldManager=${encodeURIComponent(REPORTER)}`,
            lastRunPatch(record, runs, configMap?.metadata?.resourceVersion),
            "application/merge-patch+json",
        );
        if (patched.status === 200) {
            return undefined;
        }
        if (patched.status !== 409 || attempt >= RECORD_ATTEMPTS) {
            return `patching ConfigMap ${name}: ${answerText(patched)}`;
        }
    }
}

/**
 * @param {Client} client @param {string} namespace @param {string} name @param {RunRecord} record @param {string[]} notRecorded
 * @returns {Promise<string | undefined>} what went wrong, if anything
 */
async function postRunEvent(client, namespace, name, record, notRecorded) {
    const ns = encodeURIComponent(namespace);
    const read = await client.call("GET", `/apis/batch/v1/namespaces/${ns}/cronjobs/${encodeURIComponent(name)}`);
    if (read.status !== 200 || typeof read.body !== "object" || read.body === null) {
        return `reading CronJob ${name} for its Event: ${answerText(read)}`;
    }
    const posted = await client.call(
        "POST",
        `/api/v1/namespaces/${ns}/events`,
        runEvent(/** @type {CronJobRef} */ (read.body), record, notRecorded, Date.now()),
    );
    return posted.status === 201 || posted.status === 200
        ? undefined
        : `creating the Event on CronJob ${name}: ${answerText(posted)}`;
}

/**
 * Writes the record, then the Event, each when configured. A failure is logged and makes the
 * exit code at least 1, never lower than the cleanup's own: the record never hides the outcome.
 * @param {Client} client @param {Config} config @param {RunRecord} record @returns {Promise<number>} the exit code
 */
async function recordRun(client, config, record) {
    /** @type {string[]} */
    const problems = [];
    if (config.lastRunConfigMap) {
        const problem = await writeLastRun(client, config.namespace, config.lastRunConfigMap, record);
        if (problem) {
            problems.push(problem);
        } else {
            console.log(`recorded the run in ConfigMap ${config.lastRunConfigMap} (${LAST_RUN_KEY}, ${RUNS_KEY})`);
        }
    }
    if (config.cronJobName) {
        const exitCode = problems.length > 0 ? Math.max(record.exitCode, 1) : record.exitCode;
        const problem = await postRunEvent(
            client,
            config.namespace,
            config.cronJobName,
            withExitCode(record, exitCode),
            problems,
        );
        if (problem) {
            problems.push(problem);
        } else {
            console.log(`recorded the run as Event ${runOutcome(exitCode).reason} on CronJob ${config.cronJobName}`);
        }
    }
    for (const problem of problems) {
        console.error(`recording the run failed: ${problem}`);
    }
    return problems.length > 0 ? Math.max(record.exitCode, 1) : record.exitCode;
}

// ---------------------------------------------------------------------------------------
// Main

/** @param {Summary[]} summaries */
function exitCodeFor(summaries) {
    if (summaries.some((s) => s.permanent > 0)) {
        return 2;
    }
    return summaries.some((s) => s.transient > 0) ? 1 : 0;
}

/** @param {Summary} s @param {boolean} dryRun */
function summaryLine(s, dryRun) {
    return `summary ${kindCountsText(s.kind, kindCounts(s), dryRun)}`;
}

/**
 * Every configured kind, then the dead letter's retention; or, when the dead-letter directory
 * is not writable, nothing and the reason.
 * @param {Client} client @param {Config} config @returns {Promise<{ summaries: Summary[], error?: string }>}
 */
async function clean(client, config) {
    if (config.deadLetterDir) {
        try {
            await fsp.access(config.deadLetterDir, fs.constants.W_OK);
        } catch (e) {
            return {
                summaries: [],
                error: `configuration: ${ENV.deadLetterDir}=${JSON.stringify(config.deadLetterDir)}: expected a writable directory (${e instanceof Error ? e.message : e})`,
            };
        }
    }
    const ns = encodeURIComponent(config.namespace);
    /** @type {Summary[]} */
    const summaries = [];
    if (config.kinds.includes("pods")) {
        summaries.push(await cleanKind(client, config, podPlan(config, ns)));
    }
    if (config.kinds.includes("pipelineruns")) {
        summaries.push(await cleanPipelineRuns(client, config, ns));
    }
    if (config.kinds.includes("imagestreams")) {
        summaries.push(
            Object.keys(config.imageStreamLabels).length === 0
                ? skippedImageStreams()
                : await cleanKind(client, config, imageStreamPlan(config, ns)),
        );
    }
    if (config.deadLetterDir) {
        summaries.push(await pruneDeadLetter(config, config.deadLetterDir, Date.now()));
    }
    return { summaries };
}

async function main() {
    const started = Date.now();
    const { config, problems } = parseConfig(process.env);
    if (!config) {
        for (const problem of problems) {
            console.error(`configuration: ${problem}`);
        }
        console.error("cleanup did not run: fix the configuration (docs/cleanup.md lists every variable)");
        process.exitCode = 2;
        return;
    }
    const client = createClient(config);
    console.log(`cleanup of namespace ${config.namespace}${config.dryRun ? " (dry run: nothing is deleted)" : ""}`);
    const { summaries, error } = await clean(client, config);
    if (error) {
        console.error(error);
    }
    for (const s of summaries) {
        console.log(summaryLine(s, config.dryRun));
    }
    const cleanupCode = error ? 2 : exitCodeFor(summaries);
    const record = runRecord({
        startedMs: started,
        finishedMs: Date.now(),
        exitCode: cleanupCode,
        dryRun: config.dryRun,
        namespace: config.namespace,
        pod: os.hostname(),
        apiRequests: client.requests,
        summaries,
        error,
    });
    const code = await recordRun(client, config, record);
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    console.log(
        `done in ${seconds}s: ${client.requests} API requests, exit ${code}${config.dryRun ? ", dry run" : ""}`,
    );
    process.exitCode = code;
}

module.exports = {
    ENV,
    ALL_KINDS,
    parseTime,
    isOlderThan,
    podFinishedAt,
    hasLabels,
    selectTrialPods,
    pipelineRunCompletedAt,
    isPipelineRunFailed,
    selectPipelineRuns,
    imageStreamNewestAt,
    selectImageStreams,
    skippedImageStreams,
    deadLetterEntryPath,
    isDeadLetterEntryExpired,
    retryDelayMs,
    isTransient,
    parseSelector,
    selectorString,
    parseConfig,
    exitCodeFor,
    summaryLine,
    runPool,
    RUN_HISTORY,
    LAST_RUN_KEY,
    RUNS_KEY,
    REPORTER,
    runOutcome,
    runRecord,
    runEventMessage,
    runEvent,
    runHistory,
    lastRunPatch,
    recordRun,
};

if (require.main === module) {
    main().catch((e) => {
        console.error(`cleanup crashed: ${e instanceof Error ? e.stack : e}`);
        process.exitCode = 1;
    });
}
