// The pull-request gate's identity through the real engine: a dev-based stack deployed by the
// admin, then `pulumi preview` and `pulumi up` with a kubeconfig holding only a token of the
// program's read-only ServiceAccount (pulumi-preview), as the PR workflow runs them. Previews
// pass, with and without a change; up is refused and nothing on the cluster changes; a stack
// that holds a kubeconfig able to deploy is refused before anything is sent; the authorizer
// refuses Secrets and every write.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { trialAdmissionName } from "../../components/admission";
import { NETWORK_POLICIES, PREVIEW_IDENTITY } from "../../components/names";
import { previewClusterName, PREVIEW_READABLE_KINDS } from "../../components/rbac";
import { canI, rbacTable } from "./rbac-table";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, requireCluster, run } from "./support";

interface Kubeconfig {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
    "current-context": string;
}
interface Obj {
    kind: string;
    metadata: { name: string; namespace?: string; resourceVersion?: string; managedFields?: unknown };
    status?: unknown;
}

const NAMESPACE = "abevalflow-e2e-preview";
const STACK = "e2e-preview";
const SA = PREVIEW_IDENTITY.name;

/** Everything the program manages, without what controllers write (status, versions), by kind/name. */
function clusterSnapshot(): Record<string, string> {
    const kinds = Object.entries(PREVIEW_READABLE_KINDS).flatMap(([group, resources]) =>
        resources.map((r) => (group ? `${r}.${group}` : r)),
    );
    const namespaced = kubectlJson<{ items: Obj[] }>(["get", [...kinds, "secrets"].join(","), "-n", NAMESPACE]).items;
    const clusterScoped = [
        ["namespace", NAMESPACE],
        ["clusterrole", previewClusterName(NAMESPACE)],
        ["clusterrolebinding", previewClusterName(NAMESPACE)],
        ["validatingadmissionpolicy", trialAdmissionName(NAMESPACE)],
        ["validatingadmissionpolicybinding", trialAdmissionName(NAMESPACE)],
    ].map(([kind, name]) => kubectlJson<Obj>(["get", kind, name]));
    return Object.fromEntries(
        [...namespaced, ...clusterScoped].map((o) => {
            const { status: _status, ...rest } = o;
            const { resourceVersion: _version, managedFields: _fields, ...metadata } = o.metadata;
            return [`${o.kind}/${o.metadata.name}`, JSON.stringify({ ...rest, metadata })];
        }),
    );
}

