// The record each cleanup run leaves: the Event on the CronJob, the last-run ConfigMap's data
// and its bounded history, built by cleanup.js's pure functions, and recordRun's calls and exit
// codes against a scripted client.
import { expect } from "chai";
import {
    ApiResponse,
    Client,
    Config,
    LAST_RUN_KEY,
    lastRunPatch,
    parseConfig,
    recordRun,
    REPORTER,
    RUN_HISTORY,
    RunRecord,
    runEvent,
    runEventMessage,
    runHistory,
    runOutcome,
    runRecord,
    RUNS_KEY,
    skippedImageStreams,
    Summary,
    summaryLine,
} from "../cleanup/cleanup";

const summary = (kind: string, counts: Partial<Summary> = {}): Summary => ({
    kind,
    examined: 0,
    deleted: 0,
    kept: 0,
    changed: 0,
    failed: 0,
    wouldDelete: 0,
    transient: 0,
    permanent: 0,
    ...counts,
});

const SUMMARIES: Summary[] = [
    summary("pod", { examined: 7, deleted: 3, kept: 4 }),
    summary("pipelinerun", { examined: 5, deleted: 1, kept: 3, failed: 1, transient: 1, deadLettered: 1 }),
    skippedImageStreams(),
    summary("dead-letter", { examined: 3, deleted: 1, kept: 2 }),
];
const STARTED = Date.parse("2026-12-07T03:00:00.000Z");

function record(over: Partial<Parameters<typeof runRecord>[0]> = {}): RunRecord {
    return runRecord({
        startedMs: STARTED,
        finishedMs: STARTED + 4_250,
        exitCode: 1,
        dryRun: false,
        namespace: "ab-eval-flow",
        pod: "abevalflow-cleanup-29412345-x7k2p",
        apiRequests: 21,
        summaries: SUMMARIES,
        ...over,
    });
}

