// The pull-request workflow's credential boundaries, read from the workflow file itself: a
// pull request's code runs in its preview, so what a pull-request job can name is what the
// pull request can use (docs/operations.md, section 10).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { committedStacks } from "../components/config";

interface Job {
    if?: string;
    environment?: string;
    permissions?: Record<string, string>;
    [key: string]: unknown;
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

const FILE = path.join(__dirname, "..", ".github", "workflows", "infrastructure.yml");
/** The only secrets a job outside a protected environment may name: read-only credentials (cluster, Pulumi). */
const READ_ONLY_SECRETS = /^(KUBECONFIG_PREVIEW_[A-Z0-9_]+|PULUMI_PREVIEW_ACCESS_TOKEN)$/;

function workflow(): Workflow {
    return YAML.parse(fs.readFileSync(FILE, "utf8")) as Workflow;
}

/** The secrets a job names: `secrets.NAME`, and `secrets[format('PREFIX_{0}', matrix.stack)]` as PREFIX_STACK. */
function secretsOf(job: Job): string[] {
    const text = JSON.stringify(job);
    return [
        ...new Set([
            ...[...text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]),
            ...[...text.matchAll(/secrets\[format\('([A-Za-z0-9_]+)\{0\}', matrix\.stack\)\]/g)].map(
                (m) => `${m[1]}STACK`,
            ),
        ]),
    ].sort();
}

