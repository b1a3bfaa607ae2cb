// npm run dead-letter's reader, run by node on a folder laid out as the cleanup writes the
// claim: records found by their pipelinerun.json, the unfinished ones in .incoming left out.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { DeadLetterEntry, readerScript } from "../scripts/dead-letter/cli";

describe("the dead-letter reader", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dead-letter-"));
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
    };
    before(() => {
        write("pipelineruns/2026-12-07/pr-b-2/pipelinerun.json", '{"metadata":{"name":"pr-b"}}');
        write("pipelineruns/2026-12-07/pr-b-2/taskruns.json", '{"items":[]}');
        write("pipelineruns/2026-11-30/pr-a-1/pipelinerun.json", '{"metadata":{"name":"pr-a"}}');
        write("pipelineruns/.incoming/pr-c-3/pipelinerun.json", '{"trunc');
        fs.mkdirSync(path.join(root, "pipelineruns/2026-12-01"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));
    const read = (show?: string): DeadLetterEntry[] =>
        JSON.parse(
            execFileSync(process.execPath, ["-e", readerScript(show, root)], { encoding: "utf8" }),
        ) as DeadLetterEntry[];

    it("lists every finished record, oldest day first, with its files and sizes and no content", () => {
        expect(read()).to.deep.equal([
            { entry: "pipelineruns/2026-11-30/pr-a-1", files: [{ path: "pipelinerun.json", bytes: 28 }] },
            {
                entry: "pipelineruns/2026-12-07/pr-b-2",
                files: [
                    { path: "pipelinerun.json", bytes: 28 },
                    { path: "taskruns.json", bytes: 12 },
                ],
            },
        ]);
    });

    it("gives the content of the one record asked for", () => {
        const entries = read("pipelineruns/2026-12-07/pr-b-2");
        expect(entries[1].files.map((f) => f.content)).to.deep.equal(['{"metadata":{"name":"pr-b"}}', '{"items":[]}']);
        expect(entries[0].files[0].content).to.equal(undefined);
    });

    it("finds nothing on a claim the cleanup never wrote", () => {
        expect(
            JSON.parse(
                execFileSync(process.execPath, ["-e", readerScript(undefined, path.join(root, "absent"))], {
                    encoding: "utf8",
                }),
            ),
        ).to.deep.equal([]);
    });
});
