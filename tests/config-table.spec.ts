// The program's half of tests/config-table.ts: every value gets the program's verdict the
// table states (tests/e2e/config-apiserver.e2e.ts holds the API server's to it).
import { expect } from "chai";
import { ConfigValidationError, loadConfig, objectConfigSource, SECRET_KEYS } from "../components/config";
import { KeyName, KEYS } from "../components/configKeys";
import { stackValues } from "./config-objects";
import { CONFIG_TABLE, KeyTable, Row } from "./config-table";

function problems(values: Record<string, unknown>): string[] {
    try {
        loadConfig(objectConfigSource(values, [...SECRET_KEYS]));
        return [];
    } catch (e) {
        if (e instanceof ConfigValidationError) {
            return e.problems;
        }
        throw e;
    }
}

/** Why the program's verdict on the row is not the table's, or undefined. */
function disagreement(table: KeyTable, row: Row): string | undefined {
    const found = problems(stackValues(table, row));
    const show = `${JSON.stringify(row.value)}${row.with ? ` with ${JSON.stringify(row.with)}` : ""}`;
    if (row.program === "accept") {
        return found.length === 0 ? undefined : `${show}: accepted in the table, refused: ${found.join(" | ")}`;
    }
    // The refusal must be about this key, the keys the row sets with it, or (for a limit) the
    // request it bounds, on which the rule reports; not about something else.
    const about = [table.key, table.key.replace(/Limit$/, "Request"), ...Object.keys({ ...table.with, ...row.with })];
    return found.some((p) => about.some((k) => p.startsWith(`abevalflow:${k} = `)))
        ? undefined
        : `${show}: refused in the table, but the program ${found.length === 0 ? "accepts it" : `refuses only other keys: ${found.join(" | ")}`}`;
}

describe("config table: the program's verdicts", () => {
    it("has every key the program reads, each with at least 3 values; only refusals are marked stricter, each with its reason", () => {
        const tabled = CONFIG_TABLE.map((t) => t.key);
        expect(
            [...KEYS.keys()].filter((name) => !tabled.includes(name as KeyName)),
            "keys without values in tests/config-table.ts",
        ).to.deep.equal([]);
        expect(
            tabled.filter((name, i) => tabled.indexOf(name) !== i),
            "keys with two tables",
        ).to.deep.equal([]);
        for (const table of CONFIG_TABLE) {
            expect(table.rows.length, table.key).to.be.at.least(3);
            for (const row of table.rows.filter((r) => r.stricter !== undefined)) {
                expect(row.program, `${table.key} ${JSON.stringify(row.value)}`).to.equal("refuse");
                expect(row.stricter, `${table.key} ${JSON.stringify(row.value)}`).to.match(/\w{3}/);
            }
        }
    });

    it("gives every key a stand-in the program accepts", () => {
        for (const table of CONFIG_TABLE) {
            if (table.lands.kind === "objects" || table.lands.kind === "trialPod") {
                expect(problems(stackValues(table, undefined, table.lands.standIn)), table.key).to.deep.equal([]);
            }
        }
    });

    for (const table of CONFIG_TABLE) {
        const stricter = table.rows.filter((r) => r.stricter !== undefined).length;
        const accepted = table.rows.filter((r) => r.program === "accept").length;
        it(`${table.key}: ${table.rows.length} values (${accepted} accepted, ${table.rows.length - accepted} refused, ${stricter} of them deliberately stricter than the API server)`, () => {
            expect(table.rows.map((row) => disagreement(table, row)).filter((d) => d !== undefined)).to.deep.equal([]);
        });
    }
});
