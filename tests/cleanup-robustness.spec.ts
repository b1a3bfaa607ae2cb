// The cleanup program against a fake API server on loopback: an expired list continue token
// (410 Gone), a delete refused with 409 Conflict, answers that are no list or never end, and
// the dead letter on a full volume, under a memory limit, and past its retention. The program runs as its own process, as
// the CronJob runs it, so exit codes and summary lines are what an operator would see.
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { expect } from "chai";
import * as YAML from "yaml";
import { LAST_RUN_KEY, RunRecord, RUNS_KEY, Summary, exitCodeFor, summaryLine } from "../cleanup/cleanup";
import { quantityValue } from "../components/validation";
import { REPO_ROOT } from "./harness";
import { confinementMissing, runCleanup as runCleanupProcess, runCleanupConfined } from "../scripts/cleanup/testbed";

const HOUR = 3_600_000;
const NS = "robust";
const PODS = `/api/v1/namespaces/${NS}/pods`;
const RUNS = `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`;
const STREAMS = `/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`;
const TRIAL = { "abevalflow/role": "trial" };

type KubeObj = { metadata: { name: string; uid: string; [k: string]: unknown }; [k: string]: unknown };
interface Call {
    method: string;
    path: string;
    query: URLSearchParams;
    body: Record<string, unknown>;
}
/** raw: sent as is instead of the JSON of body; trickleMs: sent a byte at a time, this far apart. */
type Answer = { status: number; body: unknown; raw?: string; trickleMs?: number };

const ago = (hours: number): string => new Date(Date.now() - hours * HOUR).toISOString();

function pod(name: string, finishedHoursAgo: number): KubeObj {
    return {
        metadata: { name, uid: `uid-${name}`, labels: TRIAL, creationTimestamp: ago(finishedHoursAgo + 2) },
        status: {
            phase: "Succeeded",
            startTime: ago(finishedHoursAgo + 1),
            containerStatuses: [{ state: { terminated: { finishedAt: ago(finishedHoursAgo) } } }],
        },
    };
}

function run(name: string, completedHoursAgo: number, failed: boolean): KubeObj {
    return {
        metadata: { name, uid: `uid-${name}`, creationTimestamp: ago(completedHoursAgo + 1) },
        status: {
            completionTime: ago(completedHoursAgo),
            conditions: [{ type: "Succeeded", status: failed ? "False" : "True", reason: "x" }],
        },
    };
}

const PRUNABLE = { "abevalflow/prune": "true" };

function stream(name: string, labels: Record<string, string> = PRUNABLE): KubeObj {
    return { metadata: { name, uid: `uid-${name}`, labels, creationTimestamp: ago(1000) }, status: { tags: [] } };
}

const status = (code: number, reason: string, message: string): Answer => ({
    status: code,
    body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason, message, code },
});

const EXPIRED = status(
    410,
    "Expired",
    "The provided continue parameter is too old to display a consistent list result. " +
        "You can start a new list without the continue parameter.",
);

/**
 * Collections of objects, listed `pageSize` at a time with the offset as continue token, and
 * deletes that honour the uid precondition as the API server does (404 when absent, 409 when
 * the name now carries another uid). `hook` sees every call first and may answer it instead.
 */
