// Network reachability, judged by a tool this project did not write: np-guard's netpolicy
// analyzer reads the program's NetworkPolicies and Namespaces (as produced under mocks)
// with representative workloads, and its connectivity list is held to the matrix in
// docs/reachability.yaml. The same analysis through a real API server runs in
// tests/e2e/netpol.e2e.ts.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LLM_MODES, llmMode, LlmMode } from "../components/llmModes";
import { analyzeRun, connAllows, evaluate, parseConn, parseEndpoint } from "../scripts/netpol/analyze";
import {
    cleanupServicePort,
    dropCleanupEgress,
    openLitellmIngress,
    widenDns,
    wrongLitellmPort,
} from "../scripts/netpol/breaks";
import { ensureNetpolicy } from "../scripts/netpol/ensure";
import { buildManifests } from "../scripts/netpol/manifests";
import { expectedVerdict, loadMatrix, parseMatrix } from "../scripts/netpol/matrix";
import { runProgram, withMode } from "./harness";

describe("reachability check: parsing netpolicy output", () => {
    it("reads connection sets as netpolicy prints them", () => {
        const dns = parseConn("TCP 53,5353,UDP 53,5353");
        expect(connAllows(dns, "UDP", 5353)).to.equal(true);
        expect(connAllows(dns, "TCP", 53)).to.equal(true);
        expect(connAllows(dns, "TCP", 80)).to.equal(false);
        expect(connAllows(dns, "SCTP", 53)).to.equal(false);
        expect(connAllows(parseConn("All Connections"), "SCTP", 9)).to.equal(true);
        const gap = parseConn("TCP 1-79,81-65535,UDP");
        expect(connAllows(gap, "TCP", 80)).to.equal(false);
        expect(connAllows(gap, "TCP", 443)).to.equal(true);
        expect(connAllows(gap, "UDP", 7)).to.equal(true);
        expect(() => parseConn("ICMP maybe")).to.throw(/does not understand/);
    });

    it("reads workloads and address ranges", () => {
        expect(parseEndpoint("ab-eval-flow-dev/litellm[Deployment]")).to.deep.equal({
            kind: "workload",
            namespace: "ab-eval-flow-dev",
            name: "litellm",
        });
        expect(parseEndpoint("0.0.0.0-9.255.255.255")).to.deep.equal({
            kind: "range",
            first: 0,
            last: 10 * 2 ** 24 - 1,
        });
        expect(() => parseEndpoint("somewhere")).to.throw(/does not understand/);
    });
});

describe("reachability matrix (docs/reachability.yaml)", () => {
    it("is well formed", () => {
        const matrix = loadMatrix();
        expect(matrix.probes.length).to.be.greaterThan(20);
        expect(matrix.confined.map((c) => c.source)).to.include("trial");
    });

    it("rejects rows that would silently check nothing", () => {
        const text = [
            "external: { public: { ip: 8.8.8.8, description: x } }",
            "probes:",
            "  - { from: trail, to: public, protocol: TCP, port: 443, allowed: all }",
            "  - { from: trial, to: nowhere, protocol: TCP, port: 443, allowed: [] }",
            "  - { from: trial, to: public, protocol: TCP, port: 443, allowed: [litellm], modes: [direct-api] }",
            "  - { from: trial, to: public, protocol: TCP, port: 443, allowed: [litelm] }",
            "  - { from: trial, to: public, protocol: TCP, port: 443 }",
        ].join("\n");
        expect(() => parseMatrix(text, "t.yaml"))
            .to.throw(Error)
            .with.property("message")
            .that.matches(/unknown workload "trail"/)
            .and.matches(/"nowhere" is neither/)
            .and.matches(/allowed in litellm, but the row does not apply/)
            .and.matches(/expected "all" or a list/)
            .and.matches(/allowed: missing/);
    });

    it("has each mode's own connection from trial pods first, allowed in that mode and denied in every other", () => {
        const matrix = loadMatrix();
        LLM_MODES.forEach((mode, i) => {
            const { to, protocol, port } = llmMode(mode).reaches;
            const rows = matrix.probes.filter(
                (p) => p.from === "trial" && p.to === to && p.protocol === protocol && p.port === port,
            );
            expect(rows, `${mode}: trial -> ${to} ${protocol}/${port}`).to.have.length(1);
            expect(matrix.probes.indexOf(rows[0])).to.equal(i);
            for (const other of LLM_MODES) {
                expect(expectedVerdict(rows[0], other), `${mode}'s connection in ${other}`).to.equal(
                    other === mode ? "allowed" : "denied",
                );
            }
        });
    });

    it("refuses a row of the file that repeats a mode's connection, or a mode's connection it cannot resolve", () => {
        const external = "external: { public: { ip: 8.8.8.8, description: x } }";
        expect(() =>
            parseMatrix(
                `${external}\nprobes:\n  - { from: trial, to: public, protocol: TCP, port: 443, allowed: [] }`,
                "t.yaml",
            ),
        ).to.throw(
            /probes\[0\]: trial -> public TCP\/443 is already expected by components\/llmModes\.ts direct-api\.reaches/,
        );
        expect(() =>
            parseMatrix("probes:\n  - { from: trial, to: dns, protocol: UDP, port: 53, allowed: all }", "t.yaml"),
        ).to.throw(
            /components\/llmModes\.ts direct-api\.reaches\.to: "public" is neither a workload nor an external address/,
        );
    });

    it("flags a missing and an unexpected connection in the analyzer's list", async () => {
        const set = buildManifests(await runProgram(withMode("dev", "self-hosted")));
        const ns = set.workloads.trial.namespace;
        const report = evaluate(loadMatrix(), "self-hosted", set, [
            { src: `${ns}/trial[Pod]`, dst: "openshift-dns/dns-default[Pod]", conn: "UDP 53,5353" },
            { src: `${ns}/trial[Pod]`, dst: `${ns}/model-server[Pod]`, conn: "TCP 8000" },
            { src: `${ns}/trial[Pod]`, dst: "11.0.0.0-100.63.255.255", conn: "TCP 443" },
        ]);
        expect(report.failures).to.include(
            "self-hosted: trial -> dns TCP/5353: expected allowed, netpolicy says denied",
        );
        expect(report.unexpected).to.deep.equal([`${ns}/trial[Pod] => 11.0.0.0-100.63.255.255 : TCP 443`]);
    });
});

