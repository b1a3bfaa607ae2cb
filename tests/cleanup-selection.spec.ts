// The cleanup program's decisions, as pure functions of listed objects and a fixed clock.
// Each fixture factory returns an object that is stale under the default options, so each
// test changes one thing and says why it is kept.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import {
    ImageStream,
    Pod,
    PipelineRun,
    Summary,
    deadLetterEntryPath,
    exitCodeFor,
    imageStreamNewestAt,
    isDeadLetterEntryExpired,
    isOlderThan,
    parseConfig,
    parseSelector,
    podFinishedAt,
    retryDelayMs,
    selectImageStreams,
    selectPipelineRuns,
    selectTrialPods,
    selectorString,
    skippedImageStreams,
    summaryLine,
} from "../cleanup/cleanup";
import { REPO_ROOT } from "./harness";

const HOUR = 3_600_000;
const NOW = Date.parse("2025-06-15T12:00:00Z");
const at = (hoursAgo: number): string => new Date(NOW - hoursAgo * HOUR).toISOString();
const TRIAL = { "abevalflow/role": "trial" };
const PRUNABLE = { "abevalflow/prune": "true" };
const names = (objects: { metadata?: { name?: string } }[]): string[] => objects.map((o) => o.metadata?.name ?? "?");

function trialPod(
    name: string,
    over: { phase?: string; finishedHoursAgo?: number; labels?: Record<string, string> } = {},
): Pod {
    return {
        metadata: {
            name,
            uid: `uid-${name}`,
            labels: over.labels ?? { ...TRIAL, other: "x" },
            creationTimestamp: at(100),
        },
        status: {
            phase: over.phase ?? "Succeeded",
            startTime: at(99),
            containerStatuses: [{ state: { terminated: { finishedAt: at(over.finishedHoursAgo ?? 48) } } }],
        },
    };
}

function pipelineRun(name: string, completedHoursAgo: number | undefined, succeeded = "True"): PipelineRun {
    return {
        metadata: { name, uid: `uid-${name}`, creationTimestamp: at(500) },
        status: {
            ...(completedHoursAgo === undefined ? {} : { completionTime: at(completedHoursAgo) }),
            conditions: [
                { type: "Succeeded", status: completedHoursAgo === undefined ? "Unknown" : succeeded, reason: "x" },
            ],
        },
    };
}

function imageStream(
    name: string,
    tagItemsHoursAgo: number[][],
    createdHoursAgo = 1000,
    labels: Record<string, string> = { ...PRUNABLE, app: "x" },
): ImageStream {
    return {
        metadata: { name, uid: `uid-${name}`, labels, creationTimestamp: at(createdHoursAgo) },
        status: {
            tags: tagItemsHoursAgo.map((items, i) => ({ tag: `t${i}`, items: items.map((h) => ({ created: at(h) })) })),
        },
    };
}

const podOpts = { now: NOW, maxAgeMs: 24 * HOUR, labels: TRIAL };
const runOpts = { now: NOW, maxAgeMs: 168 * HOUR, keepRecent: 0 };
const streamOpts = { now: NOW, maxAgeMs: 336 * HOUR, labels: PRUNABLE };