class FakeApi {
    readonly collections = new Map<string, KubeObj[]>();
    readonly calls: Call[] = [];
    pageSize = 2;
    hook: (call: Call) => Answer | undefined = () => undefined;
    private server?: http.Server;
    url = "";

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const url = new URL(req.url ?? "/", "http://fake");
                const text = Buffer.concat(chunks).toString("utf8");
                const call: Call = {
                    method: req.method ?? "",
                    path: url.pathname,
                    query: url.searchParams,
                    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
                };
                this.calls.push(call);
                const answer = this.hook(call) ?? this.answer(call);
                const payload = answer.raw ?? JSON.stringify(answer.body);
                res.writeHead(answer.status, { "Content-Type": "application/json" });
                if (answer.trickleMs === undefined) {
                    res.end(payload);
                    return;
                }
                let sent = 0;
                const timer = setInterval(() => {
                    if (sent >= payload.length) {
                        clearInterval(timer);
                        res.end();
                        return;
                    }
                    res.write(payload[sent++]);
                }, answer.trickleMs);
                res.on("close", () => clearInterval(timer));
            });
        });
        await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async stop(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise((resolve) => this.server?.close(resolve));
    }

    reset(collections: Record<string, KubeObj[]>): void {
        this.collections.clear();
        for (const [collection, items] of Object.entries(collections)) {
            this.collections.set(collection, items);
        }
        this.calls.length = 0;
        this.hook = () => undefined;
    }

    names(collection: string): string[] {
        return (this.collections.get(collection) ?? []).map((o) => o.metadata.name);
    }

    private answer(call: Call): Answer {
        const parent = call.path.slice(0, call.path.lastIndexOf("/"));
        if (call.method === "GET" && !this.collections.has(call.path) && this.collections.has(parent)) {
            const name = call.path.slice(parent.length + 1);
            const found = (this.collections.get(parent) ?? []).find((o) => o.metadata.name === name);
            return found ? { status: 200, body: found } : status(404, "NotFound", `"${name}" not found`);
        }
        if (call.method === "GET") {
            const items = this.collections.get(call.path) ?? [];
            const offset = Number(call.query.get("continue") ?? "0");
            const end = offset + this.pageSize;
            return {
                status: 200,
                body: {
                    kind: "List",
                    metadata: end < items.length ? { continue: String(end) } : {},
                    items: items.slice(offset, end),
                },
            };
        }
        if (call.method === "DELETE") {
            const collection = call.path.slice(0, call.path.lastIndexOf("/"));
            const name = call.path.slice(call.path.lastIndexOf("/") + 1);
            const items = this.collections.get(collection) ?? [];
            const index = items.findIndex((o) => o.metadata.name === name);
            if (index < 0) {
                return status(404, "NotFound", `"${name}" not found`);
            }
            const wanted = (call.body.preconditions as { uid?: string } | undefined)?.uid;
            if (wanted !== undefined && wanted !== items[index].metadata.uid) {
                return status(
                    409,
                    "Conflict",
                    `Precondition failed: UID in precondition: ${wanted}, UID in object meta: ${items[index].metadata.uid}`,
                );
            }
            const [gone] = items.splice(index, 1);
            return { status: 200, body: gone };
        }
        return status(405, "MethodNotAllowed", call.method);
    }
}

interface Run {
    code: number | null;
    ms: number;
    stdout: string;
    summaries: Record<string, Record<string, number>>;
}

/** The program's whole output (stdout then stderr) with its exit code and summaries. */
async function runCleanup(env: Record<string, string>): Promise<Run> {
    const run = await runCleanupProcess(env);
    return { code: run.code, ms: run.ms, stdout: run.stdout + run.stderr, summaries: run.summaries };
}