describe("reachability per llmMode, measured by np-guard netpolicy", function () {
    // The first run builds the analyzer from the Go module proxy into the toolchain cache.
    this.timeout(30 * 60_000);
    const matrix = loadMatrix();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-netpol-spec-"));
    let binary = "";
    before(() => {
        binary = ensureNetpolicy();
    });
    let failed = false;
    afterEach(function () {
        failed ||= this.currentTest?.state === "failed";
    });
    // Kept when a test failed: its message names the manifests to look at.
    after(() => failed || fs.rmSync(workDir, { recursive: true, force: true }));

    let runs = 0;
    const analyze = async (
        mode: LlmMode,
        extra: Record<string, unknown> = {},
        mutate?: NonNullable<Parameters<typeof analyzeRun>[3]>["mutate"],
    ) =>
        analyzeRun(await runProgram(withMode("dev", mode, extra)), matrix, binary, {
            apiServer: false,
            mutate,
            workDir: path.join(workDir, String(runs++)),
        });

    for (const mode of LLM_MODES) {
        it(`${mode}: the program's policies give exactly the matrix`, async () => {
            const report = await analyze(mode);
            expect(report.failures, `manifests in ${report.dir}`).to.deep.equal([]);
            expect(report.results.length).to.be.greaterThan(15);
            const { to, protocol } = llmMode(mode).reaches;
            const own = report.results.filter(
                (r) =>
                    r.probe.from === "trial" &&
                    r.probe.to === to &&
                    r.probe.protocol === protocol &&
                    r.measured === "allowed",
            );
            expect(
                own.map((r) => r.name),
                `${mode}'s own connection`,
            ).to.have.length(1);
            const cleanup = report.results.filter((r) => r.probe.from === "cleanup");
            expect(cleanup.find((r) => r.name === "cleanup -> apiserver-endpoint TCP/6443")?.measured).to.equal(
                "allowed",
            );
            expect(cleanup.find((r) => r.name === "cleanup -> public TCP/443")?.measured).to.equal("denied");
        });
    }

    it("self-hosted: follows the model server to another namespace, labels and port", async () => {
        const report = await analyze("self-hosted", {
            selfHostedNamespace: "models",
            selfHostedPodLabels: ["app=vllm"],
            selfHostedPort: 11434,
        });
        expect(report.failures, `manifests in ${report.dir}`).to.deep.equal([]);
        expect(report.results.find((r) => r.name === "trial -> model-server TCP/11434")?.measured).to.equal("allowed");
    });

    describe("a deliberately broken policy is reported", () => {
        it("no default-deny and DNS on 53 to every namespace (the original's rule)", async () => {
            const report = await analyze("direct-api", {}, widenDns);
            expect(report.failures).to.include(
                "direct-api: trial -> dns UDP/5353: expected allowed, netpolicy says denied",
            );
            expect(
                report.unexpected.some((u) => /trial\[Pod\] => other-tenant\/tenant\[Pod\] : .*53/.test(u)),
                report.unexpected.join("\n"),
            ).to.equal(true);
        });

        it("the trial allow rule names the wrong proxy port", async () => {
            const report = await analyze("litellm", {}, wrongLitellmPort);
            expect(report.failures).to.include(
                "litellm: trial -> litellm TCP/4000: expected allowed, netpolicy says denied",
            );
        });

        it("the cleanup job loses its egress policies", async () => {
            const report = await analyze("litellm", {}, dropCleanupEgress);
            expect(report.failures).to.include.members([
                "litellm: cleanup -> public TCP/443: expected denied, netpolicy says allowed",
                "litellm: cleanup -> metadata TCP/80: expected denied, netpolicy says allowed",
            ]);
            expect(
                report.unexpected.some((u) => /abevalflow-cleanup\[CronJob\] => /.test(u)),
                report.unexpected.join("\n"),
            ).to.equal(true);
        });

        it("the cleanup job's API server rule names the Service port 443 instead of the endpoints' 6443", async () => {
            const report = await analyze("direct-api", {}, cleanupServicePort);
            expect(report.failures).to.include(
                "direct-api: cleanup -> apiserver-endpoint TCP/6443: expected allowed, netpolicy says denied",
            );
        });

        it("the proxy loses its ingress isolation", async () => {
            const report = await analyze("litellm", {}, openLitellmIngress);
            expect(report.failures).to.include.members([
                "litellm: same-namespace -> litellm TCP/4000: expected denied, netpolicy says allowed",
                "litellm: other-namespace -> litellm TCP/4000: expected denied, netpolicy says allowed",
            ]);
        });
    });
});
