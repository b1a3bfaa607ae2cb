// The reachability check with the program's objects as a real API server stores them
// (server-side dry run against the local control plane), then judged by np-guard's
// netpolicy against docs/reachability.yaml. tests/reachability.spec.ts runs the same check
// on the objects as the program produced them.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LLM_MODES } from "../../components/config";
import { analyzeRun, formatReports, ModeReport } from "../../scripts/netpol/analyze";
import { widenDns } from "../../scripts/netpol/breaks";
import { ensureNetpolicy } from "../../scripts/netpol/ensure";
import { loadMatrix } from "../../scripts/netpol/matrix";
import { apiServerAvailable } from "../../scripts/netpol/apiserver";
import { runProgram, withMode } from "../harness";

describe("reachability through the API server (np-guard netpolicy)", function () {
    this.timeout(30 * 60_000);
    const matrix = loadMatrix();
    const reports: ModeReport[] = [];
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-netpol-e2e-"));
    let binary = "";

    before(() => {
        if (!apiServerAvailable()) {
            throw new Error("no API server answers on KUBECONFIG: run the e2e suites through `npm run test:e2e`");
        }
        const start = Date.now();
        binary = ensureNetpolicy();
        console.log(`      netpolicy ready in ${Date.now() - start} ms`);
    });

    let failed = false;
    afterEach(function () {
        failed ||= this.currentTest?.state === "failed";
    });
    after(() => {
        // Kept when a test failed: its message names the manifests to look at.
        if (!failed) {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
        if (reports.length > 0) {
            console.log(formatReports(matrix, reports).replace(/^/gm, "      "));
        }
    });

    for (const mode of LLM_MODES) {
        it(`${mode}: the stored policies give exactly the matrix`, async () => {
            const start = Date.now();
            const report = analyzeRun(await runProgram(withMode("dev", mode)), matrix, binary, {
                apiServer: true,
                workDir: path.join(scratch, "matrix"),
            });
            reports.push(report);
            expect(report.source).to.equal("api-server");
            expect(report.failures, `manifests in ${report.dir}`).to.deep.equal([]);
            console.log(`      ${mode}: ${report.results.length} probes in ${Date.now() - start} ms`);
        });
    }

    it("reports a broken policy here too", async () => {
        const report = analyzeRun(await runProgram(withMode("dev", "litellm")), matrix, binary, {
            apiServer: true,
            mutate: widenDns,
            workDir: path.join(scratch, "broken"),
        });
        expect(report.failures).to.include("litellm: trial -> dns UDP/5353: expected allowed, netpolicy says denied");
    });
});
