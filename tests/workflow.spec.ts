// The pull-request workflow's credential boundaries, read from the workflow file itself: a
// pull request's code runs in its preview, so what a pull-request job can name is what the
// pull request can use (docs/operations.md, section 10).
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";

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
/** The only secrets a job outside a protected environment may name: read-only cluster credentials. */
const READ_ONLY_SECRETS = /^KUBECONFIG_PREVIEW_[A-Z0-9_]+$/;

function workflow(): Workflow {
    return YAML.parse(fs.readFileSync(FILE, "utf8")) as Workflow;
}

function secretsOf(job: Job): string[] {
    return [...new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]))].sort();
}

describe("the workflow's credential boundaries", () => {
    it("has no trigger that runs a pull request's code with the repository's secrets", () => {
        const triggers = Object.keys(workflow().on);
        expect(triggers).to.not.include("pull_request_target").and.to.not.include("workflow_run");
        expect(triggers).to.include("pull_request");
    });

    it("reads nothing but contents by default", () => {
        expect(workflow().permissions).to.deep.equal({ contents: "read" });
    });

    it("names deploy credentials only in jobs of a protected environment", () => {
        const outside = Object.entries(workflow().jobs).filter(([, job]) => job.environment === undefined)
            .flatMap(([name, job]) => secretsOf(job).filter((s) => !READ_ONLY_SECRETS.test(s)).map((s) => `${name}: ${s}`));
        expect(outside).to.deep.equal([]);
        // The read-only kubeconfigs are the preview's own and are named nowhere else.
        const preview = Object.entries(workflow().jobs).filter(([, job]) => secretsOf(job).some((s) => READ_ONLY_SECRETS.test(s)));
        expect(preview.map(([name]) => name)).to.deep.equal(["preview"]);
    });

    it("runs no job of a protected environment for a pull request, and no preview for a fork", () => {
        const jobs = workflow().jobs;
        for (const [name, job] of Object.entries(jobs).filter(([, j]) => j.environment !== undefined)) {
            expect(job.if, `${name} runs only on push, schedule or dispatch`).to.be.a("string").and.not.contain("pull_request");
            expect(job.if).to.match(/github\.event_name == '(push|schedule|workflow_dispatch)'/);
        }
        expect(jobs.preview.if).to.contain("github.event.pull_request.head.repo.full_name == github.repository");
        expect(jobs.preview.environment).to.equal(undefined);
    });
});