describe("cleanup selection", () => {
    describe("ages", () => {
        it("deletes only what is strictly older than the limit", () => {
            expect(isOlderThan(NOW - 24 * HOUR - 1, NOW, 24 * HOUR)).to.equal(true);
            expect(isOlderThan(NOW - 24 * HOUR, NOW, 24 * HOUR)).to.equal(false);
        });

        it("keeps anything stamped in the future (clock skew) or without a time", () => {
            expect(isOlderThan(NOW + 5 * HOUR, NOW, 0)).to.equal(false);
            expect(isOlderThan(undefined, NOW, 0)).to.equal(false);
        });
    });

    describe("trial pods", () => {
        it("deletes Succeeded and Failed pods finished before the limit", () => {
            const pods = [trialPod("ok"), trialPod("failed", { phase: "Failed" })];
            expect(names(selectTrialPods(pods, podOpts).stale)).to.deep.equal(["ok", "failed"]);
        });

        it("never touches Running, Pending or phase-less pods, however old", () => {
            const pods = [
                trialPod("running", { phase: "Running" }),
                trialPod("pending", { phase: "Pending" }),
                trialPod("unknown", { phase: "Unknown" }),
            ];
            delete pods[2].status?.phase;
            const { stale, kept } = selectTrialPods(pods, podOpts);
            expect(stale).to.deep.equal([]);
            expect(names(kept)).to.deep.equal(["running", "pending", "unknown"]);
        });

        it("never touches pods without every trial label, even if the server returned them", () => {
            const pods = [
                trialPod("unlabelled", { labels: {} }),
                trialPod("other-role", { labels: { "abevalflow/role": "builder" } }),
            ];
            expect(selectTrialPods(pods, podOpts).stale).to.deep.equal([]);
            expect(
                selectTrialPods([trialPod("any")], { ...podOpts, labels: {} }).stale,
                "an empty selector matches nothing",
            ).to.deep.equal([]);
        });

        it("keeps pods at the limit, younger ones and ones finished in the future", () => {
            const pods = [
                trialPod("edge", { finishedHoursAgo: 24 }),
                trialPod("young", { finishedHoursAgo: 1 }),
                trialPod("skewed", { finishedHoursAgo: -3 }),
            ];
            expect(selectTrialPods(pods, podOpts).stale).to.deep.equal([]);
        });

        it("ages a pod by its last container to finish, init containers included", () => {
            const pod = trialPod("multi", { finishedHoursAgo: 48 });
            pod.status?.containerStatuses?.push({ state: { terminated: { finishedAt: at(2) } } }, { state: {} });
            pod.status!.initContainerStatuses = [{ state: { terminated: { finishedAt: at(60) } } }];
            expect(podFinishedAt(pod)).to.equal(NOW - 2 * HOUR);
            expect(selectTrialPods([pod], podOpts).stale).to.deep.equal([]);
        });

        it("falls back to the start time, then to the creation time, when finish times are missing", () => {
            const noFinish = trialPod("no-finish");
            noFinish.status!.containerStatuses = [{ state: { terminated: {} } }];
            expect(podFinishedAt(noFinish)).to.equal(NOW - 99 * HOUR);
            const noStart = trialPod("no-start");
            delete noStart.status!.containerStatuses;
            delete noStart.status!.startTime;
            expect(podFinishedAt(noStart)).to.equal(NOW - 100 * HOUR);
            expect(names(selectTrialPods([noFinish, noStart], podOpts).stale)).to.deep.equal(["no-finish", "no-start"]);
        });

        it("keeps a pod with no usable time at all, and one already being deleted", () => {
            const timeless = trialPod("timeless");
            timeless.metadata!.creationTimestamp = "not a time";
            timeless.status = { phase: "Failed" };
            const going = trialPod("going");
            going.metadata!.deletionTimestamp = at(0);
            expect(selectTrialPods([timeless, going], podOpts).stale).to.deep.equal([]);
        });
    });

    describe("PipelineRuns", () => {
        it("deletes runs completed before the limit, successful or failed", () => {
            const runs = [pipelineRun("old-ok", 200), pipelineRun("old-failed", 300, "False"), pipelineRun("new", 10)];
            const { stale, kept } = selectPipelineRuns(runs, runOpts);
            expect(names(stale)).to.have.members(["old-ok", "old-failed"]);
            expect(names(kept)).to.deep.equal(["new"]);
        });

        it("never deletes a running run (no completionTime), whatever its age", () => {
            const running = pipelineRun("running", undefined);
            running.metadata!.creationTimestamp = at(10_000);
            expect(selectPipelineRuns([running], runOpts).stale).to.deep.equal([]);
        });

        it("keeps runs at the limit, completed in the future, with a malformed time, or being deleted", () => {
            const malformed = pipelineRun("malformed", 500);
            malformed.status!.completionTime = "yesterday";
            const going = pipelineRun("going", 500);
            going.metadata!.deletionTimestamp = at(0);
            const runs = [pipelineRun("edge", 168), pipelineRun("future", -2), malformed, going];
            expect(selectPipelineRuns(runs, runOpts).stale).to.deep.equal([]);
        });

        it("keeps the K most recently completed runs whatever their age", () => {
            const runs = [
                pipelineRun("a", 400),
                pipelineRun("b", 200),
                pipelineRun("c", 300),
                pipelineRun("d", 500),
                pipelineRun("running", undefined),
            ];
            const { stale, kept } = selectPipelineRuns(runs, { ...runOpts, keepRecent: 2 });
            expect(names(stale)).to.deep.equal(["a", "d"]);
            expect(names(kept)).to.have.members(["running", "b", "c"]);
        });

        it("counts young runs toward K, and keeps everything when K exceeds the completed runs", () => {
            const runs = [pipelineRun("young", 1), pipelineRun("old1", 200), pipelineRun("old2", 300)];
            expect(names(selectPipelineRuns(runs, { ...runOpts, keepRecent: 2 }).stale)).to.deep.equal(["old2"]);
            expect(selectPipelineRuns(runs, { ...runOpts, keepRecent: 10 }).stale).to.deep.equal([]);
        });

        it("breaks completion-time ties by name, so K is deterministic", () => {
            const runs = [pipelineRun("z", 200), pipelineRun("a", 200)];
            expect(names(selectPipelineRuns(runs, { ...runOpts, keepRecent: 1 }).kept)).to.deep.equal(["a"]);
        });
    });

    describe("ImageStreams", () => {
        it("deletes streams whose newest image, across tags, is older than the limit", () => {
            const streams = [imageStream("old", [[400, 500], [350]]), imageStream("fresh-tag", [[400], [10]])];
            expect(names(selectImageStreams(streams, streamOpts).stale)).to.deep.equal(["old"]);
            expect(imageStreamNewestAt(streams[1])).to.equal(NOW - 10 * HOUR);
        });

        it("does not trust the order of a tag's items", () => {
            expect(imageStreamNewestAt(imageStream("unordered", [[500, 5]]))).to.equal(NOW - 5 * HOUR);
        });

        it("deletes a stream without any image once it was created longer ago than the limit", () => {
            const noTags = imageStream("no-tags", []);
            const emptyTags = imageStream("empty-tags", [[]]);
            const nullTags = imageStream("null-tags", []);
            nullTags.status = { tags: null };
            const noStatus: ImageStream = {
                metadata: { name: "no-status", labels: PRUNABLE, creationTimestamp: at(1000) },
            };
            expect(names(selectImageStreams([noTags, emptyTags, nullTags, noStatus], streamOpts).stale)).to.deep.equal([
                "no-tags",
                "empty-tags",
                "null-tags",
                "no-status",
            ]);
        });

        it("keeps an image-less stream a running build has just created", () => {
            expect(selectImageStreams([imageStream("just-created", [], 1)], streamOpts).stale).to.deep.equal([]);
        });

        it("keeps streams with a future image, at the limit, or with malformed times", () => {
            const malformed = imageStream("malformed", [[500]]);
            malformed.status!.tags![0].items![0].created = "?";
            malformed.metadata!.creationTimestamp = undefined;
            const streams = [imageStream("future", [[500], [-1]]), imageStream("edge", [[336]]), malformed];
            expect(selectImageStreams(streams, streamOpts).stale).to.deep.equal([]);
        });

        it("never touches a stream without every selector label, however old, even if the server returned it", () => {
            const streams = [
                imageStream("labelled", [[900]]),
                imageStream("imported-base-image", [[900]], 5000, {}),
                imageStream("other-value", [[900]], 1000, { "abevalflow/prune": "false" }),
                imageStream("half-labelled", [[900]], 1000, { "abevalflow/prune": "true" }),
            ];
            const two = { ...PRUNABLE, app: "x" };
            expect(names(selectImageStreams(streams, streamOpts).stale)).to.deep.equal(["labelled", "half-labelled"]);
            expect(names(selectImageStreams(streams, { ...streamOpts, labels: two }).stale)).to.deep.equal([
                "labelled",
            ]);
        });

        it("selects nothing without a selector, and the summary says why", () => {
            const streams = [imageStream("old", [[900]]), imageStream("unlabelled", [], 5000, {})];
            expect(selectImageStreams(streams, { ...streamOpts, labels: {} }).stale).to.deep.equal([]);
            expect(summaryLine(skippedImageStreams(), false)).to.equal(
                "summary imagestream: examined=0 deleted=0 kept=0 failed=0 (skipped: IMAGESTREAM_SELECTOR is empty, so no ImageStream is pruned)",
            );
        });
    });

    describe("dead letter", () => {
        it("files a run under the UTC day its record is written, not the day it completed, by name and uid", () => {
            const run = pipelineRun("eval-42", 40 * 24, "False");
            const writtenAt = Date.parse("2025-06-14T23:30:00-02:00");
            expect(deadLetterEntryPath(run, writtenAt)).to.equal("pipelineruns/2025-06-15/eval-42-uid-eval-42");
        });

        it("expires an entry once it was written more than the retention ago, by its day folder and its file time", () => {
            const DAY = 24 * HOUR;
            const expired = (day: string, mtimeDaysAgo: number | undefined, retention = 10): boolean =>
                isDeadLetterEntryExpired(
                    { day, recordMtimeMs: mtimeDaysAgo === undefined ? undefined : NOW - mtimeDaysAgo * DAY },
                    NOW,
                    retention,
                );
            // Retention 10 days from 2025-06-15T12:00Z: written before 2025-06-05T12:00Z goes.
            expect(expired("2025-06-04", 11)).to.equal(true);
            expect(expired("2025-06-05", 10.4)).to.equal(false, "the day ends after the cut-off");
            expect(expired("2025-06-15", 0)).to.equal(false, "written today");
            // A folder named by an older layout after the run's completion day, written recently.
            expect(expired("2025-04-01", 2)).to.equal(false);
            expect(expired("2025-04-01", undefined)).to.equal(true, "no file time: the folder's day decides");
            expect(expired("notes", 30)).to.equal(true, "no day: the file time decides");
            expect(expired("notes", undefined)).to.equal(false, "neither: kept");
            expect(expired("2025-13-99", undefined)).to.equal(false);
        });
    });

    describe("retries", () => {
        it("honours Retry-After, capped, and otherwise backs off exponentially with jitter", () => {
            expect(retryDelayMs(1, "2")).to.equal(2000);
            expect(retryDelayMs(1, "3600")).to.equal(30_000);
            expect(retryDelayMs(3, undefined, () => 1)).to.equal(1600);
            expect(retryDelayMs(3, "Wed, 21 Oct 2015 07:28:00 GMT", () => 0.5)).to.equal(800);
            expect(retryDelayMs(20, undefined, () => 1)).to.equal(30_000);
        });
    });

    describe("exit code", () => {
        const summary = (over: Partial<Summary>): Summary => ({
            kind: "pod",
            examined: 1,
            deleted: 0,
            kept: 0,
            changed: 0,
            failed: 0,
            wouldDelete: 0,
            transient: 0,
            permanent: 0,
            ...over,
        });

        it("is 0 when all went, 1 after a transient failure, 2 after a refusal retrying cannot fix", () => {
            expect(exitCodeFor([summary({ deleted: 1 })])).to.equal(0);
            expect(exitCodeFor([summary({ failed: 1, transient: 1 }), summary({})])).to.equal(1);
            expect(exitCodeFor([summary({ failed: 2, transient: 1, permanent: 1 })])).to.equal(2);
        });
    });

    describe("configuration", () => {
        const env = {
            NAMESPACE: "abevalflow",
            TRIAL_POD_SELECTOR: "abevalflow/role=trial,app.kubernetes.io/part-of=abevalflow",
            TRIAL_POD_MAX_AGE_HOURS: "24",
            PIPELINERUN_MAX_AGE_HOURS: "168",
            PIPELINERUN_KEEP_RECENT: "0",
            IMAGESTREAM_MAX_AGE_HOURS: "336",
            CONCURRENCY: "8",
            KUBE_API_URL: "https://127.0.0.1:6443",
            KUBE_TOKEN: "t",
            KUBE_INSECURE_SKIP_TLS_VERIFY: "true",
        };
        const noFiles = (file: string): string => {
            throw new Error(`ENOENT: ${file}`);
        };

        it("reads a complete environment", () => {
            const { config, problems } = parseConfig(env, noFiles);
            expect(problems).to.deep.equal([]);
            expect(config?.trialPodLabels).to.deep.equal({
                "abevalflow/role": "trial",
                "app.kubernetes.io/part-of": "abevalflow",
            });
            expect(config?.pipelineRunMaxAgeMs).to.equal(168 * HOUR);
            expect(config?.dryRun).to.equal(false);
            expect(config?.deadLetterDir).to.equal(undefined);
            expect(config?.kinds).to.deep.equal(["pods", "pipelineruns", "imagestreams"]);
            expect(config?.imageStreamLabels, "unset: no ImageStream is pruned").to.deep.equal({});
        });

        it("reads the ImageStream selector; empty (or blank) selects none, a malformed one is refused", () => {
            expect(
                parseConfig({ ...env, IMAGESTREAM_SELECTOR: "abevalflow/prune=true, app=build" }, noFiles).config
                    ?.imageStreamLabels,
            ).to.deep.equal({ "abevalflow/prune": "true", app: "build" });
            expect(
                parseConfig({ ...env, IMAGESTREAM_SELECTOR: "  " }, noFiles).config?.imageStreamLabels,
            ).to.deep.equal({});
            expect(parseConfig({ ...env, IMAGESTREAM_SELECTOR: "app!=build" }, noFiles).problems).to.deep.equal([
                'IMAGESTREAM_SELECTOR="app!=build": expected empty (prune no ImageStream) or key=value terms separated by commas, with valid label keys and values (bad term "app!=build")',
            ]);
        });

        it("names every bad variable, its value and the expected form, at once", () => {
            const { config, problems } = parseConfig(
                {
                    ...env,
                    TRIAL_POD_MAX_AGE_HOURS: "7d",
                    PIPELINERUN_KEEP_RECENT: "-1",
                    TRIAL_POD_SELECTOR: "",
                    DRY_RUN: "yes",
                    CONCURRENCY: "0",
                    DEAD_LETTER_DIR: "relative/dir",
                    CLEANUP_KINDS: "pods,secrets",
                },
                noFiles,
            );
            expect(config).to.equal(undefined);
            expect(problems).to.deep.equal([
                'TRIAL_POD_SELECTOR="": expected key=value terms separated by commas, with valid label keys and values (bad term "")',
                'DRY_RUN="yes": expected true or false',
                'CLEANUP_KINDS="pods,secrets": expected a comma-separated subset of pods,pipelineruns,imagestreams',
                'DEAD_LETTER_DIR="relative/dir": expected an absolute path to the mounted dead-letter volume, or empty to disable',
                'TRIAL_POD_MAX_AGE_HOURS="7d": expected an integer >= 1',
                'PIPELINERUN_KEEP_RECENT="-1": expected an integer >= 0',
                'DEAD_LETTER_RETENTION_DAYS="": expected an integer >= 1',
                'CONCURRENCY="0": expected an integer >= 1',
            ]);
        });

        it("inside a pod, takes the API address from the service env and the rest from the ServiceAccount files", () => {
            const files: Record<string, string> = {
                "/var/run/secrets/kubernetes.io/serviceaccount/namespace": "pipelines\n",
                "/var/run/secrets/kubernetes.io/serviceaccount/token": "sa-token\n",
                "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt": "PEM",
            };
            const inPod: Record<string, string> = {
                ...env,
                KUBERNETES_SERVICE_HOST: "fd00::1",
                KUBERNETES_SERVICE_PORT: "443",
            };
            for (const key of ["NAMESPACE", "KUBE_API_URL", "KUBE_TOKEN", "KUBE_INSECURE_SKIP_TLS_VERIFY"]) {
                delete inPod[key];
            }
            const { config, problems } = parseConfig(inPod, (f) => files[f] ?? noFiles(f));
            expect(problems).to.deep.equal([]);
            expect(config?.namespace).to.equal("pipelines");
            expect(config?.token).to.equal("sa-token");
            expect(config?.ca).to.equal("PEM");
            expect(config?.apiUrl.href).to.equal("https://[fd00::1]/");
        });

        it("says what is missing when run outside a pod without connection settings", () => {
            const { problems } = parseConfig({ ...env, KUBE_API_URL: "", KUBE_TOKEN: "", NAMESPACE: "" }, noFiles);
            expect(problems.join("\n"))
                .to.match(/KUBE_API_URL="": expected the API server URL/)
                .and.match(/cannot read the API token/)
                .and.match(/cannot read NAMESPACE \(unset\)/);
        });

        it("parses selectors into labels and back", () => {
            expect(parseSelector("a=b, example.com/c=")).to.deep.equal({ a: "b", "example.com/c": "" });
            expect(parseSelector("a!=b")).to.be.a("string");
            expect(parseSelector("a=b=c")).to.be.a("string");
            expect(parseSelector("-bad=x")).to.be.a("string");
            expect(selectorString({ a: "b", "example.com/c": "d" })).to.equal("a=b,example.com/c=d");
        });
    });

    describe("the program file", function () {
        this.timeout(120_000);

        it("type-checks under strict --checkJs, and cleanup.d.ts is what tsc generates from it", () => {
            const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-dts-")), "cleanup.d.ts");
            try {
                execFileSync("bash", [path.join(REPO_ROOT, "cleanup", "generate-dts.sh"), out], {
                    encoding: "utf8",
                    stdio: "pipe",
                });
                expect(
                    fs.readFileSync(path.join(REPO_ROOT, "cleanup", "cleanup.d.ts"), "utf8"),
                    "cleanup/cleanup.d.ts is stale: run cleanup/generate-dts.sh",
                ).to.equal(fs.readFileSync(out, "utf8"));
            } finally {
                fs.rmSync(path.dirname(out), { recursive: true, force: true });
            }
        });
    });
});