describe("the read-only preview identity through the real engine", function () {
    this.timeout(15 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-preview-"));
    // The provider takes the KUBECONFIG path as its kubeconfig input (@pulumi/kubernetes
    // provider.js:43) and plans an update of itself when the path differs from the one in the
    // state (provider.go:379, DiffConfig). So, as the workflow does with $RUNNER_TEMP/kubeconfig,
    // both identities use one path, which holds the admin's or the preview's file in turn.
    const kubeconfig = path.join(dir, "kubeconfig");
    const previewKubeconfig = path.join(dir, "preview.kubeconfig");
    let adminKubeconfig = "";
    const admin = new PulumiWorkspace();
    // The same backend and stack, run with the preview kubeconfig only.
    const asPreview = new PulumiWorkspace(REPO_ROOT, admin);
    const use = (file: string): void => fs.copyFileSync(file, kubeconfig);
    const adminPulumi = (args: string[]) => {
        use(adminKubeconfig);
        return admin.pulumiOk(args);
    };
    const previewPulumi = (args: string[], expectOk = true) => {
        use(previewKubeconfig);
        return expectOk ? asPreview.pulumiOk(args) : asPreview.pulumi(args);
    };

    before(() => {
        adminKubeconfig = requireCluster();
        admin.env.KUBECONFIG = kubeconfig;
        asPreview.env.KUBECONFIG = kubeconfig;
        const uid = kubectlJson<{ metadata: { uid: string } }>(["get", "namespace", "kube-system"]).metadata.uid;
        // clusterId: every preview reads namespace kube-system, as a real stack's does.
        admin.initStack(STACK, "dev", { "abevalflow:namespace": NAMESPACE, "abevalflow:clusterId": uid });
        // apiServerCidrs is empty: every preview reads EndpointSlice default/kubernetes, which the nodes' cluster publishes.
        const up = adminPulumi(["up", "--yes", "--skip-preview", "-s", STACK, ...admin.policyArgs("dev")]);
        console.log(`      admin up: ${up.ms} ms`);

        // The kubeconfig docs/operations.md (section 10) has an operator build for the PR
        // workflow: the admin's cluster entry and a token of the ServiceAccount, nothing else.
        const token = ok("kubectl", ["create", "token", SA, "-n", NAMESPACE, "--duration", "1h"]).stdout.trim();
        const original = YAML.parse(fs.readFileSync(adminKubeconfig, "utf8")) as Kubeconfig;
        const context = original.contexts.find((c) => c.name === original["current-context"]);
        const cluster = original.clusters.find((c) => c.name === context?.context.cluster);
        if (!cluster) {
            throw new Error("the local kubeconfig has no current cluster");
        }
        const preview = {
            apiVersion: "v1",
            kind: "Config",
            clusters: [cluster],
            users: [{ name: SA, user: { token } }],
            contexts: [{ name: "preview", context: { cluster: cluster.name, user: SA, namespace: NAMESPACE } }],
            "current-context": "preview",
        };
        fs.writeFileSync(previewKubeconfig, YAML.stringify(preview), { mode: 0o600 });
    });
    after(() => {
        use(adminKubeconfig);
        admin.pulumi(["destroy", "--yes", "--skip-preview", "-s", STACK]);
        asPreview.dispose();
        admin.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the kubeconfig is the ServiceAccount's and nothing more", () => {
        const whoami = ok("kubectl", ["auth", "whoami", "-o", "json"], {
            env: { KUBECONFIG: previewKubeconfig },
        }).stdout;
        expect(
            (JSON.parse(whoami) as { status: { userInfo: { username: string } } }).status.userInfo.username,
        ).to.equal(`system:serviceaccount:${NAMESPACE}:${SA}`);
        const secrets = run("kubectl", ["get", "secrets", "-n", NAMESPACE], { env: { KUBECONFIG: previewKubeconfig } });
        expect(secrets.status).to.not.equal(0);
        expect(secrets.output).to.match(/forbidden/i);
    });

    it("preview with the policy pack passes and expects no changes when nothing changed", () => {
        const r = previewPulumi(["preview", "--expect-no-changes", "-s", STACK, ...asPreview.policyArgs("dev")]);
        expect(r.output).to.match(/\d+ unchanged/);
        expect(r.output).to.not.match(/mandatory|forbidden/i);
        console.log(`      preview as ${SA}, no change: ${r.ms} ms`);
    });

    it("preview shows the update and the create when config values changed", () => {
        admin.config(STACK, "abevalflow:quotaPods", "21");
        // A new object too: the trial ingress allow policy.
        admin.config(STACK, "abevalflow:trialIngressPorts[0]", "8080", { path: true });
        // Verbose, for the provider's own log line: the server-side dry run was refused and the
        // planned state is the inputs (provider.go, Update, apierrors.IsForbidden while previewing).
        const r = previewPulumi([
            "preview",
            "--diff",
            "--logtostderr",
            "--logflow",
            "-v=9",
            "-s",
            STACK,
            ...asPreview.policyArgs("dev"),
        ]);
        expect(r.output)
            .to.match(/1 to update/)
            .and.match(/1 to create/);
        expect(r.output).to.match(/pods\s*:\s*"20"\s*=>\s*"21"/);
        expect(r.output).to.match(/could not preview Update\([^)]*kubernetes:core\/v1:ResourceQuota::quota\)/);
        expect(r.output).to.match(/unable to compute Server-side dry-run and defaulting to client-side: .*forbidden/i);
        const strict = previewPulumi(
            ["preview", "--expect-no-changes", "-s", STACK, ...asPreview.policyArgs("dev")],
            false,
        );
        expect(strict.status, "a change fails --expect-no-changes").to.not.equal(0);
        console.log(`      preview as ${SA}, one change: ${r.ms} ms`);
    });

    it("up is refused (Forbidden) and nothing on the cluster changes", () => {
        const before = clusterSnapshot();
        const r = previewPulumi(["up", "--yes", "--skip-preview", "-s", STACK, ...asPreview.policyArgs("dev")], false);
        expect(r.status, r.output).to.not.equal(0);
        expect(r.output)
            .to.match(/forbidden/i)
            .and.contain(`system:serviceaccount:${NAMESPACE}:${SA}`);
        console.log(
            `      up as ${SA}: ${r.output
                .split("\n")
                .find((l) => /forbidden/i.test(l))
                ?.trim()
                .slice(0, 300)}`,
        );
        expect(clusterSnapshot()).to.deep.equal(before);
        expect(
            run("kubectl", ["get", "networkpolicy", NETWORK_POLICIES.trialIngressAllow, "-n", NAMESPACE]).status,
            "not created",
        ).to.not.equal(0);
        const quota = kubectlJson<{ spec: { hard: Record<string, string> } }>([
            "get",
            "resourcequota",
            "abevalflow-quota",
            "-n",
            NAMESPACE,
        ]);
        expect(quota.spec.hard.pods).to.equal("20");
        // The admin's up of the same change goes through, so the refusal was the identity's.
        adminPulumi(["up", "--yes", "--skip-preview", "-s", STACK, ...admin.policyArgs("dev")]);
        expect(
            kubectlJson<typeof quota>(["get", "resourcequota", "abevalflow-quota", "-n", NAMESPACE]).spec.hard.pods,
        ).to.equal("21");
        ok("kubectl", ["get", "networkpolicy", NETWORK_POLICIES.trialIngressAllow, "-n", NAMESPACE]);
        previewPulumi(["preview", "--expect-no-changes", "-s", STACK, ...asPreview.policyArgs("dev")]);
    });

    it("a stack that holds a deploying kubeconfig is refused by preview and up alike, and nothing changes", () => {
        // What the provider would otherwise take over KUBECONFIG: the admin's own kubeconfig, as
        // an operator could set it with `pulumi config set --secret`.
        const deploying = fs.readFileSync(adminKubeconfig, "utf8");
        const before = clusterSnapshot();
        admin.config(STACK, "abevalflow:quotaPods", "22");
        for (const key of ["abevalflow:kubeconfig", "kubernetes:kubeconfig"]) {
            admin.config(STACK, key, deploying, { secret: true });
            try {
                for (const command of [["preview"], ["up", "--yes", "--skip-preview"]]) {
                    const r = previewPulumi([...command, "-s", STACK, ...asPreview.policyArgs("dev")], false);
                    expect(r.status, r.output).to.not.equal(0);
                    expect(r.output)
                        .to.contain(`${key} = <not shown>: expected no`)
                        .and.contain("a pull request's code runs in its preview")
                        .and.contain(`pulumi config rm ${key}`)
                        .and.contain("nothing was deployed");
                    expect(r.output, "no part of the kubeconfig is printed").to.not.contain(
                        deploying
                            .split("\n")
                            .find((l) => /data:|token:/.test(l))
                            ?.trim() ?? "-",
                    );
                }
            } finally {
                ok("pulumi", ["config", "rm", "--non-interactive", "--cwd", REPO_ROOT, "-s", STACK, key], {
                    env: admin.env,
                });
            }
        }
        expect(clusterSnapshot()).to.deep.equal(before);
        expect(
            kubectlJson<{ spec: { hard: Record<string, string> } }>([
                "get",
                "resourcequota",
                "abevalflow-quota",
                "-n",
                NAMESPACE,
            ]).spec.hard.pods,
        ).to.equal("21");
        admin.config(STACK, "abevalflow:quotaPods", "21");
        previewPulumi(["preview", "--expect-no-changes", "-s", STACK, ...asPreview.policyArgs("dev")]);
    });

    it("the authorizer: reads of the managed kinds only, no Secret, no write", () => {
        const checks = rbacTable().filter((c) => c.sa === SA);
        expect(checks.length).to.be.at.least(20);
        const wrong = checks
            .filter((c) => canI(NAMESPACE, c) !== c.allowed)
            .map(
                (c) =>
                    `${c.sa} ${c.allowed ? "should" : "should not"} ${c.verb} ${c.resource}${c.name ? "/" + c.name : ""}${c.namespace === "other" ? " in another namespace" : ""}`,
            );
        expect(wrong, wrong.join("\n")).to.deep.equal([]);
    });
});
