// cleanup.js against a real API server (the local control plane `npm run test:e2e` starts),
// always as the cleanup ServiceAccount's own token under the component's Role rules, so a
// pass also proves that Role is sufficient. Some runs go through a recording proxy on
// loopback that can also inject failures, to check which calls are made and how errors end.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import {
    AdminApi,
    CleanupRun,
    Seed,
    connectionEnv,
    create,
    createAll,
    ensureTaskRunApi,
    imageStream,
    namespaceWithCleanupAccount,
    paths,
    pipelineRun,
    runCleanup,
    serviceAccountToken,
    taskRun,
    trialPod,
} from "../../scripts/cleanup/testbed";
import { LAST_RUN_KEY, RunRecord, RUNS_KEY } from "../../cleanup/cleanup";
import { CLEANUP } from "../../components/names";
import { requireCluster } from "./support";

const POLICY = {
    TRIAL_POD_SELECTOR: "abevalflow/role=trial",
    TRIAL_POD_MAX_AGE_HOURS: "24",
    PIPELINERUN_MAX_AGE_HOURS: "168",
    PIPELINERUN_KEEP_RECENT: "0",
    IMAGESTREAM_MAX_AGE_HOURS: "336",
    IMAGESTREAM_SELECTOR: "abevalflow/prune=true",
    CONCURRENCY: "4",
};
/** The label IMAGESTREAM_SELECTOR asks for: streams the pipeline builds, never imported ones. */
const PRUNABLE = { "abevalflow/prune": "true" };

interface Logged {
    method: string;
    path: string;
    body: string;
}

type Reply = { status: number; headers?: Record<string, string> };

/**
 * Forwards plain HTTP on loopback to the API server, logging each request; `hook` may answer
 * instead (an injected failure) or do something first (a concurrent delete).
 */
class RecordingProxy {
    readonly log: Logged[] = [];
    /** Why a hook failed, for each request it failed on. */
    readonly hookFailures: string[] = [];
    hook: (req: Logged) => Reply | undefined | Promise<Reply | undefined> = () => undefined;
    private server?: http.Server;
    url = "";

