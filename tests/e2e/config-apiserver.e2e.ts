// The program's config checks against the API server's own validation. For every key of
// tests/config-table.ts that lands in an object, each value goes to the local API server in the
// objects the program builds with it (server-side apply, dry run, in a namespace of this suite):
//  - a value the program accepts: the program's own rendering of it;
//  - a value the program refuses: the program cannot render it, so it is rendered with the key's
//    stand-in and the value is put wherever the stand-in landed (tests/config-objects.ts). Before
//    a key's values are sent, that placement is shown to give exactly the program's rendering for
//    a value the program accepts, so what the API server judges is what the program would send.
// The API server must accept what the program accepts and refuse what it refuses, except on the
// rows marked stricter (the table gives each its reason), which it must accept. Keys that land
// in no object (none) are listed with the reason at the end; trial-pod keys go in a pod built
// from the published baseline, the ImageStream selector as a list call's labelSelector.
import { expect } from "chai";
import { Manifest, manifestJson, objectsFor, placedMatchesRender } from "../config-objects";
import { CONFIG_TABLE, KeyTable, Row, Verdict } from "../config-table";
import { requireCluster, run } from "./support";
import GO_ZONES from "../../components/timeZones.json";

const NAMESPACE = "abevalflow-e2e-config";
const FIELD_MANAGER = "abevalflow-config-e2e";

interface Outcome {
    readonly row: Row;
    readonly verdict: Verdict;
    readonly sent: number;
    readonly output: string;
}

/** Server-side apply, dry run: the API server's validation and admission, nothing stored. */
function apiServerVerdict(manifests: Manifest[]): { verdict: Verdict; output: string } {
    const inNamespace = manifests.map((m) =>
        m.metadata.namespace === undefined ? m : { ...m, metadata: { ...m.metadata, namespace: NAMESPACE } },
    );
    const r = run(
        "kubectl",
        [
            "apply",
            "--server-side",
            "--dry-run=server",
            `--field-manager=${FIELD_MANAGER}`,
            "--force-conflicts",
            "-f",
            "-",
        ],
        { input: manifestJson(inNamespace) },
    );
    return { verdict: r.status === 0 ? "accept" : "refuse", output: r.output.trim() };
}

/** The API server's label selector parser, as cleanup.js's list calls meet it. */
function selectorVerdict(selector: string): { verdict: Verdict; output: string } {
    const r = run("kubectl", [
        "get",
        "--raw",
        `/api/v1/namespaces/${NAMESPACE}/configmaps?labelSelector=${encodeURIComponent(selector)}`,
    ]);
    return { verdict: r.status === 0 ? "accept" : "refuse", output: r.status === 0 ? "" : r.output.trim() };
}

const expected = (row: Row): Verdict => (row.stricter !== undefined ? "accept" : row.program);
const show = (row: Row): string => `${JSON.stringify(row.value)}${row.with ? ` with ${JSON.stringify(row.with)}` : ""}`;

describe("config checks against the API server's validation", function () {
    this.timeout(30 * 60_000);
    const summary: string[] = [];

    before(() => {
        requireCluster();
        run("kubectl", ["create", "namespace", NAMESPACE]);
        // The trial pods run as the namespace's default ServiceAccount, which admission looks up.
        for (
            let i = 0;
            i < 30 && run("kubectl", ["-n", NAMESPACE, "get", "serviceaccount", "default"]).status !== 0;
            i++
        ) {
            run("sleep", ["1"]);
        }
        run("kubectl", ["-n", NAMESPACE, "create", "serviceaccount", "default"]);
    });
    after(() => {
        run("kubectl", ["delete", "namespace", NAMESPACE, "--wait=false"]);
        const none = CONFIG_TABLE.flatMap((t: KeyTable) =>
            t.lands.kind === "none"
                ? [`  ${t.key}: ${t.rows.length} values, checked on the program's side only: ${t.lands.why}`]
                : [],
        );
        console.log(
            [
                "",
                "values per key (sent to the API server; agreeing; stricter rows the API server accepted):",
                ...summary,
                ...none,
            ].join("\n"),
        );
    });

    const sendable = CONFIG_TABLE.filter((t) => t.lands.kind !== "none");
    for (const table of sendable) {
        it(`${table.key}: the API server agrees on ${table.rows.length} values, except the ${table.rows.filter((r) => r.stricter).length} marked stricter, which it accepts`, async () => {
            const outcomes: Outcome[] = [];
            if (table.lands.kind === "listSelector") {
                for (const row of table.rows) {
                    outcomes.push({ row, sent: 1, ...selectorVerdict(String(row.value)) });
                }
            } else {
                const sample = table.rows.find(
                    (r) =>
                        r.program === "accept" && r.value !== "" && !(Array.isArray(r.value) && r.value.length === 0),
                );
                if (sample) {
                    expect(
                        await placedMatchesRender(table, sample),
                        "placing a value where the stand-in landed gives the program's own objects",
                    ).to.equal(undefined);
                }
                for (const row of table.rows) {
                    const { objects } = await objectsFor(table, row);
                    // An empty list or name the program renders into no object (no ingress policy, no binding) has nothing to send.
                    const judged =
                        objects.length === 0
                            ? { verdict: "accept" as Verdict, output: "(nothing rendered)" }
                            : apiServerVerdict(objects.map((o) => o.manifest));
                    outcomes.push({ row, sent: objects.length, ...judged });
                }
            }
            const wrong = outcomes
                .filter((o) => o.verdict !== expected(o.row))
                .map(
                    (o) =>
                        `${show(o.row)}: program ${o.row.program}s${o.row.stricter ? " (stricter)" : ""}, API server ${o.verdict}s: ${o.output.slice(0, 600)}`,
                );
            const stricter = outcomes.filter((o) => o.row.stricter !== undefined && o.verdict === "accept").length;
            summary.push(
                `  ${table.key}: ${outcomes.length} values, ${outcomes.filter((o) => o.sent > 0).length} sent, ${outcomes.length - wrong.length} agreeing, ${stricter} stricter rows accepted by the API server`,
            );
            expect(wrong).to.deep.equal([]);
        });
    }

    it(`accepts every time-zone name of components/timeZones.json (${GO_ZONES.names.length}, ${GO_ZONES.go}) in a CronJob`, () => {
        const cronJobs = GO_ZONES.names.map((zone, i): Manifest => ({
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: `tz-${i}`, namespace: NAMESPACE },
            spec: {
                schedule: "0 3 * * *",
                timeZone: zone,
                jobTemplate: {
                    spec: {
                        template: {
                            spec: {
                                restartPolicy: "Never",
                                containers: [{ name: "c", image: "registry.example/c@sha256:" + "c".repeat(64) }],
                            },
                        },
                    },
                },
            },
        }));
        const r = run(
            "kubectl",
            ["apply", "--server-side", "--dry-run=server", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
            { input: manifestJson(cronJobs) },
        );
        expect(
            r.status,
            r.output
                .split("\n")
                .filter((l) => /error|invalid/i.test(l))
                .slice(0, 20)
                .join("\n"),
        ).to.equal(0);
        expect(r.stdout.split("\n").filter((l) => /serverside-applied/.test(l))).to.have.length(GO_ZONES.names.length);
    });
});
