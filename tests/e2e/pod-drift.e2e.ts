// Drift that only a running cluster shows, on the nodes, and who puts it right: the proxy
// scaled by hand stays scaled (the Deployment controller keeps the spec it is given) until
// `pulumi refresh` and `up` restore the stack's replicas; a deleted proxy pod and a node that
// was stopped and started are put right by the cluster's own controllers and kubelet, and the
// stack then has nothing to change. docs/operations.md ("Drift") says the same.
import * as path from "path";
import { expect } from "chai";
import { LITELLM } from "../../components/names";
import { readyPods, rolledOut } from "./nodes";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, requireCluster, run } from "./support";

const STACK = "e2e-pod-drift";
const NAMESPACE = "abevalflow-e2e-pod-drift";
const NODES_SH = path.join(REPO_ROOT, "scripts", "local-control-plane", "nodes", "nodes.sh");

interface Deployment {
    spec: { replicas: number };
    status: { readyReplicas?: number };
}

function deployment(): Deployment {
    return kubectlJson<Deployment>(["get", "deployment", LITELLM.name, "-n", NAMESPACE]);
}

function nodeReady(node: string): string {
    return run("kubectl", [
        "get",
        "node",
        node,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]).stdout.trim();
}

describe("pod-level drift on the nodes", function () {
    this.timeout(20 * 60_000);
    const ws = new PulumiWorkspace();
    let replicas = 0;
    let stoppedNode = "";
    /** Preview with a refresh first, as an operator checks for drift: exit 0 when nothing is to change. */
    const nothingToChange = (): void => {
        ws.pulumiOk(["preview", "--refresh", "--expect-no-changes", "-s", STACK, ...ws.policyArgs("dev")]);
    };

    before(() => {
        requireCluster();
        ws.initStack(STACK, "dev", { "abevalflow:namespace": NAMESPACE });
        ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("dev")]);
        replicas = deployment().spec.replicas;
    });
    after(() => {
        if (stoppedNode !== "") {
            run("bash", [NODES_SH, "start-node", stoppedNode.replace("node-", "")]);
        }
        ws.pulumi(["destroy", "--yes", "--skip-preview", "--exclude-protected", "-s", STACK]);
        run("kubectl", ["delete", "namespace", NAMESPACE, "--wait=false"]);
        ws.dispose();
    });

    it("the proxy scaled by hand stays scaled until pulumi refresh and up restore the stack's replicas", () => {
        ok("kubectl", ["scale", `deployment/${LITELLM.name}`, "-n", NAMESPACE, `--replicas=${replicas + 1}`]);
        rolledOut(NAMESPACE, LITELLM.name);
        expect(deployment().status.readyReplicas, "the controller keeps what it was told").to.equal(replicas + 1);
        // A plain preview compares with the state, which knows nothing of the change.
        ws.pulumiOk(["preview", "--expect-no-changes", "-s", STACK, ...ws.policyArgs("dev")]);
        const drift = ws.pulumi(["preview", "--refresh", "--expect-no-changes", "-s", STACK, ...ws.policyArgs("dev")]);
        expect(drift.status, "a refresh sees the drift").to.not.equal(0);
        expect(drift.output).to.match(/1 to update/);
        ws.pulumiOk(["refresh", "--yes", "--skip-preview", "-s", STACK]);
        ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("dev")]);
        rolledOut(NAMESPACE, LITELLM.name);
        expect(deployment().spec.replicas).to.equal(replicas);
        expect(deployment().status.readyReplicas).to.equal(replicas);
        nothingToChange();
    });

    it("a deleted proxy pod is replaced by the ReplicaSet; the stack has nothing to change", () => {
        const [pod] = readyPods(NAMESPACE, LITELLM.podLabels);
        ok("kubectl", ["delete", "pod", pod, "-n", NAMESPACE, "--wait=true"]);
        rolledOut(NAMESPACE, LITELLM.name);
        const now = readyPods(NAMESPACE, LITELLM.podLabels);
        expect(now).to.have.length(replicas);
        expect(now).to.not.include(pod);
        nothingToChange();
    });

    it("a node stopped and started: the kubelet restarts the proxy's pod on it, the stack has nothing to change", () => {
        const [pod] = readyPods(NAMESPACE, LITELLM.podLabels);
        stoppedNode = kubectlJson<{ spec: { nodeName: string } }>(["get", "pod", pod, "-n", NAMESPACE]).spec.nodeName;
        const number = stoppedNode.replace("node-", "");
        ok("bash", [NODES_SH, "stop-node", number]);
        // The node controller marks it once the kubelet's lease expires (40 s by default).
        const deadline = Date.now() + 120_000;
        while (nodeReady(stoppedNode) === "True" && Date.now() < deadline) {
            run("sleep", ["2"]);
        }
        expect(nodeReady(stoppedNode), "the stopped node is no longer Ready").to.not.equal("True");
        ok("bash", [NODES_SH, "start-node", number]);
        stoppedNode = "";
        rolledOut(NAMESPACE, LITELLM.name);
        const after = kubectlJson<{
            metadata: { name: string };
            status: { containerStatuses: { restartCount: number; ready: boolean }[] };
        }>(["get", "pod", pod, "-n", NAMESPACE]);
        // The same pod, bound to the node, run again: short outages are the kubelet's to heal.
        expect(after.status.containerStatuses[0].ready).to.equal(true);
        expect(readyPods(NAMESPACE, LITELLM.podLabels)).to.have.length(replicas);
        nothingToChange();
    });
});