    constructor(private readonly api: AdminApi) {}

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const entry = {
                    method: req.method ?? "",
                    path: req.url ?? "",
                    body: Buffer.concat(chunks).toString("utf8"),
                };
                this.log.push(entry);
                // A hook that fails (its concurrent delete refused) answers 500 with the reason,
                // so the program sees a server error at once rather than waiting for its timeout.
                Promise.resolve(this.hook(entry)).then(
                    (reply) => {
                        if (reply) {
                            res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
                            res.end(
                                JSON.stringify({
                                    kind: "Status",
                                    code: reply.status,
                                    message: "injected by the test proxy",
                                }),
                            );
                            return;
                        }
                        const upstream = https.request(
                            new URL(entry.path, this.api.url),
                            {
                                method: entry.method,
                                agent: this.api.agent,
                                headers: { ...req.headers, host: new URL(this.api.url).host },
                            },
                            (up) => {
                                res.writeHead(up.statusCode ?? 502, up.headers);
                                up.pipe(res);
                            },
                        );
                        upstream.on("error", () => res.destroy());
                        upstream.end(chunks.length > 0 ? Buffer.concat(chunks) : undefined);
                    },
                    (err: unknown) => {
                        const why = `${entry.method} ${entry.path}: ${err instanceof Error ? err.message : JSON.stringify(err)}`;
                        this.hookFailures.push(why);
                        res.writeHead(500, { "Content-Type": "application/json" });
                        res.end(
                            JSON.stringify({ kind: "Status", code: 500, message: `test proxy hook failed: ${why}` }),
                        );
                    },
                );
            });
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address() as { port: number };
        this.url = `http://127.0.0.1:${address.port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }
}

const suffix = (): string => crypto.randomBytes(3).toString("hex");

describe("cleanup on the local control plane", function () {
    this.timeout(300_000);
    let api: AdminApi;
    const now = Date.now();

    before(async () => {
        api = AdminApi.fromKubeconfig(requireCluster());
        await ensureTaskRunApi(api);
    });

    describe("a namespace of mixed ages and states", () => {
        const ns = `cleanup-e2e-${suffix()}`;
        const p = paths(ns);
        let token = "";
        let deadLetter = "";
        let first: CleanupRun;
        let failedUid = "";
        const today = new Date(now).toISOString().slice(0, 10);

        const env = (): Record<string, string> => ({
            ...POLICY,
            NAMESPACE: ns,
            DEAD_LETTER_DIR: deadLetter,
            DEAD_LETTER_RETENTION_DAYS: "30",
            ...connectionEnv(api, token),
        });

        before(async () => {
            token = await namespaceWithCleanupAccount(api, ns, true);
            deadLetter = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-dead-letter-"));
            for (const [entry, written] of [
                ["2000-01-01/ancient-run-1", new Date("2000-01-01T12:00:00Z")],
                [`${today}/recent-run-2`, new Date(now)],
            ] as const) {
                fs.mkdirSync(path.join(deadLetter, "pipelineruns", entry), { recursive: true });
                fs.writeFileSync(path.join(deadLetter, "pipelineruns", entry, "pipelinerun.json"), "{}");
                fs.utimesSync(path.join(deadLetter, "pipelineruns", entry, "pipelinerun.json"), written, written);
            }
            const uids = await createAll(api, [
                trialPod(
                    ns,
                    "trial-old-succeeded",
                    { phase: "Succeeded", finishedHoursAgo: 48, startedHoursAgo: 50 },
                    now,
                ),
                trialPod(ns, "trial-old-failed", { phase: "Failed", finishedHoursAgo: 30, startedHoursAgo: 31 }, now),
                trialPod(ns, "trial-old-failed-no-finish", { phase: "Failed", startedHoursAgo: 40 }, now),
                trialPod(
                    ns,
                    "trial-young-succeeded",
                    { phase: "Succeeded", finishedHoursAgo: 2, startedHoursAgo: 3 },
                    now,
                ),
                trialPod(ns, "trial-old-running", { phase: "Running", startedHoursAgo: 100 }, now),
                trialPod(ns, "trial-old-pending", { phase: "Pending" }, now),
                trialPod(
                    ns,
                    "trial-finished-in-future",
                    { phase: "Succeeded", finishedHoursAgo: -3, startedHoursAgo: -2 },
                    now,
                ),
                trialPod(
                    ns,
                    "unlabelled-old-succeeded",
                    { phase: "Succeeded", finishedHoursAgo: 500, startedHoursAgo: 501, labels: { app: "other" } },
                    now,
                ),
                trialPod(
                    ns,
                    "other-role-old-failed",
                    {
                        phase: "Failed",
                        finishedHoursAgo: 500,
                        startedHoursAgo: 501,
                        labels: { "abevalflow/role": "builder" },
                    },
                    now,
                ),
                pipelineRun(ns, "pr-old-succeeded", 200, false, now),
                pipelineRun(ns, "pr-old-failed", 300, true, now),
                pipelineRun(ns, "pr-young-failed", 10, true, now),
                pipelineRun(ns, "pr-running", undefined, false, now),
                pipelineRun(ns, "pr-completed-in-future", -3, false, now),
                imageStream(ns, "is-old", [[400, 900], [500]], now, PRUNABLE),
                imageStream(ns, "is-fresh", [[1]], now, PRUNABLE),
                imageStream(ns, "is-one-fresh-tag", [[900], [5]], now, PRUNABLE),
                imageStream(ns, "is-new-and-empty", [], now, PRUNABLE),
                // An imported base image nobody pushes to: as stale as is-old, but not labelled.
                imageStream(ns, "is-imported-base", [[900]], now),
                imageStream(ns, "is-old-other-label", [[900]], now, { "abevalflow/prune": "false" }),
            ]);
            failedUid = uids.get("pr-old-failed") ?? "";
            await createAll(api, [
                taskRun(ns, "pr-old-failed-build", { name: "pr-old-failed", uid: failedUid }, now),
                taskRun(ns, "pr-old-failed-trial", { name: "pr-old-failed", uid: failedUid }, now),
                taskRun(
                    ns,
                    "pr-young-failed-build",
                    { name: "pr-young-failed", uid: uids.get("pr-young-failed") ?? "" },
                    now,
                ),
            ]);
            first = await runCleanup(env());
        });
        after(() => fs.rmSync(deadLetter, { recursive: true, force: true }));

        it("deletes exactly the stale set, as the cleanup ServiceAccount", async () => {
            expect(first.code, first.stdout + first.stderr).to.equal(0);
            expect(await api.names(p.pods)).to.deep.equal([
                "other-role-old-failed",
                "trial-finished-in-future",
                "trial-old-pending",
                "trial-old-running",
                "trial-young-succeeded",
                "unlabelled-old-succeeded",
            ]);
            expect(await api.names(p.pipelineRuns)).to.deep.equal([
                "pr-completed-in-future",
                "pr-running",
                "pr-young-failed",
            ]);
            expect(await api.names(p.imageStreams)).to.deep.equal([
                "is-fresh",
                "is-imported-base",
                "is-new-and-empty",
                "is-old-other-label",
                "is-one-fresh-tag",
            ]);
        });

        it("ends with one summary line per kind and the duration", () => {
            expect(first.summaries).to.deep.equal({
                pod: { examined: 7, deleted: 3, kept: 4, failed: 0 },
                pipelinerun: { examined: 5, deleted: 2, kept: 3, failed: 0, deadLettered: 1 },
                imagestream: { examined: 4, deleted: 1, kept: 3, failed: 0 },
                "dead-letter": { examined: 3, deleted: 1, kept: 2, failed: 0 },
            });
            expect(first.stdout).to.match(/^done in \d+\.\d\ds: \d+ API requests, exit 0$/m);
        });

        it("without IMAGESTREAM_SELECTOR prunes no ImageStream at all, and says so", async () => {
            await createAll(api, [imageStream(ns, "is-old-again", [[900]], now, PRUNABLE)]);
            const before = await api.names(p.imageStreams);
            const run = await runCleanup({ ...env(), IMAGESTREAM_SELECTOR: "", CLEANUP_KINDS: "imagestreams" });
            expect(run.code, run.stdout + run.stderr).to.equal(0);
            expect(run.stdout).to.match(
                /^summary imagestream: examined=0 deleted=0 kept=0 failed=0 \(skipped: IMAGESTREAM_SELECTOR is empty, so no ImageStream is pruned\)$/m,
            );
            expect(run.requests, "not even a list").to.equal(0);
            expect(await api.names(p.imageStreams)).to.deep.equal(before);
            await api.must("DELETE", `${p.imageStreams}/is-old-again`);
        });

        it("keeps the failed run's record, with its own TaskRuns, in the dead letter and expires old entries", () => {
            // Filed under the day it was written, so it is kept for the retention from today.
            const entry = path.join(
                deadLetter,
                "pipelineruns",
                new Date().toISOString().slice(0, 10),
                `pr-old-failed-${failedUid}`,
            );
            const record = JSON.parse(fs.readFileSync(path.join(entry, "pipelinerun.json"), "utf8")) as {
                metadata: { uid: string };
                status: { conditions: { status: string }[] };
            };
            expect(record.metadata.uid).to.equal(failedUid);
            expect(record.status.conditions[0].status).to.equal("False");
            const taskRuns = JSON.parse(fs.readFileSync(path.join(entry, "taskruns.json"), "utf8")) as {
                items: { metadata: { name: string } }[];
            };
            expect(taskRuns.items.map((t) => t.metadata.name).sort()).to.deep.equal([
                "pr-old-failed-build",
                "pr-old-failed-trial",
            ]);
            expect(fs.existsSync(path.join(deadLetter, "pipelineruns", "2000-01-01"))).to.equal(false);
            expect(fs.existsSync(path.join(deadLetter, "pipelineruns", today, "recent-run-2"))).to.equal(true);
            expect(fs.readdirSync(path.join(deadLetter, "pipelineruns", ".incoming"))).to.deep.equal([]);
        });

        it("deletes nothing more on a second run", async () => {
            const second = await runCleanup(env());
            expect(second.code, second.stdout + second.stderr).to.equal(0);
            for (const kind of ["pod", "pipelinerun", "imagestream", "dead-letter"]) {
                expect(second.summaries[kind]?.deleted, kind).to.equal(0);
            }
        });

        it("with DRY_RUN lists what would go and deletes nothing, not even dead-letter entries", async () => {
            await createAll(api, [
                trialPod(ns, "dry-old-pod", { phase: "Succeeded", finishedHoursAgo: 48, startedHoursAgo: 49 }, now),
                pipelineRun(ns, "dry-old-failed", 400, true, now),
            ]);
            fs.mkdirSync(path.join(deadLetter, "pipelineruns", "2001-01-01", "ancient-run-3"), { recursive: true });
            const before = {
                pods: await api.names(p.pods),
                runs: await api.names(p.pipelineRuns),
                streams: await api.names(p.imageStreams),
            };
            const dry = await runCleanup({ ...env(), DRY_RUN: "true" });
            expect(dry.code, dry.stdout + dry.stderr).to.equal(0);
            expect(dry.stdout)
                .to.contain("would delete pod/dry-old-pod")
                .and.contain("would delete pipelinerun/dry-old-failed")
                .and.contain("would remove 1 of 1 dead-letter entries of day 2001-01-01");
            expect(dry.summaries.pod).to.include({ deleted: 0, wouldDelete: 1 });
            expect({
                pods: await api.names(p.pods),
                runs: await api.names(p.pipelineRuns),
                streams: await api.names(p.imageStreams),
            }).to.deep.equal(before);
            expect(fs.existsSync(path.join(deadLetter, "pipelineruns", "2001-01-01"))).to.equal(true);
            expect(
                fs
                    .readdirSync(path.join(deadLetter, "pipelineruns"))
                    .filter((d) => d.startsWith(new Date(now - 400 * 3_600_000).toISOString().slice(0, 10))),
            ).to.deep.equal([]);
        });
    });

    describe("through a recording proxy", () => {
        const ns = `cleanup-e2e-proxy-${suffix()}`;
        const p = paths(ns);
        let token = "";
        let proxy: RecordingProxy;
        const env = (): Record<string, string> => ({
            ...POLICY,
            NAMESPACE: ns,
            KUBE_API_URL: proxy.url,
            KUBE_TOKEN: token,
            CLEANUP_KINDS: "pods,pipelineruns",
        });
        const staleSet = (tag: string, count: number): Seed[] =>
            Array.from({ length: count }, (_, i) => [
                trialPod(
                    ns,
                    `${tag}-pod-${i}`,
                    { phase: "Failed", finishedHoursAgo: 30 + i, startedHoursAgo: 31 + i },
                    now,
                ),
                pipelineRun(ns, `${tag}-run-${i}`, 200 + i, false, now),
            ]).flat();

        before(async () => {
            token = await namespaceWithCleanupAccount(api, ns, false);
            proxy = new RecordingProxy(api);
            await proxy.start();
        });
        after(async () => proxy.stop());
        beforeEach(() => {
            proxy.log.length = 0;
            proxy.hookFailures.length = 0;
            proxy.hook = () => undefined;
        });

        it("lists each kind once and deletes object by object with Background propagation and the listed uid: no per-object get", async () => {
            const uids = await createAll(api, [
                ...staleSet("calls", 3),
                trialPod(ns, "calls-young", { phase: "Succeeded", finishedHoursAgo: 1, startedHoursAgo: 2 }, now),
            ]);
            const run = await runCleanup(env());
            expect(run.code, run.stdout + run.stderr).to.equal(0);
            expect(run.requests).to.equal(proxy.log.length);
            const lists = proxy.log.filter((r) => r.method === "GET");
            expect(lists.map((r) => r.path.split("?")[0])).to.deep.equal([p.pods, p.pipelineRuns]);
            expect(lists[0].path)
                .to.contain(`labelSelector=${encodeURIComponent("abevalflow/role=trial")}`)
                .and.contain("limit=");
            const deletes = proxy.log.filter((r) => r.method === "DELETE");
            expect(deletes).to.have.length(proxy.log.length - 2);
            expect(deletes.map((r) => r.path).sort()).to.deep.equal(
                [0, 1, 2].flatMap((i) => [`${p.pipelineRuns}/calls-run-${i}`, `${p.pods}/calls-pod-${i}`]).sort(),
            );
            for (const d of deletes) {
                const options = JSON.parse(d.body) as { propagationPolicy: string; preconditions: { uid: string } };
                expect(options.propagationPolicy).to.equal("Background");
                expect(options.preconditions.uid).to.equal(uids.get(d.path.split("/").pop() ?? ""));
            }
            expect(await api.names(p.pods)).to.deep.equal(["calls-young"]);
        });

        it("does not fail when an object is deleted by someone else mid-run", async () => {
            await createAll(api, staleSet("race", 4));
            const raced = new Set<string>();
            proxy.hook = async (req) => {
                // On the first delete of each kind, another actor removes the last listed object of that kind.
                const collection = req.path.slice(0, req.path.lastIndexOf("/"));
                const victim =
                    collection === p.pods ? "race-pod-3" : collection === p.pipelineRuns ? "race-run-3" : undefined;
                if (req.method === "DELETE" && victim && !raced.has(victim)) {
                    raced.add(victim);
                    await api.must("DELETE", `${collection}/${victim}`, undefined, undefined, [404]);
                }
                return undefined;
            };
            const run = await runCleanup(env());
            expect(proxy.hookFailures, "the concurrent deletes").to.deep.equal([]);
            expect([...raced]).to.have.members(["race-pod-3", "race-run-3"]);
            expect(
                proxy.log.filter((r) => r.method === "DELETE" && /\/race-(pod|run)-3$/.test(r.path)),
                "the program still tried them",
            ).to.have.length(2);
            expect(run.code, run.stdout + run.stderr).to.equal(0);
            expect(run.summaries.pod).to.include({ examined: 5, deleted: 4, failed: 0 });
            expect(run.summaries.pipelinerun).to.include({ deleted: 4, failed: 0 });
            expect(await api.names(p.pods)).to.deep.equal(["calls-young"]);
            expect(await api.names(p.pipelineRuns)).to.deep.equal([]);
        });

        it("retries 429 and 5xx, honouring Retry-After, and then succeeds", async () => {
            await createAll(api, staleSet("retry", 2));
            const injected = new Map<string, number>();
            proxy.hook = (req) => {
                const key = `${req.method} ${req.path.split("?")[0]}`;
                const seen = injected.get(key) ?? 0;
                injected.set(key, seen + 1);
                if (key === `GET ${p.pods}` && seen === 0) {
                    return { status: 503 };
                }
                if (key === `DELETE ${p.pods}/retry-pod-1` && seen < 2) {
                    return { status: 429, headers: { "Retry-After": "1" } };
                }
                return undefined;
            };
            const started = Date.now();
            const run = await runCleanup(env());
            expect(run.code, run.stdout + run.stderr).to.equal(0);
            expect(injected.get(`DELETE ${p.pods}/retry-pod-1`)).to.equal(3);
            expect(Date.now() - started, "two Retry-After: 1 waits").to.be.at.least(2000);
            expect(run.requests).to.equal(proxy.log.length);
            expect(await api.names(p.pods)).to.deep.equal(["calls-young"]);
        });

        it("exits 1 when a delete keeps failing for a transient reason, after deleting everything else", async () => {
            await createAll(api, staleSet("flaky", 3));
            proxy.hook = (req) =>
                req.method === "DELETE" && req.path.endsWith("/flaky-run-1")
                    ? { status: 503, headers: { "Retry-After": "0" } }
                    : undefined;
            const run = await runCleanup(env());
            expect(run.code, run.stdout + run.stderr).to.equal(1);
            expect(run.summaries.pipelinerun).to.include({ deleted: 2, failed: 1 });
            expect(run.stdout).to.match(/failed delete pipelinerun\/flaky-run-1: 503/);
            expect(await api.names(p.pipelineRuns)).to.deep.equal(["flaky-run-1"]);
            expect(await api.names(p.pods)).to.deep.equal(["calls-young"]);
            await api.must("DELETE", `${p.pipelineRuns}/flaky-run-1`);
        });
    });

    describe("the run's record, as the cleanup ServiceAccount under its Role", () => {
        const ns = `cleanup-e2e-record-${suffix()}`;
        const NAMES = { CRONJOB_NAME: CLEANUP.name, LAST_RUN_CONFIGMAP: CLEANUP.lastRunConfigMap };
        let token = "";
        let cronJobUid = "";

        before(async () => {
            token = await namespaceWithCleanupAccount(api, ns, false);
            const cronJob = await api.must("POST", `/apis/batch/v1/namespaces/${ns}/cronjobs`, {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: CLEANUP.name },
                spec: {
                    schedule: "0 0 1 1 *",
                    suspend: true,
                    jobTemplate: {
                        spec: {
                            template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "x" }] } },
                        },
                    },
                },
            });
            cronJobUid = (cronJob.body.metadata as { uid: string }).uid;
            for (const name of [CLEANUP.lastRunConfigMap, "another-configmap"]) {
                await api.must("POST", `/api/v1/namespaces/${ns}/configmaps`, {
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    metadata: { name },
                });
            }
            await createAll(api, [
                trialPod(ns, "trial-old", { phase: "Succeeded", finishedHoursAgo: 48, startedHoursAgo: 49 }, now),
            ]);
        });

        it("patches its ConfigMap and leaves an Event on its CronJob, with the grants of its Role alone", async () => {
            const run = await runCleanup({
                ...POLICY,
                NAMESPACE: ns,
                CLEANUP_KINDS: "pods",
                ...NAMES,
                ...connectionEnv(api, token),
            });
            expect(run.code, run.stdout + run.stderr).to.equal(0);
            const data = ((await api.must("GET", `/api/v1/namespaces/${ns}/configmaps/${CLEANUP.lastRunConfigMap}`))
                .body.data ?? {}) as Record<string, string>;
            const last = JSON.parse(data[LAST_RUN_KEY]) as RunRecord;
            expect(last.kinds.pod).to.include({ examined: 1, deleted: 1, failed: 0 });
            expect(JSON.parse(data[RUNS_KEY])).to.deep.equal([last]);
            const events = ((
                await api.must(
                    "GET",
                    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${cronJobUid}`)}`,
                )
            ).body.items ?? []) as { reason: string; message: string }[];
            expect(events.map((e) => e.reason)).to.deep.equal(["CleanupSucceeded"]);
            expect(events[0].message).to.contain(`pod: ${run.stdout.match(/^summary pod: (.*)$/m)?.[1]}`);
        });

        it("may patch no other ConfigMap: recording there fails with 403, logged, and the run exits 1", async () => {
            const run = await runCleanup({
                ...POLICY,
                NAMESPACE: ns,
                CLEANUP_KINDS: "pods",
                ...NAMES,
                LAST_RUN_CONFIGMAP: "another-configmap",
                ...connectionEnv(api, token),
            });
            expect(run.code, run.stdout + run.stderr).to.equal(1);
            expect(run.stderr).to.match(/^recording the run failed: reading ConfigMap another-configmap: 403 /m);
        });
    });

    describe("refusals that retrying cannot fix", () => {
        it("exits 2 when the ServiceAccount lacks the Role", async () => {
            const ns = `cleanup-e2e-norole-${suffix()}`;
            await namespaceWithCleanupAccount(api, ns, false);
            await api.must("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
                apiVersion: "v1",
                kind: "ServiceAccount",
                metadata: { name: "unprivileged" },
            });
            await create(api, pipelineRun(ns, "old", 500, false, now));
            const run = await runCleanup({
                ...POLICY,
                NAMESPACE: ns,
                ...connectionEnv(api, await serviceAccountToken(api, ns, "unprivileged")),
            });
            expect(run.code, run.stdout + run.stderr).to.equal(2);
            expect(run.stdout).to.match(/failed list pipelinerun: 403/);
            expect(await api.names(paths(ns).pipelineRuns)).to.deep.equal(["old"]);
        });

        it("exits 2 on bad configuration, naming the variable, the value and the expected form", async () => {
            const run = await runCleanup({
                ...POLICY,
                NAMESPACE: "x",
                TRIAL_POD_MAX_AGE_HOURS: "1d",
                ...connectionEnv(api, "t"),
            });
            expect(run.code).to.equal(2);
            expect(run.stderr).to.contain('TRIAL_POD_MAX_AGE_HOURS="1d": expected an integer >= 1');
        });
    });
});
