// The real LiteLLM proxy (PyPI litellm[proxy,google] at the version of the pinned image) on the
// config.yaml the program generates, with the Deployment's own args, port and probe paths.
// No cloud credentials: only configuration, auth and probes are exercised.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { checkLiteLLM, ensureLiteLLM, formatReport, LiteLLMReport } from "../../scripts/litellm-check/check";
import { litellmVersionOf } from "../../scripts/litellm-check/deployment";
import { declarations } from "../../components/config";
import { withMode } from "../harness";

function passed(report: LiteLLMReport): void {
    expect(report.failures, `${formatReport(report)}\nlog: ${report.proxyLog}`).to.deep.equal([]);
}

describe("LiteLLM proxy for real (litellm[proxy,google] from PyPI)", function () {
    this.timeout(30 * 60_000);
    let venv = "";
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-litellm-e2e-"));
    let runs = 0;
    const workDir = () => path.join(scratch, String(runs++));
    let failed = false;
    afterEach(function () {
        failed ||= this.currentTest?.state === "failed";
    });
    // Kept when a test failed: the proxy logs are there.
    after(() => failed || fs.rmSync(scratch, { recursive: true, force: true }));

    before(() => {
        const start = Date.now();
        venv = ensureLiteLLM(litellmVersionOf(String(declarations().litellmImage.default)));
        console.log(`      litellm virtualenv ready in ${Date.now() - start} ms (${venv})`);
    });

    it("dev stack: probes answer without a key, /v1/models lists exactly the configured models with the key and refuses without it", async () => {
        const report = await checkLiteLLM(withMode("dev", "litellm"), { venv, workDir: workDir() });
        console.log(formatReport(report).replace(/^/gm, "      "));
        passed(report);
        expect(report.version).to.equal(litellmVersionOf(String(declarations().litellmImage.default)));
        expect(report.started).to.equal(true);
        expect(report.results.map((r) => r.name)).to.include("/v1/models lists exactly the stack's litellmModels");
    });

    it("a model list change shows up in the proxy", async () => {
        const report = await checkLiteLLM(
            withMode("dev", "litellm", { litellmModels: ["gemini-2.5-flash", "pro=gemini-2.5-pro"] }),
            { venv, workDir: workDir() },
        );
        passed(report);
        expect(report.results.find((r) => r.name.startsWith("/v1/models lists"))?.detail)
            .to.contain("listed [")
            .and.contain("pro");
    });

    it("a configuration the program refuses never reaches the proxy", async () => {
        const report = await checkLiteLLM(
            withMode("dev", "litellm", { litellmImage: "ghcr.io/berriai/litellm:main-latest" }),
            { venv, workDir: workDir() },
        );
        expect(report.started).to.equal(false);
        expect(report.failures.join("\n")).to.match(
            /the program refuses this configuration, so the proxy was not started: .*litellmImage/s,
        );
    });

    describe("a deliberately broken generated config is reported", () => {
        it("a model dropped from model_list", async () => {
            const report = await checkLiteLLM(
                withMode("dev", "litellm", { litellmModels: ["gemini-2.5-flash", "pro=gemini-2.5-pro"] }),
                {
                    venv,
                    workDir: workDir(),
                    mutateConfig: (text) => {
                        const doc = YAML.parse(text) as { model_list: unknown[] };
                        doc.model_list = doc.model_list.slice(0, 1);
                        return YAML.stringify(doc);
                    },
                },
            );
            expect(report.started).to.equal(true);
            expect(report.failures.join("\n")).to.match(
                /lists exactly the stack's litellmModels: listed \[gemini-2.5-flash\], configured \[gemini-2.5-flash, pro\]/,
            );
        });

        /**
         * LiteLLM's own defaults (its 50 MB download limit), 127.0.0.1 let through its
         * private-address block to stand for a host on the internet, and, so that nothing leaves
         * the machine, the same Gemini message transformation with an API key and an API base on
         * loopback instead of Vertex AI's OAuth (which would fail before the transformation).
         */
        const bypassable =
            (guard: boolean) =>
            (text: string): string => {
                const doc = YAML.parse(text) as {
                    model_list: { model_name: string }[];
                    litellm_settings: Record<string, unknown>;
                };
                if (!guard) {
                    delete doc.litellm_settings.callbacks;
                }
                doc.litellm_settings.user_url_allowed_hosts = ["127.0.0.1"];
                doc.model_list = doc.model_list.map((m) => ({
                    model_name: m.model_name,
                    litellm_params: {
                        model: "gemini/gemini-2.5-flash",
                        api_key: "not-a-key",
                        api_base: "http://127.0.0.1:9",
                    },
                }));
                return YAML.stringify(doc);
            };

        it("without the URL guard the proxy fetches the image a caller names: the egress bypass", async () => {
            const report = await checkLiteLLM(withMode("dev", "litellm"), {
                venv,
                workDir: workDir(),
                mutateEnv: { MAX_IMAGE_URL_DOWNLOAD_SIZE_MB: "50" },
                mutateConfig: bypassable(false),
            });
            expect(report.started).to.equal(true);
            expect(report.failures.join("\n")).to.match(
                /naming a remote image URL is refused \(400\) and the proxy fetches nothing: HTTP 500 .*the URL's host saw [1-9]\d* connection/s,
            );
        });

        it("the URL guard alone, with LiteLLM's download limit and loopback let through, refuses the request before any fetch", async () => {
            const report = await checkLiteLLM(withMode("dev", "litellm"), {
                venv,
                workDir: workDir(),
                mutateEnv: { MAX_IMAGE_URL_DOWNLOAD_SIZE_MB: "50" },
                mutateConfig: bypassable(true),
            });
            passed(report);
            expect(
                report.results.find((r) => r.name.startsWith("a chat request naming a remote image URL"))?.detail,
            ).to.match(/^HTTP 400 .*url guard.*saw 0 connection/s);
        });

        it("master_key read from an env var the Deployment does not set", async () => {
            const report = await checkLiteLLM(withMode("dev", "litellm"), {
                venv,
                workDir: workDir(),
                mutateConfig: (text) => {
                    const doc = YAML.parse(text) as { general_settings: Record<string, unknown> };
                    doc.general_settings.master_key = "os.environ/LITELLM_MASTERKEY";
                    return YAML.stringify(doc);
                },
            });
            expect(report.started).to.equal(true);
            const failures = report.failures.join("\n");
            expect(failures).to.match(/reads the master key from LITELLM_MASTERKEY, which the Deployment does not set/);
            // An unset os.environ/X is an empty key, and the proxy then serves everyone.
            expect(failures).to.match(/GET \/v1\/models without a key is refused \(401\/403\): HTTP 200/);
        });
    });
});