describe("cleanup robustness", function () {
    this.timeout(30_000);
    const api = new FakeApi();
    const env = (over: Record<string, string> = {}): Record<string, string> => ({
        NAMESPACE: NS,
        TRIAL_POD_SELECTOR: "abevalflow/role=trial",
        TRIAL_POD_MAX_AGE_HOURS: "24",
        PIPELINERUN_MAX_AGE_HOURS: "168",
        PIPELINERUN_KEEP_RECENT: "0",
        IMAGESTREAM_MAX_AGE_HOURS: "336",
        CONCURRENCY: "2",
        CLEANUP_KINDS: "pods",
        KUBE_API_URL: api.url,
        KUBE_TOKEN: "t",
        ...over,
    });
    const lists = (collection: string): Call[] => api.calls.filter((c) => c.method === "GET" && c.path === collection);
    const deletes = (collection: string): string[] =>
        api.calls
            .filter((c) => c.method === "DELETE" && c.path.startsWith(`${collection}/`))
            .map((c) => c.path.slice(collection.length + 1));

    before(() => api.start());
    after(() => api.stop());

    describe("a list whose continue token expired (410 Gone)", () => {
        it("is listed again from the first page, and each stale object is deleted and counted once", async () => {
            const stale = ["old-0", "old-1", "old-2", "old-3", "old-4"];
            api.reset({
                [PODS]: [
                    pod("old-0", 48),
                    pod("young-0", 1),
                    pod("old-1", 48),
                    pod("old-2", 30),
                    pod("young-1", 2),
                    pod("old-3", 50),
                    pod("old-4", 72),
                ],
            });
            let expired = false;
            api.hook = (call) => {
                if (call.method === "GET" && call.query.get("continue") === "4" && !expired) {
                    expired = true;
                    return EXPIRED;
                }
                return undefined;
            };
            const result = await runCleanup(env());
            expect(result.code, result.stdout).to.equal(0);
            expect(lists(PODS).map((c) => c.query.get("continue"))).to.deep.equal([
                null,
                "2",
                "4",
                null,
                "2",
                "4",
                "6",
            ]);
            expect(result.stdout).to.contain(
                `list ${PODS}: continue token expired (410 Gone) after 4 objects; listing again from the beginning (restart 1 of 3)`,
            );
            expect(deletes(PODS).sort()).to.deep.equal(stale);
            expect(result.summaries.pod).to.deep.equal({ examined: 7, deleted: 5, kept: 2, failed: 0 });
            expect(api.names(PODS)).to.deep.equal(["young-0", "young-1"]);
        });

        it("drops what the abandoned pass saw: an object gone by the new pass is neither deleted, dead-lettered nor counted", async () => {
            const deadLetter = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-robust-dl-"));
            try {
                api.reset({
                    [RUNS]: [
                        run("failed-a", 200, true),
                        run("failed-b", 300, true),
                        run("ok-old", 400, false),
                        run("young", 1, true),
                    ],
                });
                let expired = false;
                api.hook = (call) => {
                    if (call.method === "GET" && call.path === RUNS && call.query.get("continue") === "2" && !expired) {
                        // Between the passes someone else removes failed-b, seen on the first page only.
                        expired = true;
                        api.collections.set(
                            RUNS,
                            (api.collections.get(RUNS) ?? []).filter((o) => o.metadata.name !== "failed-b"),
                        );
                        return EXPIRED;
                    }
                    return undefined;
                };
                const result = await runCleanup(
                    env({
                        CLEANUP_KINDS: "pipelineruns",
                        DEAD_LETTER_DIR: deadLetter,
                        DEAD_LETTER_RETENTION_DAYS: "30",
                    }),
                );
                expect(result.code, result.stdout).to.equal(0);
                expect(deletes(RUNS).sort()).to.deep.equal(["failed-a", "ok-old"]);
                expect(result.summaries.pipelinerun).to.deep.equal({
                    examined: 3,
                    deleted: 2,
                    kept: 1,
                    failed: 0,
                    deadLettered: 1,
                });
                const day = new Date().toISOString().slice(0, 10);
                expect(fs.readdirSync(path.join(deadLetter, "pipelineruns", day))).to.deep.equal([
                    "failed-a-uid-failed-a",
                ]);
                expect(api.names(RUNS)).to.deep.equal(["young"]);
            } finally {
                fs.rmSync(deadLetter, { recursive: true, force: true });
            }
        });

        it("gives up after 3 restarts with a message saying so, exits 1 (retrying is safe), and still cleans the other kinds", async () => {
            api.reset({
                [PODS]: [pod("old-0", 48), pod("old-1", 48), pod("old-2", 48)],
                [STREAMS]: [stream("old-stream")],
            });
            api.hook = (call) =>
                call.method === "GET" && call.path === PODS && call.query.has("continue") ? EXPIRED : undefined;
            const result = await runCleanup(
                env({ CLEANUP_KINDS: "pods,imagestreams", IMAGESTREAM_SELECTOR: "abevalflow/prune=true" }),
            );
            expect(result.code, result.stdout).to.equal(1);
            expect(lists(PODS).map((c) => c.query.get("continue"))).to.deep.equal([
                null,
                "2",
                null,
                "2",
                null,
                "2",
                null,
                "2",
            ]);
            expect(result.stdout).to.match(
                /^failed list pod: 410 continue token expired \(410 Gone\) on 4 passes in a row, after 3 restarts from the beginning \(The provided continue parameter is too old/m,
            );
            expect(deletes(PODS)).to.deep.equal([]);
            expect(result.summaries.pod).to.deep.equal({ examined: 0, deleted: 0, kept: 0, failed: 1 });
            expect(result.summaries.imagestream).to.deep.equal({ examined: 1, deleted: 1, kept: 0, failed: 0 });
            expect(api.names(STREAMS)).to.deep.equal([]);
        });
    });

    describe("ImageStreams", () => {
        it("are listed with the selector, and an unlabelled stream the server still returned is kept", async () => {
            api.reset({ [STREAMS]: [stream("build-output"), stream("imported-base", {})] });
            const result = await runCleanup(
                env({ CLEANUP_KINDS: "imagestreams", IMAGESTREAM_SELECTOR: "abevalflow/prune=true" }),
            );
            expect(result.code, result.stdout).to.equal(0);
            expect(lists(STREAMS).map((c) => c.query.get("labelSelector"))).to.deep.equal(["abevalflow/prune=true"]);
            expect(deletes(STREAMS)).to.deep.equal(["build-output"]);
            expect(result.summaries.imagestream).to.deep.equal({ examined: 2, deleted: 1, kept: 1, failed: 0 });
        });

        it("without IMAGESTREAM_SELECTOR are neither listed nor deleted, and the summary says so", async () => {
            api.reset({ [STREAMS]: [stream("build-output"), stream("imported-base", {})] });
            const result = await runCleanup(env({ CLEANUP_KINDS: "pods,imagestreams" }));
            expect(result.code, result.stdout).to.equal(0);
            expect(api.calls.filter((c) => c.path.startsWith(STREAMS))).to.deep.equal([]);
            expect(result.stdout).to.match(
                /^summary imagestream: examined=0 deleted=0 kept=0 failed=0 \(skipped: IMAGESTREAM_SELECTOR is empty, so no ImageStream is pruned\)$/m,
            );
            expect(api.names(STREAMS)).to.deep.equal(["build-output", "imported-base"]);
        });
    });

    describe("a delete refused with 409 Conflict", () => {
        it("counts the object as changed and kept, not deleted; a 404 still counts as already gone; the run exits 0", async () => {
            api.reset({ [PODS]: [pod("plain", 48), pod("replaced", 48), pod("vanished", 48), pod("young", 1)] });
            api.hook = (call) => {
                const items = api.collections.get(PODS) ?? [];
                if (call.method === "DELETE" && call.path === `${PODS}/replaced`) {
                    // Re-created under the same name after the list: the uid precondition no longer holds.
                    items.splice(
                        items.findIndex((o) => o.metadata.name === "replaced"),
                        1,
                        { ...pod("replaced", 0), metadata: { ...pod("replaced", 0).metadata, uid: "uid-replaced-2" } },
                    );
                }
                if (call.method === "DELETE" && call.path === `${PODS}/vanished`) {
                    api.collections.set(
                        PODS,
                        items.filter((o) => o.metadata.name !== "vanished"),
                    );
                }
                return undefined;
            };
            const result = await runCleanup(env());
            expect(result.code, result.stdout).to.equal(0);
            expect(deletes(PODS).sort()).to.deep.equal(["plain", "replaced", "vanished"]);
            expect(result.stdout).to.match(
                /^kept pod\/replaced: changed since it was listed \(409 Precondition failed: UID in precondition: uid-replaced, UID in object meta: uid-replaced-2\)$/m,
            );
            expect(result.stdout).to.not.match(/^deleted pod\/replaced/m);
            expect(result.stdout).to.not.match(/^failed /m);
            expect(result.summaries.pod).to.deep.equal({ examined: 4, deleted: 2, kept: 1, failed: 0, changed: 1 });
            expect(api.names(PODS)).to.deep.equal(["replaced", "young"]);
        });

        it("shows changed=N in the summary line only when there is one, and does not fail the run", () => {
            const summary = (over: Partial<Summary>): Summary => ({
                kind: "pod",
                examined: 4,
                deleted: 3,
                kept: 0,
                changed: 0,
                failed: 0,
                wouldDelete: 0,
                transient: 0,
                permanent: 0,
                ...over,
            });
            expect(summaryLine(summary({ deleted: 2, changed: 1 }), false)).to.equal(
                "summary pod: examined=4 deleted=2 kept=0 failed=0 changed=1",
            );
            expect(summaryLine(summary({}), false)).to.equal("summary pod: examined=4 deleted=3 kept=0 failed=0");
            expect(exitCodeFor([summary({ deleted: 0, changed: 4 })])).to.equal(0);
        });
    });

    describe("answers that are not a list", () => {
        for (const [what, answer] of [
            ["an HTML page", { status: 200, body: undefined, raw: "<html><body>502 Bad Gateway</body></html>" }],
            ["null", { status: 200, body: null }],
            ["an object without items", { status: 200, body: { kind: "Status", metadata: {} } }],
        ] as [string, Answer][]) {
            it(`fail that kind cleanly when the body is ${what}, exit 1, and the other kinds are still cleaned`, async () => {
                api.reset({ [PODS]: [pod("old", 48)], [STREAMS]: [stream("old-stream")] });
                api.hook = (call) => (call.method === "GET" && call.path === PODS ? answer : undefined);
                const result = await runCleanup(
                    env({ CLEANUP_KINDS: "pods,imagestreams", IMAGESTREAM_SELECTOR: "abevalflow/prune=true" }),
                );
                expect(result.code, result.stdout).to.equal(1);
                expect(result.stdout).to.not.match(/crashed/);
                expect(result.stdout, result.stdout).to.match(
                    new RegExp(
                        `^failed list pod: network error GET ${PODS} answered 200 with .*, not a Kubernetes list$`,
                        "m",
                    ),
                );
                expect(result.summaries.pod).to.deep.equal({ examined: 0, deleted: 0, kept: 0, failed: 1 });
                expect(result.summaries.imagestream).to.deep.equal({ examined: 1, deleted: 1, kept: 0, failed: 0 });
            });
        }
    });

    describe("an answer that trickles a byte at a time", () => {
        it("is cut off by the request's total deadline, retried, and the kind fails with exit 1", async () => {
            api.reset({ [PODS]: [pod("old", 48)] });
            // 50 ms a byte never trips an idle timeout; the whole list would take minutes.
            api.hook = (call) =>
                call.method === "GET" && call.path === PODS
                    ? { status: 200, body: { kind: "List", metadata: {}, items: [pod("old", 48)] }, trickleMs: 50 }
                    : undefined;
            const result = await runCleanup(env({ REQUEST_TIMEOUT_SECONDS: "1" }));
            expect(result.code, result.stdout).to.equal(1);
            expect(result.stdout).to.match(/^failed list pod: network error no complete answer within 1s$/m);
            expect(lists(PODS)).to.have.length(6, "each attempt is cut off and retried, up to the attempt limit");
            expect(result.ms).to.be.below(30_000);
        });

        it("REQUEST_TIMEOUT_SECONDS must be a whole number of seconds", async () => {
            const result = await runCleanup(env({ REQUEST_TIMEOUT_SECONDS: "0.5" }));
            expect(result.code).to.equal(2);
            expect(result.stdout).to.match(
                /^configuration: REQUEST_TIMEOUT_SECONDS="0\.5": expected an integer >= 1$/m,
            );
        });
    });

    describe("the dead letter", () => {
        let deadLetter = "";
        beforeEach(() => (deadLetter = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-robust-dl-"))));
        afterEach(() => fs.rmSync(deadLetter, { recursive: true, force: true }));
        const DAY = 24 * HOUR;
        const today = (): string => new Date().toISOString().slice(0, 10);
        const dayAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString().slice(0, 10);
        const dlEnv = (over: Record<string, string> = {}): Record<string, string> =>
            env({
                CLEANUP_KINDS: "pipelineruns",
                DEAD_LETTER_DIR: deadLetter,
                DEAD_LETTER_RETENTION_DAYS: "30",
                ...over,
            });
        /** An entry as a run `writtenDaysAgo` would have left it, in folder `day`. */
        const seedEntry = (day: string, name: string, writtenDaysAgo: number): void => {
            const dir = path.join(deadLetter, "pipelineruns", day, name);
            fs.mkdirSync(dir, { recursive: true });
            for (const file of ["pipelinerun.json", "taskruns.json"]) {
                fs.writeFileSync(path.join(dir, file), "{}");
                const t = new Date(Date.now() - writtenDaysAgo * DAY);
                fs.utimesSync(path.join(dir, file), t, t);
            }
        };
        const entries = (): string[] => {
            const base = path.join(deadLetter, "pipelineruns");
            return fs
                .readdirSync(base)
                .filter((d) => d !== ".incoming")
                .sort()
                .flatMap((d) => fs.readdirSync(path.join(base, d)).map((e) => `${d}/${e}`));
        };

        it("keeps the record of a run completed longer ago than the retention: the run that deletes it does not remove its record, nor does the next", async () => {
            api.reset({ [RUNS]: [run("failed-40d", 40 * 24, true)] });
            const first = await runCleanup(dlEnv());
            expect(first.code, first.stdout).to.equal(0);
            expect(first.summaries.pipelinerun).to.deep.equal({
                examined: 1,
                deleted: 1,
                kept: 0,
                failed: 0,
                deadLettered: 1,
            });
            expect(first.summaries["dead-letter"]).to.deep.equal({ examined: 1, deleted: 0, kept: 1, failed: 0 });
            expect(first.stdout).to.not.match(/removed .*dead-letter/);
            expect(entries()).to.deep.equal([`${today()}/failed-40d-uid-failed-40d`]);
            const record = JSON.parse(
                fs.readFileSync(
                    path.join(deadLetter, "pipelineruns", today(), "failed-40d-uid-failed-40d", "pipelinerun.json"),
                    "utf8",
                ),
            ) as KubeObj;
            expect(record.metadata.name).to.equal("failed-40d");
            expect(api.names(RUNS)).to.deep.equal([]);
            const second = await runCleanup(dlEnv());
            expect(second.code, second.stdout).to.equal(0);
            expect(entries()).to.deep.equal([`${today()}/failed-40d-uid-failed-40d`]);
        });

        it("removes entries written longer ago than the retention, and keeps younger ones and those an earlier layout filed under their completion day", async () => {
            api.reset({ [RUNS]: [] });
            seedEntry(dayAgo(31), "expired-uid-1", 31);
            seedEntry(dayAgo(29), "young-uid-2", 29);
            // Filed under a completion day 40 days back, but written two days ago.
            seedEntry(dayAgo(40), "legacy-uid-3", 2);
            const result = await runCleanup(dlEnv());
            expect(result.code, result.stdout).to.equal(0);
            expect(entries()).to.deep.equal([`${dayAgo(40)}/legacy-uid-3`, `${dayAgo(29)}/young-uid-2`]);
            expect(
                fs.existsSync(path.join(deadLetter, "pipelineruns", dayAgo(31))),
                "an emptied day folder goes",
            ).to.equal(false);
            expect(result.summaries["dead-letter"]).to.deep.equal({ examined: 3, deleted: 1, kept: 2, failed: 0 });
            expect(result.stdout).to.match(
                new RegExp(`^removed 1 of 1 dead-letter entries of day ${dayAgo(31)}$`, "m"),
            );
        });

        it("counts an entry already on the volume under an earlier day as copied, and writes no second one", async () => {
            api.reset({ [RUNS]: [run("retried", 40 * 24, true)] });
            seedEntry(dayAgo(3), "retried-uid-retried", 3);
            const result = await runCleanup(dlEnv());
            expect(result.code, result.stdout).to.equal(0);
            expect(result.summaries.pipelinerun).to.include({ deleted: 1, deadLettered: 1 });
            expect(entries()).to.deep.equal([`${dayAgo(3)}/retried-uid-retried`]);
        });

        it("keeps a run that was re-created under the same name after the list, and records nothing of the new one", async () => {
            api.reset({ [RUNS]: [run("renamed", 40 * 24, true)] });
            api.hook = (call) =>
                call.method === "GET" && call.path === `${RUNS}/renamed`
                    ? {
                          status: 200,
                          body: { ...run("renamed", 0, false), metadata: { name: "renamed", uid: "uid-other" } },
                      }
                    : undefined;
            const result = await runCleanup(dlEnv());
            expect(result.code, result.stdout).to.equal(0);
            expect(fs.existsSync(path.join(deadLetter, "pipelineruns", today()))).to.equal(false);
        });

        it("flushes each record, its folder, and its new name after the rename (strace)", async function () {
            if (spawnSync("strace", ["-V"]).status !== 0) {
                this.skip();
            }
            api.reset({ [RUNS]: [run("durable", 40 * 24, true)] });
            const trace = path.join(os.tmpdir(), `cleanup-strace-${process.pid}.txt`);
            try {
                const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
                    const child = spawn(
                        "strace",
                        [
                            "-f",
                            "-qq",
                            "-o",
                            trace,
                            "-e",
                            "trace=openat,rename,renameat,renameat2,fsync,fdatasync,close",
                            process.execPath,
                            path.join(REPO_ROOT, "cleanup", "cleanup.js"),
                        ],
                        { env: { PATH: process.env.PATH ?? "", ...dlEnv() } },
                    );
                    let out = "";
                    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
                    child.on("close", (code) => resolve({ code, out }));
                });
                expect(result.code, result.out).to.equal(0);
                const lines = fs
                    .readFileSync(trace, "utf8")
                    .split("\n")
                    .map((l) => l.replace(/^\d+\s+/, ""));
                const dayDir = path.join(deadLetter, "pipelineruns", today());
                const entry = path.join(dayDir, "durable-uid-durable");
                const renameAt = lines.findIndex(
                    (l) => /^rename/.test(l) && l.includes(`"${entry}"`) && / = 0$/.test(l),
                );
                expect(renameAt, "the scratch folder is renamed into place").to.be.above(-1);
                const syncedAfter = (dir: string, from: number): boolean => {
                    for (let i = from; i < lines.length; i++) {
                        const open = new RegExp(
                            `^openat\\(AT_FDCWD, "${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}", [^)]*O_DIRECTORY[^)]*\\) = (\\d+)$`,
                        ).exec(lines[i]);
                        if (
                            open &&
                            lines.slice(i + 1).some((l) => new RegExp(`^fsync\\(${open[1]}\\)\\s+= 0$`).test(l))
                        ) {
                            return true;
                        }
                    }
                    return false;
                };
                expect(syncedAfter(dayDir, renameAt), "the day folder is flushed after the rename").to.equal(true);
                const scratchOpen = lines.findIndex(
                    (l) => l.includes("/.incoming/durable-uid-durable.") && l.includes("O_DIRECTORY"),
                );
                expect(scratchOpen, "the scratch folder is flushed before it is renamed").to.be.within(0, renameAt);
                const recordOpen = lines.findIndex(
                    (l) =>
                        l.includes("/.incoming/durable-uid-durable.") &&
                        l.includes("pipelinerun.json") &&
                        l.includes("O_CREAT"),
                );
                const fd = / = (\d+)$/.exec(lines[recordOpen] ?? "")?.[1];
                expect(
                    lines.slice(recordOpen, renameAt).some((l) => new RegExp(`^fsync\\(${fd}\\)\\s+= 0$`).test(l)),
                    "the record file is flushed before the rename",
                ).to.equal(true);
            } finally {
                fs.rmSync(trace, { force: true });
            }
        });

        describe("confined as in its container", function () {
            this.timeout(300_000);
            before(function () {
                const missing = confinementMissing({ tmpfsBytes: 1, memoryLimitBytes: 1 });
                if (missing) {
                    console.log(`      (skipped: ${missing})`);
                    this.skip();
                }
            });

            it('on a full volume writes no truncated record, says "volume full", keeps the run, and exits 1', async () => {
                const big = {
                    ...run("too-big", 40 * 24, true),
                    spec: { params: [{ name: "log", value: "x".repeat(200_000) }] },
                };
                api.reset({ [RUNS]: [big, run("small", 40 * 24, false)] });
                const result = await runCleanupConfined(dlEnv(), { tmpfsBytes: 64 * 1024 });
                expect(result.code, result.stdout).to.equal(1);
                expect(result.stdout).to.match(
                    /^failed dead-letter copy of pipelinerun\/too-big, so it was kept: network error volume full \(ENOSPC\) at .*: the record of too-big-uid-too-big was not written$/m,
                );
                expect(
                    result.files.filter((f) => !f.endsWith("/") && /\.json$/.test(f)),
                    result.files.join("\n"),
                ).to.deep.equal([]);
                expect(result.files.filter((f) => f.startsWith("pipelineruns/.incoming/"))).to.deep.equal([]);
                expect(api.names(RUNS)).to.deep.equal(["too-big"]);
            });

            it("records and prunes a backlog of 4,000 failed runs of 50 KB each within the CronJob's memory limit", async () => {
                const pulumiYaml = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
                    config: Record<string, { default: string }>;
                };
                const limit = quantityValue(pulumiYaml.config.cleanupMemoryLimit.default);
                const padding = "p".repeat(50_000);
                const backlog = Array.from({ length: 4000 }, (_, i) => ({
                    ...run(`failed-${String(i).padStart(4, "0")}`, 400, true),
                    spec: { params: [{ name: "transcript", value: padding }] },
                }));
                api.reset({ [RUNS]: backlog });
                api.pageSize = 250;
                try {
                    const result = await runCleanupConfined(dlEnv({ CONCURRENCY: "8" }), { memoryLimitBytes: limit });
                    expect(result.code, result.stdout.slice(-2000) + result.stderr).to.equal(0);
                    expect(result.summaries.pipelinerun).to.deep.equal({
                        examined: 4000,
                        deleted: 4000,
                        kept: 0,
                        failed: 0,
                        deadLettered: 4000,
                    });
                    expect(result.files.filter((f) => f.endsWith("/pipelinerun.json"))).to.have.length(4000);
                    expect(api.names(RUNS)).to.deep.equal([]);
                    console.log(
                        `      peak resident memory ${((result.maxRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB under the ${limit / 2 ** 20} MiB limit, ${result.ms} ms`,
                    );
                } finally {
                    api.pageSize = 2;
                }
            });
        });
    });
    describe("the run's record", () => {
        const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;
        const CRONJOBS = `/apis/batch/v1/namespaces/${NS}/cronjobs`;
        const EVENTS = `/api/v1/namespaces/${NS}/events`;
        const NAMES = { CRONJOB_NAME: "abevalflow-cleanup", LAST_RUN_CONFIGMAP: "abevalflow-cleanup-last-run" };
        type ConfigMap = KubeObj & { data?: Record<string, string> };
        type Event = { reason: string; type: string; message: string; involvedObject: Record<string, string> };

        /** The namespace with the CronJob and its empty ConfigMap; PATCH merges data as the API server does, POST keeps the Events. */
        function cluster(objects: Record<string, KubeObj[]>): { events: Event[]; configMap: () => ConfigMap } {
            const configMap: ConfigMap = {
                metadata: { name: NAMES.LAST_RUN_CONFIGMAP, uid: "uid-cm", resourceVersion: "1" },
            };
            api.reset({
                ...objects,
                [CONFIGMAPS]: [configMap],
                [CRONJOBS]: [{ metadata: { name: NAMES.CRONJOB_NAME, uid: "uid-cron", namespace: NS } }],
            });
            const events: Event[] = [];
            api.hook = (call) => {
                if (call.method === "PATCH" && call.path === `${CONFIGMAPS}/${NAMES.LAST_RUN_CONFIGMAP}`) {
                    configMap.data = { ...configMap.data, ...(call.body.data as Record<string, string>) };
                    return { status: 200, body: configMap };
                }
                if (call.method === "POST" && call.path === EVENTS) {
                    events.push(call.body as unknown as Event);
                    return { status: 201, body: call.body };
                }
                return undefined;
            };
            return { events, configMap: () => configMap };
        }

        it("leaves an Event on the CronJob with the summary lines' counts, and the run in the ConfigMap's last run and history", async () => {
            const { events, configMap } = cluster({ [PODS]: [pod("old-0", 48), pod("young-0", 1)] });
            const first = await runCleanup(env(NAMES));
            expect(first.code, first.stdout).to.equal(0);
            expect(first.stdout)
                .to.contain(`recorded the run in ConfigMap ${NAMES.LAST_RUN_CONFIGMAP}`)
                .and.contain(`recorded the run as Event CleanupSucceeded on CronJob ${NAMES.CRONJOB_NAME}`);
            expect(events).to.have.length(1);
            expect(events[0]).to.deep.include({ reason: "CleanupSucceeded", type: "Normal" });
            expect(events[0].involvedObject).to.include({ kind: "CronJob", name: NAMES.CRONJOB_NAME, uid: "uid-cron" });
            const line = /^summary (pod: .*)$/m.exec(first.stdout)?.[1];
            expect(events[0].message)
                .to.match(/^exit 0 in \d+(\.\d+)?s; /)
                .and.contain(`; ${line}`);
            const last = JSON.parse(configMap().data?.[LAST_RUN_KEY] ?? "") as RunRecord;
            expect(last).to.include({ exitCode: 0, outcome: "CleanupSucceeded", dryRun: false, namespace: NS });
            expect(last.kinds.pod).to.include({ examined: 2, deleted: 1, kept: 1, failed: 0 });
        });

        it("a dry run is recorded too, marked as one, and the history grows newest first", async () => {
            const { events, configMap } = cluster({ [PODS]: [pod("old-0", 48)] });
            await runCleanup(env(NAMES));
            const dry = await runCleanup(env({ ...NAMES, DRY_RUN: "true" }));
            expect(dry.code, dry.stdout).to.equal(0);
            expect(events.map((e) => e.message.split(";")[0].replace(/[\d.]+s$/, "Ns"))).to.deep.equal([
                "exit 0 in Ns",
                "dry run, exit 0 in Ns",
            ]);
            const runs = JSON.parse(configMap().data?.[RUNS_KEY] ?? "") as RunRecord[];
            expect(runs.map((r) => r.dryRun)).to.deep.equal([true, false]);
            expect(runs[0].kinds.pod).to.include({ examined: 0, wouldDelete: 0 });
            expect(runs[1].kinds.pod).to.include({ examined: 1, deleted: 1 });
        });

        it("a record it cannot write makes the run exit 1 after cleaning, and says why", async () => {
            const { events } = cluster({ [PODS]: [pod("old-0", 48)] });
            api.collections.set(CONFIGMAPS, []);
            const result = await runCleanup(env(NAMES));
            expect(result.code, result.stdout).to.equal(1);
            expect(api.names(PODS)).to.deep.equal([]);
            expect(result.stdout).to.contain(
                `recording the run failed: reading ConfigMap ${NAMES.LAST_RUN_CONFIGMAP}: 404`,
            );
            expect(result.stdout).to.match(/^done in \d+\.\d\ds: \d+ API requests, exit 1$/m);
            expect(events.map((e) => e.reason)).to.deep.equal(["CleanupIncomplete"]);
        });

        it("a dead-letter directory it cannot write to stops the run with exit 2, recorded with the reason", async () => {
            const { events, configMap } = cluster({ [PODS]: [pod("old-0", 48)] });
            const result = await runCleanup(
                env({ ...NAMES, DEAD_LETTER_DIR: "/nonexistent/dead-letter", DEAD_LETTER_RETENTION_DAYS: "30" }),
            );
            expect(result.code, result.stdout).to.equal(2);
            expect(api.names(PODS), "nothing cleaned").to.deep.equal(["old-0"]);
            const last = JSON.parse(configMap().data?.[LAST_RUN_KEY] ?? "") as RunRecord;
            expect(last).to.include({ exitCode: 2, outcome: "CleanupFailed" });
            expect(last.error).to.match(
                /^configuration: DEAD_LETTER_DIR="\/nonexistent\/dead-letter": expected a writable directory/,
            );
            expect(events[0]).to.include({ reason: "CleanupFailed", type: "Warning" });
            expect(events[0].message).to.contain(last.error);
        });
    });
});
