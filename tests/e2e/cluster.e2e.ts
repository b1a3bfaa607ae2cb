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
    const ws = new PulumiWorkspace();
    const stack = "e2e-guard";
    let uid = "";

    before(() => {
        // The current context reaches nothing: the stack's kubeContext alone decides where it goes.
        const original = twoContextKubeconfig("unreachable");
        fs.writeFileSync(kubeconfig, YAML.stringify(original), { mode: 0o600 });
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
            expect(r.output)
                .to.contain("00000000-0000-4000-8000-000000000000")
                .and.contain(uid)
                .and.contain("context local")
                .and.contain("nothing was changed");
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
});
