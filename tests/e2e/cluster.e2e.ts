// One stack, one cluster, through the real engine: the stack's kubeContext selects the
// context of a kubeconfig with two, and its clusterId (kube-system's uid) must match the
// cluster reached, or preview and up stop before anything is sent to the API server.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { kubectlJson, PulumiWorkspace, run, twoContextKubeconfig } from "./support";

const NAMESPACE = "abevalflow-e2e-guard";

describe("the stack's cluster guard on the local control plane", function () {
    this.timeout(10 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-guard-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    const onlyUnreachable = path.join(dir, "kubeconfig-unreachable");
    const ws = new PulumiWorkspace();
    const stack = "e2e-guard";
    let uid = "";
    /** A kubeconfig with the local context alone, for the stack to hold as a secret. */
    let localOnly = "";

    before(() => {
        // The current context reaches nothing: the stack's kubeContext alone decides where it goes.
        const original = twoContextKubeconfig("unreachable");
        fs.writeFileSync(kubeconfig, YAML.stringify(original), { mode: 0o600 });
        localOnly = YAML.stringify({ ...original, clusters: original.clusters.filter((c) => c.name !== "nowhere"),
            contexts: original.contexts.filter((c) => c.name === "local"), "current-context": "local" });
        fs.writeFileSync(onlyUnreachable, YAML.stringify({ ...original, contexts: original.contexts.filter((c) => c.name === "unreachable") }), { mode: 0o600 });
        ws.env.KUBECONFIG = kubeconfig;
        uid = kubectlJson<{ metadata: { uid: string } }>(["get", "namespace", "kube-system"]).metadata.uid;
        ws.initStack(stack, "dev", { "abevalflow:namespace": NAMESPACE, "abevalflow:kubeContext": "local" });
    });
    after(() => {
        ws.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const namespaceExists = (): boolean => run("kubectl", ["get", "namespace", NAMESPACE, "-o", "name"]).status === 0;

    it("refuses a cluster whose kube-system uid is not the stack's, and sends nothing", () => {
        ws.config(stack, "abevalflow:clusterId", "00000000-0000-4000-8000-000000000000");
        for (const command of [["preview"], ["up", "--yes", "--skip-preview"]]) {
            const r = ws.pulumi([...command, "-s", stack]);
            expect(r.status, r.output).to.not.equal(0);
            expect(r.output).to.contain("00000000-0000-4000-8000-000000000000").and.contain(uid).and.contain("context local").and.contain("nothing was changed");
        }
        expect(namespaceExists()).to.equal(false);
    });

    it("stops with the connection error when the stack's context reaches no cluster", () => {
        ws.config(stack, "abevalflow:kubeContext", "unreachable");
        const r = ws.pulumi(["preview", "-s", stack]);
        expect(r.status).to.not.equal(0);
        expect(r.output).to.match(/127\.0\.0\.1:9|connection refused|unreachable/i);
        expect(namespaceExists()).to.equal(false);
    });

    it("deploys through the stack's context when the cluster is its own, whatever the current context", () => {
        ws.config(stack, "abevalflow:kubeContext", "local");
        ws.config(stack, "abevalflow:clusterId", uid);
        ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs("dev")]);
        expect(namespaceExists()).to.equal(true);
        ws.pulumiOk(["destroy", "--yes", "--skip-preview", "-s", stack]);
    });

    it("deploys and migrates through a kubeconfig the stack holds as a secret, where KUBECONFIG has no such context", () => {
        ws.env.KUBECONFIG = onlyUnreachable;
        ws.config(stack, "abevalflow:kubeconfig", localOnly, true);
        try {
            ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs("dev")]);
            expect(namespaceExists()).to.equal(true);
            // The migration decrypts the stack's config with the CLI and gives kubectl the kubeconfig it holds.
            const plan = run("npx", ["ts-node", "--transpile-only", "scripts/migrate/cli.ts", stack], { env: ws.env });
            expect(plan.status, plan.output).to.equal(0);
            // The one object the program did not make is the Vertex key Secret its operator created.
            expect(plan.stdout).to.contain("context local of the stack's kubeconfig (abevalflow:kubeconfig)")
                .and.match(/^ {2}keep +Secret\/vertex-service-account +read by the program/m);
            expect(plan.stdout.split("\n").filter((l) => /^ {2}\S/.test(l) && !/^ {2}keep /.test(l)), plan.stdout).to.deep.equal([]);
            expect(plan.output).to.contain("nothing to change");
            ws.pulumiOk(["destroy", "--yes", "--skip-preview", "-s", stack]);
        } finally {
            ws.env.KUBECONFIG = kubeconfig;
        }
    });
});