describe("the workflow's credential boundaries", () => {
    it("previews and audits every stack that has a stack file, and names each stack's secrets by it", () => {
        const jobs = workflow().jobs;
        const step = (jobs.stacks.steps as { id?: string; run?: string }[]).find((st) => st.id === "list");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-stacks-"));
        try {
            const output = path.join(dir, "output");
            execFileSync("bash", ["-euo", "pipefail", "-c", step?.run ?? "exit 1"], {
                cwd: path.join(__dirname, ".."),
                env: { ...process.env, GITHUB_OUTPUT: output },
            });
            const listed = JSON.parse(fs.readFileSync(output, "utf8").replace(/^stacks=/, "")) as string[];
            expect(listed.sort()).to.deep.equal(committedStacks());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        for (const name of ["preview", "audit"]) {
            expect(JSON.stringify(jobs[name].strategy), name).to.contain("fromJSON(needs.stacks.outputs.stacks)");
        }
        expect(secretsOf(jobs.preview)).to.deep.equal(["KUBECONFIG_PREVIEW_STACK", "PULUMI_PREVIEW_ACCESS_TOKEN"]);
        expect(secretsOf(jobs.audit)).to.deep.equal(["KUBECONFIG_STACK"]);
    });

    it("has no trigger that runs a pull request's code with the repository's secrets", () => {
        const triggers = Object.keys(workflow().on);
        expect(triggers).to.not.include("pull_request_target").and.to.not.include("workflow_run");
        expect(triggers).to.include("pull_request");
    });

    it("reads nothing but contents by default", () => {
        expect(workflow().permissions).to.deep.equal({ contents: "read" });
    });

    it("names deploy credentials only in jobs of a protected environment", () => {
        const outside = Object.entries(workflow().jobs)
            .filter(([, job]) => job.environment === undefined)
            .flatMap(([name, job]) =>
                secretsOf(job)
                    .filter((s) => !READ_ONLY_SECRETS.test(s))
                    .map((s) => `${name}: ${s}`),
            );
        expect(outside).to.deep.equal([]);
        // The read-only kubeconfigs are the preview's own and are named nowhere else.
        const preview = Object.entries(workflow().jobs).filter(([, job]) =>
            secretsOf(job).some((s) => READ_ONLY_SECRETS.test(s)),
        );
        // (the stored Pulumi token too: it is read-only by what the docs have it be, and the preview's alone)
        expect(preview.map(([name]) => name)).to.deep.equal(["preview"]);
    });

    it("runs no job of a protected environment for a pull request, and no preview for a fork", () => {
        const jobs = workflow().jobs;
        for (const [name, job] of Object.entries(jobs).filter(([, j]) => j.environment !== undefined)) {
            expect(job.if, `${name} runs only on push, schedule or dispatch`)
                .to.be.a("string")
                .and.not.contain("pull_request");
            expect(job.if).to.match(/github\.event_name == '(push|schedule|workflow_dispatch)'/);
        }
        expect(jobs.preview.if).to.contain("github.event.pull_request.head.repo.full_name == github.repository");
        expect(jobs.preview.environment).to.equal(undefined);
    });

    describe("the preview's Pulumi credential, on every Pulumi Cloud edition", () => {
        interface Step {
            uses?: string;
            name?: string;
            if?: string;
            with?: Record<string, string>;
            env?: Record<string, string>;
            run?: string;
        }
        const steps = (): Step[] => workflow().jobs.preview.steps as Step[];
        const oidc = (): Step | undefined => steps().find((st) => st.uses?.startsWith("pulumi/auth-actions@"));
        const stored = (): Step | undefined => steps().find((st) => st.run?.includes("PULUMI_ACCESS_TOKEN"));
        /** The two forms the steps use, `vars.X == 'v'` and `vars.X != 'v'`; anything else fails the test rather than being guessed. */
        const holds = (condition: string | undefined, vars: Record<string, string>): boolean => {
            const m = /^vars\.([A-Z_]+) (==|!=) '([a-z]+)'$/.exec(condition ?? "");
            if (!m) {
                throw new Error(`a condition this test cannot read: ${JSON.stringify(condition)}`);
            }
            return (vars[m[1]] ?? "") === m[3] ? m[2] === "==" : m[2] === "!=";
        };

        for (const [type, scope, path] of [
            ["", "team:previewers", "oidc"],
            ["team", "team:previewers", "oidc"],
            ["personal", "user:ci-reader", "oidc"],
            ["stored", "", "stored"],
        ]) {
            it(`PULUMI_PREVIEW_TOKEN_TYPE ${JSON.stringify(type)}: exactly one way to a token runs (${path})`, () => {
                const vars = { PULUMI_PREVIEW_TOKEN_TYPE: type, PULUMI_PREVIEW_SCOPE: scope };
                expect(holds(oidc()?.if, vars), "the OIDC exchange").to.equal(path === "oidc");
                expect(holds(stored()?.if, vars), "the stored token").to.equal(path === "stored");
                if (path === "oidc") {
                    const requested = (oidc()?.with?.["requested-token-type"] ?? "").replace(
                        "${{ vars.PULUMI_PREVIEW_TOKEN_TYPE || 'team' }}",
                        type || "team",
                    );
                    expect(requested).to.equal(`urn:pulumi:token-type:access_token:${type || "team"}`);
                    expect(oidc()?.with?.scope).to.equal("${{ vars.PULUMI_PREVIEW_SCOPE }}");
                }
            });
        }

        it("the stored token is a repository secret, which the preview job (no environment) can read, and its step hands it to pulumi", () => {
            expect(workflow().jobs.preview.environment).to.equal(undefined);
            expect(stored()?.env?.TOKEN).to.equal("${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}");
            const docs = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
            expect(docs).to.match(/repository secret `PULUMI_PREVIEW_ACCESS_TOKEN`/);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-token-"));
            try {
                const githubEnv = path.join(dir, "env");
                const runStep = (token: string) =>
                    spawnSync("bash", ["-euo", "pipefail", "-c", stored()?.run ?? "exit 9"], {
                        env: { PATH: process.env.PATH, GITHUB_ENV: githubEnv, TOKEN: token },
                        encoding: "utf8",
                    });
                const given = runStep("pul-0123456789abcdef");
                expect(given.status, given.stderr).to.equal(0);
                expect(fs.readFileSync(githubEnv, "utf8")).to.equal("PULUMI_ACCESS_TOKEN=pul-0123456789abcdef\n");
                expect(given.stdout).to.contain("::add-mask::pul-0123456789abcdef");
                const missing = runStep("");
                expect(missing.status).to.equal(1);
                expect(missing.stdout).to.match(
                    /::error::.*repository secret PULUMI_PREVIEW_ACCESS_TOKEN is empty or missing/,
                );
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});

interface Step {
    uses?: string;
    run?: string;
}

describe("the workflow runs the compiled program and pack", () => {
    it("runs npm ci, with its scripts (prepare: npm run build), before every step that runs Pulumi", () => {
        const scripts = (
            JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
                scripts: Record<string, string>;
            }
        ).scripts;
        expect(scripts.prepare).to.equal("npm run build");
        const runsPulumi = (st: Step): boolean => st.uses?.startsWith("pulumi/actions@") ?? false;
        const jobs = Object.entries(workflow().jobs)
            .map(([name, job]) => [name, (job.steps ?? []) as Step[]] as const)
            .filter(([, steps]) => steps.some(runsPulumi));
        expect(jobs.map(([name]) => name)).to.include("preview");
        for (const [name, steps] of jobs) {
            const install = steps.findIndex((st) => /^npm ci(\s|$)/.test(st.run ?? ""));
            expect(install, `${name}: npm ci before Pulumi`).to.be.within(0, steps.findIndex(runsPulumi) - 1);
            expect(steps[install].run, name).to.not.contain("--ignore-scripts");
        }
    });
});