describe("cleanup run record", () => {
    it("takes the CronJob's and the ConfigMap's names as object names, or none, and names a bad one with the form expected", () => {
        const base = {
            TRIAL_POD_SELECTOR: "a=b",
            TRIAL_POD_MAX_AGE_HOURS: "1",
            PIPELINERUN_MAX_AGE_HOURS: "1",
            PIPELINERUN_KEEP_RECENT: "0",
            IMAGESTREAM_MAX_AGE_HOURS: "1",
            CONCURRENCY: "1",
            NAMESPACE: "ns",
            KUBE_API_URL: "http://127.0.0.1:1",
            KUBE_TOKEN: "t",
        };
        expect(
            parseConfig({
                ...base,
                CRONJOB_NAME: "abevalflow-cleanup",
                LAST_RUN_CONFIGMAP: " abevalflow-cleanup-last-run ",
            }).config,
        ).to.include({ cronJobName: "abevalflow-cleanup", lastRunConfigMap: "abevalflow-cleanup-last-run" });
        expect(parseConfig(base).config).to.include({ cronJobName: undefined, lastRunConfigMap: undefined });
        expect(
            parseConfig({ ...base, CRONJOB_NAME: "Cleanup_Job", LAST_RUN_CONFIGMAP: "x".repeat(254) }).problems,
        ).to.deep.equal([
            'CRONJOB_NAME="Cleanup_Job": expected an object name (DNS-1123 subdomain), or empty for none',
            `LAST_RUN_CONFIGMAP="${"x".repeat(254)}": expected an object name (DNS-1123 subdomain), or empty for none`,
        ]);
    });

    it("an exit code gives the Event's reason and type: 0 succeeded, 1 incomplete (transient), 2 failed (permanent)", () => {
        expect([0, 1, 2].map(runOutcome)).to.deep.equal([
            { reason: "CleanupSucceeded", type: "Normal" },
            { reason: "CleanupIncomplete", type: "Warning" },
            { reason: "CleanupFailed", type: "Warning" },
        ]);
    });

    it("keeps every kind's counts, the dead-letter records written and pruned, the time, the exit code and the outcome", () => {
        const r = record();
        expect(r).to.deep.include({
            startedAt: "2026-12-07T03:00:00.000Z",
            finishedAt: "2026-12-07T03:00:04.250Z",
            durationSeconds: 4.25,
            exitCode: 1,
            outcome: "CleanupIncomplete",
            dryRun: false,
            namespace: "ab-eval-flow",
            apiRequests: 21,
        });
        expect(Object.keys(r.kinds)).to.deep.equal(["pod", "pipelinerun", "imagestream", "dead-letter"]);
        expect(r.kinds.pipelinerun).to.deep.equal({
            examined: 5,
            deleted: 1,
            kept: 3,
            changed: 0,
            failed: 1,
            wouldDelete: 0,
            deadLettered: 1,
        });
        expect(r.kinds["dead-letter"].deleted, "dead-letter entries pruned").to.equal(1);
        expect(r.kinds.imagestream.note).to.contain("skipped");
        expect(r).to.not.have.property("error");
        expect(
            record({
                summaries: [],
                exitCode: 2,
                error: 'configuration: DEAD_LETTER_DIR="/x": expected a writable directory',
            }),
        ).to.include({
            exitCode: 2,
            outcome: "CleanupFailed",
            error: 'configuration: DEAD_LETTER_DIR="/x": expected a writable directory',
        });
    });

    it("the Event's message says the exit code and duration and each kind's counts exactly as its summary line does", () => {
        const message = runEventMessage(record());
        const parts = message.split("; ");
        expect(parts[0]).to.equal("exit 1 in 4.25s");
        expect(parts.slice(1)).to.deep.equal(SUMMARIES.map((s) => summaryLine(s, false).replace(/^summary /, "")));
        expect(
            runEventMessage(record({ dryRun: true, summaries: [summary("pod", { examined: 2, wouldDelete: 2 })] })),
        ).to.equal("dry run, exit 1 in 4.25s; pod: examined=2 deleted=0 kept=0 failed=0 wouldDelete=2");
        expect(runEventMessage(record({ summaries: [] }), ["patching ConfigMap x: 403 forbidden"])).to.equal(
            "exit 1 in 4.25s; not recorded: patching ConfigMap x: 403 forbidden",
        );
    });

    it("the Event names the CronJob as read, with its uid, so that kubectl describe cronjob shows it", () => {
        const cronJob = {
            metadata: {
                name: "abevalflow-cleanup",
                namespace: "ab-eval-flow",
                uid: "5f0c-uid",
                resourceVersion: "812",
            },
        };
        const event = runEvent(cronJob, record({ exitCode: 0 }), [], Date.parse("2026-12-07T03:00:05.123Z"));
        expect(event).to.deep.include({
            apiVersion: "v1",
            kind: "Event",
            metadata: { generateName: "abevalflow-cleanup.", namespace: "ab-eval-flow" },
            involvedObject: {
                apiVersion: "batch/v1",
                kind: "CronJob",
                name: "abevalflow-cleanup",
                namespace: "ab-eval-flow",
                uid: "5f0c-uid",
                resourceVersion: "812",
            },
            reason: "CleanupSucceeded",
            type: "Normal",
            source: { component: REPORTER },
            reportingComponent: REPORTER,
            reportingInstance: "abevalflow-cleanup-29412345-x7k2p",
            firstTimestamp: "2026-12-07T03:00:05Z",
            lastTimestamp: "2026-12-07T03:00:05Z",
            count: 1,
        });
        expect(event.message).to.equal(runEventMessage(record({ exitCode: 0 })));
        expect(runEvent(cronJob, record({ exitCode: 2 }), [], 0)).to.include({
            reason: "CleanupFailed",
            type: "Warning",
        });
    });

    describe("history", () => {
        const older = (n: number): RunRecord[] =>
            Array.from({ length: n }, (_, i) => record({ startedMs: STARTED - (i + 1) * 86_400_000 }));

        it("puts this run first and keeps at most RUN_HISTORY runs, dropping the oldest", () => {
            const previous = older(RUN_HISTORY);
            const { runs, problem } = runHistory(JSON.stringify(previous), record());
            expect(problem).to.equal(undefined);
            expect(runs).to.have.length(RUN_HISTORY);
            expect(runs[0]).to.deep.equal(record());
            expect(runs.slice(1)).to.deep.equal(previous.slice(0, RUN_HISTORY - 1));
            expect(runHistory(JSON.stringify(older(3)), record(), 2).runs).to.deep.equal([record(), older(1)[0]]);
        });

        it("starts with this run when there is none, and says what was wrong with a history it cannot read", () => {
            expect(runHistory(undefined, record())).to.deep.equal({ runs: [record()] });
            expect(runHistory("", record())).to.deep.equal({ runs: [record()] });
            expect(runHistory("{not json", record()).problem).to.match(/^runs\.json is not JSON \(/);
            expect(runHistory("{}", record())).to.deep.equal({
                runs: [record()],
                problem: "runs.json is not a JSON array",
            });
            expect(
                runHistory(JSON.stringify([1, null, "x", [], older(1)[0]]), record()).runs,
                "only records",
            ).to.deep.equal([record(), older(1)[0]]);
        });

        it("patches the last run and the history into data, only onto the ConfigMap as it was read", () => {
            const runs = [record(), ...older(2)];
            const patch = lastRunPatch(record(), runs, "4711");
            expect(patch.metadata).to.deep.equal({ resourceVersion: "4711" });
            expect(Object.keys(patch.data).sort()).to.deep.equal([LAST_RUN_KEY, RUNS_KEY].sort());
            expect(JSON.parse(patch.data[LAST_RUN_KEY])).to.deep.equal(record());
            expect(JSON.parse(patch.data[RUNS_KEY])).to.deep.equal(runs);
            expect(patch.data[RUNS_KEY].split("\n").filter((l) => l.startsWith("  {"))).to.have.length(3);
            // A full history of the largest records stays far below a ConfigMap's 1 MiB.
            const full = lastRunPatch(
                record(),
                Array.from({ length: RUN_HISTORY }, () => record()),
                "1",
            );
            expect(Buffer.byteLength(JSON.stringify(full.data))).to.be.below(64 * 1024);
        });
    });

    describe("recordRun", () => {
        type Scripted = { method: string; path: string; body?: unknown; contentType?: string };
        const CM = "/api/v1/namespaces/ab-eval-flow/configmaps/abevalflow-cleanup-last-run";
        const CRON = "/apis/batch/v1/namespaces/ab-eval-flow/cronjobs/abevalflow-cleanup";
        const EVENTS = "/api/v1/namespaces/ab-eval-flow/events";
        const ok = (status: number, body: unknown = {}): ApiResponse => ({ status, body, message: "" });
        const refused = (status: number, message: string): ApiResponse => ({ status, body: undefined, message });

        function client(answer: (call: Scripted, index: number) => ApiResponse): { client: Client; calls: Scripted[] } {
            const calls: Scripted[] = [];
            return {
                calls,
                client: {
                    requests: 0,
                    call: (method, path, body, contentType) => {
                        calls.push({ method, path, body, contentType });
                        return Promise.resolve(answer(calls[calls.length - 1], calls.length - 1));
                    },
                },
            };
        }
        const config = (over: Partial<Config> = {}): Config =>
            ({
                namespace: "ab-eval-flow",
                cronJobName: "abevalflow-cleanup",
                lastRunConfigMap: "abevalflow-cleanup-last-run",
                ...over,
            }) as Config;
        const CRONJOB = { metadata: { name: "abevalflow-cleanup", namespace: "ab-eval-flow", uid: "cron-uid" } };
        const cluster =
            (over: (call: Scripted) => ApiResponse | undefined = () => undefined) =>
            (call: Scripted): ApiResponse => {
                const answer = over(call);
                if (answer) {
                    return answer;
                }
                if (call.method === "GET" && call.path === CM) {
                    return ok(200, {
                        metadata: { resourceVersion: "10" },
                        data: { [RUNS_KEY]: JSON.stringify([record({ startedMs: 0 })]) },
                    });
                }
                if (call.method === "GET" && call.path === CRON) {
                    return ok(200, CRONJOB);
                }
                return ok(call.method === "POST" ? 201 : 200);
            };
        let errors: string[] = [];
        const quiet = { log: console.log, error: console.error };
        beforeEach(() => {
            errors = [];
            console.log = () => undefined;
            console.error = (line: string) => errors.push(line);
        });
        afterEach(() => {
            Object.assign(console, quiet);
        });

        it("reads and merge-patches the ConfigMap as its own field manager, then posts the Event on the CronJob; the exit code is the cleanup's", async () => {
            const { client: c, calls } = client(cluster());
            expect(await recordRun(c, config(), record({ exitCode: 0 }))).to.equal(0);
            expect(calls.map((x) => `${x.method} ${x.path}`)).to.deep.equal([
                `GET ${CM}`,
                `PATCH ${CM}?fieldManager=${REPORTER}`,
                `GET ${CRON}`,
                `POST ${EVENTS}`,
            ]);
            expect(calls[1].contentType).to.equal("application/merge-patch+json");
            const patch = calls[1].body as ReturnType<typeof lastRunPatch>;
            expect(patch.metadata.resourceVersion).to.equal("10");
            expect(JSON.parse(patch.data[RUNS_KEY])).to.deep.equal([record({ exitCode: 0 }), record({ startedMs: 0 })]);
            expect(calls[3].body).to.deep.include({
                reason: "CleanupSucceeded",
                involvedObject: {
                    apiVersion: "batch/v1",
                    kind: "CronJob",
                    name: "abevalflow-cleanup",
                    namespace: "ab-eval-flow",
                    uid: "cron-uid",
                    resourceVersion: undefined,
                },
            });
            expect(errors).to.deep.equal([]);
        });

        it("reads and patches again when another writer changed the ConfigMap in between (409), at most three times", async () => {
            let conflicts = 0;
            const { client: c, calls } = client(
                cluster((call) =>
                    call.method === "PATCH" && conflicts++ < 1
                        ? refused(409, "the object has been modified")
                        : undefined,
                ),
            );
            expect(await recordRun(c, config({ cronJobName: undefined }), record({ exitCode: 0 }))).to.equal(0);
            expect(calls.map((x) => x.method)).to.deep.equal(["GET", "PATCH", "GET", "PATCH"]);

            const always = client(
                cluster((call) => (call.method === "PATCH" ? refused(409, "the object has been modified") : undefined)),
            );
            expect(
                await recordRun(always.client, config({ cronJobName: undefined }), record({ exitCode: 0 })),
            ).to.equal(1);
            expect(always.calls.filter((x) => x.method === "PATCH")).to.have.length(3);
            expect(errors.at(-1)).to.equal(
                "recording the run failed: patching ConfigMap abevalflow-cleanup-last-run: 409 the object has been modified",
            );
        });

        it("a ConfigMap it cannot write makes a clean run exit 1 and says so in the log and in the Event", async () => {
            const { client: c, calls } = client(
                cluster((call) =>
                    call.path === CM ? refused(404, 'configmaps "abevalflow-cleanup-last-run" not found') : undefined,
                ),
            );
            expect(await recordRun(c, config(), record({ exitCode: 0 }))).to.equal(1);
            expect(errors).to.deep.equal([
                'recording the run failed: reading ConfigMap abevalflow-cleanup-last-run: 404 configmaps "abevalflow-cleanup-last-run" not found (pulumi up creates it)',
            ]);
            const event = calls.find((x) => x.method === "POST")?.body as {
                reason: string;
                type: string;
                message: string;
            };
            expect(event).to.include({ reason: "CleanupIncomplete", type: "Warning" });
            expect(event.message)
                .to.match(/^exit 1 in /)
                .and.contain("not recorded: reading ConfigMap abevalflow-cleanup-last-run: 404");
        });

        it("an Event it cannot create makes a clean run exit 1; a run that failed permanently still exits 2", async () => {
            const forbidden = cluster((call) =>
                call.method === "POST" ? refused(403, "events is forbidden") : undefined,
            );
            expect(await recordRun(client(forbidden).client, config(), record({ exitCode: 0 }))).to.equal(1);
            expect(errors).to.deep.equal([
                "recording the run failed: creating the Event on CronJob abevalflow-cleanup: 403 events is forbidden",
            ]);
            expect(await recordRun(client(forbidden).client, config(), record({ exitCode: 2 }))).to.equal(2);
            const noCron = client(
                cluster((call) => (call.path === CRON ? refused(0, "connect ECONNREFUSED") : undefined)),
            );
            expect(await recordRun(noCron.client, config(), record({ exitCode: 0 }))).to.equal(1);
            expect(
                noCron.calls.map((x) => x.method),
                "no Event without the CronJob's uid",
            ).to.not.include("POST");
        });

        it("records nothing, and calls nothing, when neither name is configured", async () => {
            const { client: c, calls } = client(cluster());
            expect(
                await recordRun(
                    c,
                    config({ cronJobName: undefined, lastRunConfigMap: undefined }),
                    record({ exitCode: 1 }),
                ),
            ).to.equal(1);
            expect(calls).to.deep.equal([]);
        });
    });
});
