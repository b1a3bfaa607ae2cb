// The offline checker as teams run it: `npm run --silent policy:check -- ...` in a subprocess,
// so exit codes, stdout and stderr are the real ones.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Violation } from "../policy/checker/engine";

const ROOT = path.resolve(__dirname, "..");
const FIXTURES = "tests/fixtures/policy-yaml";
const DEV = "policy/config/dev.json";
const PROD = "policy/config/prod.json";

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function check(args: string[], input?: string): Run {
    const run = spawnSync("npm", ["run", "--silent", "policy:check", "--", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        input,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr.replace(/^npm warn .*\n/gm, "") };
}

function json(run: Run): Violation[] {
    return JSON.parse(run.stdout) as Violation[];
}

function caught(violations: Violation[], policy: string, kind: string, name: string, text: string): boolean {
    return violations.some(
        (v) => v.policy === policy && v.kind === kind && v.name === name && v.message.includes(text),
    );
}

describe("policy:check (the offline checker)", function () {
    this.timeout(60_000);

    it("exits 0 on the fixed configuration, even under the prod config where every rule blocks", () => {
        const run = check(["--config", PROD, `${FIXTURES}/compliant`]);
        expect(run.stderr).to.equal("");
        expect(run.stdout).to.equal("no violations in 18 objects from 4 files\n");
        expect(run.status).to.equal(0);
    });

    describe("on a reproduction of the reviewed config/ folder", () => {
        let run: Run;
        let found: Violation[];
        before(() => {
            run = check(["--json", "--config", DEV, `${FIXTURES}/original-config`]);
            found = json(run);
        });

        it("exits 1", () => {
            expect(run.status).to.equal(1);
        });

        const defects: [string, string, string, string, string][] = [
            ["floating LiteLLM tag", "pinned-images", "Deployment", "litellm", 'floating tag "main-latest"'],
            ["unpinned CLI image", "pinned-images", "CronJob", "abevalflow-cleanup", "pipelines-cli-tkn-rhel9:latest"],
            [
                "pipeline ServiceAccount on the proxy",
                "dedicated-service-account",
                "Deployment",
                "litellm",
                '"pipeline"',
            ],
            [
                "pipeline ServiceAccount on the cleanup job",
                "dedicated-service-account",
                "CronJob",
                "abevalflow-cleanup",
                '"pipeline"',
            ],
            ["unscoped secrets get", "scoped-secret-access", "Role", "pipeline-trial-manager", "no resourceNames"],
            [
                "DNS to every namespace",
                "default-deny-plus-allow",
                "NetworkPolicy",
                "trial-allow-litellm",
                "every namespace",
            ],
            [
                "INSTEAD OF default-deny annotation",
                "default-deny-plus-allow",
                "NetworkPolicy",
                "trial-allow-direct-api",
                "instead of the default-deny",
            ],
            [
                "three mode policies at once",
                "default-deny-plus-allow",
                "NetworkPolicy",
                "trial-allow-self-hosted",
                "3 egress allow policies",
            ],
            ["LiteLLM probed on /health", "deployment-probes", "Deployment", "litellm", '"/health"'],
            ["HA proxy without a PDB", "replicated-deployment-pdb", "Deployment", "litellm", "2 replicas"],
            ["--keep fed with days", "prune-by-age", "ConfigMap", "abevalflow-cleanup-script", "PIPELINERUN_AGE_DAYS"],
            [
                "metadata endpoint reachable",
                "egress-excepts-internal",
                "NetworkPolicy",
                "trial-allow-direct-api",
                "169.254.0.0/16",
            ],
            ["DNS on port 53 only", "dns-egress-ports", "NetworkPolicy", "trial-allow-litellm", "5353/UDP"],
            ["quota without LimitRange", "quota-has-limitrange", "ResourceQuota", "abevalflow-quota", "no LimitRange"],
            [
                "claims deleted with the stack",
                "pvc-retained",
                "PersistentVolumeClaim",
                "abevalflow-workspace",
                "retain annotation",
            ],
        ];
        for (const [defect, policy, kind, name, text] of defects) {
            it(`catches the ${defect} (${policy})`, () => {
                expect(
                    caught(found, policy, kind, name, text),
                    JSON.stringify(
                        found.filter((v) => v.policy === policy),
                        null,
                        1,
                    ),
                ).to.equal(true);
            });
        }
    });

    it("exits 1 on an allow policy applied INSTEAD OF default-deny, with no deny beside it", () => {
        const run = check([`${FIXTURES}/instead-of-deny`]);
        expect(run.status).to.equal(1);
        expect(run.stdout).to.match(
            /^mandatory default-deny-plus-allow NetworkPolicy\/ab-eval-flow\/trial-allow-litellm: allows egress .* no separate default-deny/m,
        );
        expect(run.stdout).to.match(/^2 violations \(2 mandatory, 0 advisory\) in 1 object from 1 file$/m);
    });

    it("prints JSON on stdout only: an array of {policy, enforcementLevel, kind, namespace, name, message}", () => {
        const run = check(["--json", `${FIXTURES}/instead-of-deny`]);
        const found = json(run);
        expect(run.stderr).to.equal("");
        expect(found).to.have.length(2);
        for (const v of found) {
            expect(Object.keys(v)).to.deep.equal([
                "policy",
                "enforcementLevel",
                "kind",
                "namespace",
                "name",
                "message",
            ]);
            expect(v).to.include({
                policy: "default-deny-plus-allow",
                enforcementLevel: "mandatory",
                kind: "NetworkPolicy",
                namespace: "ab-eval-flow",
                name: "trial-allow-litellm",
            });
            expect(v.message).to.include("Remediation:");
        }
        expect(json(check(["--json", `${FIXTURES}/compliant`]))).to.deep.equal([]);
    });

    it("exits 0 when every violation is advisory, still listing them, and notes skipped non-Kubernetes documents", () => {
        const run = check(["--config", DEV, `${FIXTURES}/advisory-only`]);
        expect(run.status).to.equal(0);
        expect(run.stdout).to.match(/^advisory pvc-retained PersistentVolumeClaim\/ab-eval-flow\/scratch: /m);
        expect(run.stderr).to.include("skipped 1 document without apiVersion and kind").and.include("values.yaml#1");
    });

    it("exits 1 on the same input when the prod config makes the rule mandatory", () => {
        expect(check(["--config", PROD, `${FIXTURES}/advisory-only`]).status).to.equal(1);
    });

    it("exits 2 on YAML that does not parse, naming the file and line, with nothing on stdout", () => {
        const run = check(["--json", `${FIXTURES}/malformed`]);
        expect(run.status).to.equal(2);
        expect(run.stdout).to.equal("");
        expect(run.stderr).to.include(`${FIXTURES}/malformed/deployment.yaml:5:`).and.include("YAML does not parse");
    });

    it("exits 2 on a path that cannot be read", () => {
        const run = check([`${FIXTURES}/no-such-dir`]);
        expect(run.status).to.equal(2);
        expect(run.stderr).to.include("no-such-dir: cannot read");
    });

    describe("exits 2 when a path holds no Kubernetes object, naming it, so a mistyped or empty path cannot pass in CI", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-empty-"));
            fs.mkdirSync(path.join(dir, "empty"));
            fs.mkdirSync(path.join(dir, "values-only"));
            fs.writeFileSync(path.join(dir, "values-only", "values.yaml"), "replicas: 2\nimage: quay.io/x/y:latest\n");
            fs.mkdirSync(path.join(dir, "not-yaml"));
            fs.writeFileSync(path.join(dir, "not-yaml", "README.md"), "# manifests go here\n");
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("an empty directory", () => {
            const run = check(["--json", path.join(dir, "empty")]);
            expect(run.status).to.equal(2);
            expect(run.stdout).to.equal("");
            expect(run.stderr).to.equal(
                `policy-check: ${path.join(dir, "empty")}: no Kubernetes objects to check: ` +
                    "the directory holds no *.yaml or *.yml files (hidden directories and node_modules are not read)\n",
            );
        });

        it("a directory with files but no YAML", () => {
            const run = check([path.join(dir, "not-yaml")]);
            expect(run.status).to.equal(2);
            expect(run.stderr).to.include(`${path.join(dir, "not-yaml")}: no Kubernetes objects to check`);
        });

        it("a directory whose YAML holds no document with apiVersion and kind", () => {
            const run = check([path.join(dir, "values-only")]);
            expect(run.status).to.equal(2);
            expect(run.stderr).to.include(
                `${path.join(dir, "values-only")}: no Kubernetes objects to check: read 1 file but found no document with apiVersion and kind (skipped 1 other)`,
            );
        });

        it("empty standard input", () => {
            const run = check(["-"], "");
            expect(run.status).to.equal(2);
            expect(run.stderr).to.include("standard input: no Kubernetes objects to check");
        });

        it("one empty path beside a good one, naming each empty one", () => {
            const run = check([`${FIXTURES}/compliant`, path.join(dir, "empty"), path.join(dir, "values-only")]);
            expect(run.status).to.equal(2);
            expect(run.stdout).to.equal("");
            expect(run.stderr)
                .to.include("no Kubernetes objects to check in 2 of the paths given")
                .and.include(`${path.join(dir, "empty")}: the directory holds no`)
                .and.include(`${path.join(dir, "values-only")}: read 1 file`)
                .and.not.include(`${FIXTURES}/compliant:`);
        });
    });

    describe("sees every file it is given, and refuses what is no file at once", () => {
        let dir: string;
        const pod = (name: string, image: string) =>
            `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ns}\nspec: {containers: [{name: c, image: "${image}"}]}\n`;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-files-"));
            fs.mkdirSync(path.join(dir, "elsewhere"));
            fs.writeFileSync(path.join(dir, "elsewhere", "floating.yaml"), pod("floating", "quay.io/x/y:latest"));
            fs.mkdirSync(path.join(dir, "linked"));
            fs.symlinkSync(path.join(dir, "elsewhere", "floating.yaml"), path.join(dir, "linked", "pod.yaml"));
            fs.mkdirSync(path.join(dir, "looped"));
            fs.writeFileSync(path.join(dir, "looped", "pod.yaml"), pod("looped", "quay.io/x/y:latest"));
            fs.symlinkSync(path.join(dir, "looped"), path.join(dir, "looped", "again"));
            fs.mkdirSync(path.join(dir, "fifo"));
            spawnSync("mkfifo", [path.join(dir, "fifo", "pipe.yaml")]);
            const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
            for (let i = 1; i < 8; i++) {
                levels.push(
                    `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
                        .fill(`*${String.fromCharCode(96 + i)}`)
                        .join(", ")}]`,
                );
            }
            fs.writeFileSync(
                path.join(dir, "bomb.yaml"),
                `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.map((l) => `  ${l}`).join("\n")}\n`,
            );
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("follows a symlinked manifest in a directory: its violation is reported", () => {
            const run = check(["--json", "--config", PROD, path.join(dir, "linked")]);
            expect(run.status, run.stderr).to.equal(1);
            expect(json(run).some((v) => v.name === "floating" && v.policy === "pinned-images")).to.equal(true);
        });

        it("reads a directory that links back to itself once, without looping", () => {
            const run = check(["--json", "--config", PROD, path.join(dir, "looped")]);
            expect(run.status, run.stderr).to.equal(1);
            expect(json(run).filter((v) => v.name === "looped" && v.policy === "pinned-images")).to.have.length(1);
        });

        it("exits 2 at once on a FIFO with a manifest's name in a directory, and on a device given as a path", () => {
            const fifo = check([path.join(dir, "fifo")]);
            expect(fifo.status).to.equal(2);
            expect(fifo.stderr).to.include(`${path.join(dir, "fifo", "pipe.yaml")}: is a FIFO, not a regular file`);
            const device = check(["/dev/zero"]);
            expect(device.status).to.equal(2);
            expect(device.stderr).to.include("/dev/zero: is a device, not a regular file");
        });

        it("exits 2 on an alias bomb, naming the document, instead of walking a hundred million values", () => {
            const run = check([path.join(dir, "bomb.yaml")]);
            expect(run.status).to.equal(2);
            expect(run.stderr)
                .to.include(
                    `${path.join(dir, "bomb.yaml")}#1: expands to more than 1,000,000 values through YAML aliases`,
                )
                .and.not.include("internal error");
        });
    });

    it("exits 1 on an IPv6 egress to ::/0 without excepts under the prod config, and on a Role whose verbs is a string", () => {
        const manifest = [
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ab-eval-flow}\nspec: {podSelector: {matchLabels: {app: x}}, policyTypes: [Egress]}",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: v6, namespace: ab-eval-flow}\n" +
                "spec: {podSelector: {matchLabels: {app: x}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: '::/0'}}], ports: [{protocol: TCP, port: 443}]}]}",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: ab-eval-flow}\nrules: [{apiGroups: [''], resources: secrets, verbs: '*'}]",
        ].join("\n---\n");
        const run = check(["--json", "--config", PROD, "-"], manifest);
        expect(run.status).to.equal(1);
        const found = json(run);
        expect(
            caught(found, "egress-excepts-internal", "NetworkPolicy", "v6", "ipBlock ::/0 does not except fc00::/7"),
        ).to.equal(true);
        expect(
            caught(found, "scoped-secret-access", "Role", "reader", 'rules[0].resources is the string "secrets"'),
        ).to.equal(true);
        expect(found.map((v) => v.policy).sort()).to.deep.equal(["egress-excepts-internal", "scoped-secret-access"]);
    });

    it("exits 2 on a policy config the pack would refuse, naming the problem", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-")), "bad.json");
        fs.writeFileSync(file, JSON.stringify({ "pinned-images": { enforcementLevel: "blocking" } }));
        const run = check(["--config", file, `${FIXTURES}/compliant`]);
        expect(run.status).to.equal(2);
        expect(run.stderr).to.include(
            "pinned-images.enforcementLevel must be one of advisory, mandatory, remediate, disabled",
        );
    });

    it("exits 2 with usage when given nothing to check or an unknown option", () => {
        expect(check([]).stderr).to.include("no file or directory to check").and.include("usage:");
        expect(check(["--strict", "x"]).status).to.equal(2);
    });

    it("gives the same answer from a fresh compile cache, a warm one, and none at all", () => {
        const cache = path.join(ROOT, "node_modules", ".cache", "abevalflow-policy-check");
        const args = ["--json", `${FIXTURES}/original-config`];
        fs.rmSync(cache, { recursive: true, force: true });
        const cold = check(args);
        expect(fs.readdirSync(cache)).to.have.length(1);
        const warm = check(args);
        fs.rmSync(cache, { recursive: true, force: true });
        // A file where the cache directory should be makes the cache unusable.
        fs.writeFileSync(cache, "");
        let uncached: Run;
        try {
            uncached = check(args);
        } finally {
            fs.rmSync(cache, { force: true });
        }
        expect(uncached.stderr).to.include("cannot use the compile cache");
        for (const run of [warm, uncached]) {
            expect(run.status).to.equal(cold.status);
            expect(run.stdout).to.equal(cold.stdout);
        }
        expect(json(cold).length).to.be.greaterThan(20);
    });

    it("reads standard input for `-`, as `helm template . | policy:check -- -` does", () => {
        const manifest = fs.readFileSync(path.join(ROOT, FIXTURES, "original-config/litellm/deployment.yaml"), "utf8");
        const run = check(["--json", "-"], manifest);
        expect(run.status).to.equal(1);
        expect(json(run).map((v) => v.policy)).to.include("pinned-images");
    });
});
