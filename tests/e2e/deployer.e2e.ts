// The deploy identity through the real engine on the nodes: a cluster administrator applies
// what `npm run deployer -- <stack> rbac` prints, once; `npm run deployer -- <stack> kubeconfig`
// mints a token of ServiceAccount abevalflow-deployer; then `pulumi up` with the policy pack, an
// update and `pulumi destroy` run with that kubeconfig alone, as the CI deploy jobs run them.
// A new cluster's stack made from dev as docs/operations.md's "Adding a cluster" has an operator
// make it (its own stack file and policy config; every script and the workflow's stack list take
// it; the program manages its Namespace), and prod as a self-provisioner has it (the namespace
// made beforehand, as `oc new-project` makes it; manageNamespace false; volumes protected, so
// decommissioning is `destroy --exclude-protected`). The identity is not an
// administrator (the authorizer's answers), may delete neither the namespace nor a claim, and
// its token dies with the Secret it is bound to.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { trialAdmissionName } from "../../components/admission";
import { DEPLOYER, PREVIEW_IDENTITY, VOLUMES } from "../../components/names";
import { previewClusterName } from "../../components/rbac";
import { TOKEN_SECRET_PREFIX } from "../../scripts/deployer/cli";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, requireCluster, run } from "./support";

interface Case {
    base: "dev" | "prod";
    namespace: string;
    stack: string;
    extra: Record<string, string>;
    destroyArgs: string[];
    /** A stack of its own, with policy/config/<stack>.json, as "Adding a cluster" makes one; otherwise it takes its base's policy config. */
    newCluster: boolean;
}

const CASES: Case[] = [
    {
        base: "dev",
        namespace: "abevalflow-e2e-deploy-third",
        stack: "e2e_third",
        extra: { "abevalflow:environment": "dev" },
        destroyArgs: [],
        newCluster: true,
    },
    {
        base: "prod",
        namespace: "abevalflow-e2e-deploy-prod",
        stack: "e2e-deploy-prod",
        newCluster: false,
        // Three replicas, each small enough for the local nodes (as the HA suite has them).
        extra: { "abevalflow:manageNamespace": "false", "abevalflow:litellmCpuRequest": "200m" },
        destroyArgs: ["--exclude-protected"],
    },
];

for (const c of CASES) {
    describe(`the deploy identity: ${c.base} deploys, updates and is destroyed as ${DEPLOYER.name}, not as an administrator`, function () {
        this.timeout(20 * 60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-deployer-"));
        const deployerKubeconfig = path.join(dir, "deployer.kubeconfig");
        const ws = new PulumiWorkspace();
        const sa = `system:serviceaccount:${c.namespace}:${DEPLOYER.name}`;
        const policyConfig = path.join(REPO_ROOT, "policy", "config", `${c.stack}.json`);
        const policyArgs = () => ws.policyArgs(c.newCluster ? c.stack : c.base);
        let adminKubeconfig = "";
        /** npm run deployer, as the administrator, with the stack's backend (for its secrets). */
        const deployerCli = (args: string[]) =>
            ok(
                "npx",
                [
                    "ts-node",
                    "--transpile-only",
                    path.join(REPO_ROOT, "scripts", "deployer", "cli.ts"),
                    c.stack,
                    ...args,
                ],
                { env: { ...process.env, ...ws.env, KUBECONFIG: adminKubeconfig } },
            );
        const asDeployer = (args: string[]) =>
            run("kubectl", args, { env: { ...process.env, KUBECONFIG: deployerKubeconfig } });
        /** target: resource[/name], or resource/subresource for a subresource (kubectl's own form would read it as a name). */
        const canI = (verb: string, target: string, namespace?: string): boolean => {
            const [resource, rest] = target.split("/");
            const sub = ["token", "exec", "log"].includes(rest ?? "") ? ["--subresource", rest] : [];
            const r = asDeployer([
                "auth",
                "can-i",
                verb,
                sub.length > 0 ? resource : target,
                ...sub,
                ...(namespace ? ["-n", namespace] : []),
            ]);
            if (r.status !== 0 && r.status !== 1) {
                throw new Error(`kubectl auth can-i ${verb} ${target}: ${r.output}`);
            }
            return r.status === 0;
        };

        before(() => {
            adminKubeconfig = requireCluster();
            const uid = kubectlJson<{ metadata: { uid: string } }>(["get", "namespace", "kube-system"]).metadata.uid;
            ws.initStack(c.stack, c.base, {
                "abevalflow:namespace": c.namespace,
                "abevalflow:clusterId": uid,
                ...c.extra,
            });
            if (c.newCluster) {
                fs.copyFileSync(path.join(REPO_ROOT, "policy", "config", `${c.base}.json`), policyConfig);
            }
            if (c.extra["abevalflow:manageNamespace"] === "false") {
                // What `oc new-project` leaves: an empty namespace, made before any right is granted.
                ok("kubectl", ["create", "namespace", c.namespace]);
            }
            const rbac = deployerCli(["rbac"]).stdout;
            expect(rbac).to.match(/^# The deploy identity of stack /);
            ok("kubectl", ["apply", "--server-side", "--field-manager", "abevalflow-bootstrap", "-f", "-"], {
                input: rbac,
            });
            const minted = deployerCli(["kubeconfig", "--out", deployerKubeconfig, "--duration", "1h"]);
            console.log(`      ${minted.stderr.trim().split("\n").join("\n      ")}`);
            // The provider keeps the KUBECONFIG path in its state: the deployer's path is the only one this stack knows.
            ws.env.KUBECONFIG = deployerKubeconfig;
        });
        after(() => {
            ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", c.stack, ...c.destroyArgs]);
            ws.dispose();
            if (c.newCluster) {
                fs.rmSync(policyConfig, { force: true });
            }
            const clusterName = `${DEPLOYER.clusterPrefix}${c.namespace}`;
            run("kubectl", [
                "delete",
                "clusterrolebinding,clusterrole",
                clusterName,
                previewClusterName(c.namespace),
                "--ignore-not-found",
            ]);
            run("kubectl", [
                "delete",
                "validatingadmissionpolicybinding,validatingadmissionpolicy",
                trialAdmissionName(c.namespace),
                "--ignore-not-found",
            ]);
            run("kubectl", ["delete", "namespace", c.namespace, "--wait=false", "--ignore-not-found"]);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("the kubeconfig holds the ServiceAccount's token and nothing of the administrator's", () => {
            const whoami = JSON.parse(asDeployer(["auth", "whoami", "-o", "json"]).stdout) as {
                status: { userInfo: { username: string } };
            };
            expect(whoami.status.userInfo.username).to.equal(sa);
            const text = fs.readFileSync(deployerKubeconfig, "utf8");
            expect(text).to.not.match(/client-key-data|client-certificate-data/);
            expect(fs.statSync(deployerKubeconfig).mode & 0o077, "readable by its owner only").to.equal(0);
        });

        it("is no administrator: the authorizer refuses what the stack does not need", () => {
            const refused: [string, string, string?][] = [
                ["create", "namespaces"],
                ["delete", `namespaces/${c.namespace}`],
                ["delete", "namespaces/kube-system"],
                ["get", "secrets", "kube-system"],
                ["list", "pods", "default"],
                ["create", "deployments.apps", "default"],
                ["delete", "persistentvolumeclaims", c.namespace],
                ["get", "nodes"],
                ["create", "serviceaccounts/token", c.namespace],
                ["escalate", "clusterroles"],
                ["bind", "clusterroles/cluster-admin"],
                ["impersonate", "serviceaccounts", c.namespace],
                ["patch", "clusterroles/system:image-builder"],
                ["delete", "validatingadmissionpolicies/some-other-policy"],
            ];
            const wrong = refused
                .filter(([verb, target, ns]) => canI(verb, target, ns))
                .map(([verb, target, ns]) => `${verb} ${target}${ns ? ` in ${ns}` : ""}`);
            expect(wrong, `allowed although not needed:\n${wrong.join("\n")}`).to.deep.equal([]);
            // A ClusterRole it may create holds only rights it has itself: cluster-admin's are refused.
            const grab = asDeployer([
                "create",
                "clusterrolebinding",
                `${DEPLOYER.name}-grab`,
                "--clusterrole",
                "cluster-admin",
                "--serviceaccount",
                `${c.namespace}:${DEPLOYER.name}`,
            ]);
            expect(grab.status).to.not.equal(0);
            expect(grab.output).to.match(/forbidden/i);
        });

        it("pulumi up with the policy pack deploys the stack", () => {
            const up = ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", c.stack, ...policyArgs()]);
            console.log(`      up as ${DEPLOYER.name}: ${up.ms} ms`);
            const outputs = ws.outputs(c.stack) as { namespace: string; previewServiceAccount?: string };
            expect(outputs.namespace).to.equal(c.namespace);
            // Cluster-scoped objects too: the admission policy and the preview identity's ClusterRole.
            ok("kubectl", ["get", "validatingadmissionpolicy", trialAdmissionName(c.namespace)]);
            ok("kubectl", ["get", "clusterrolebinding", previewClusterName(c.namespace)]);
            ok("kubectl", ["get", "serviceaccount", PREVIEW_IDENTITY.name, "-n", c.namespace]);
        });

        if (c.newCluster) {
            it("the new stack is every script's: render, the workflow's stack list, and an audit of its live namespace", () => {
                const rendered = ok("npm", ["run", "--silent", "render", "--", c.stack], { cwd: REPO_ROOT }).stdout;
                expect(rendered).to.contain(`namespace: ${c.namespace}`);
                const workflow = YAML.parse(
                    fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "infrastructure.yml"), "utf8"),
                ) as { jobs: { stacks: { steps: { id?: string; run?: string }[] } } };
                const script = workflow.jobs.stacks.steps.find((st) => st.id === "list")?.run ?? "exit 1";
                const output = path.join(dir, "stacks-output");
                ok("bash", ["-euo", "pipefail", "-c", script], {
                    cwd: REPO_ROOT,
                    env: { ...process.env, GITHUB_OUTPUT: output },
                });
                expect(JSON.parse(fs.readFileSync(output, "utf8").replace(/^stacks=/, "")) as string[]).to.include(
                    c.stack,
                );
                // As the scheduled audit job runs it, with the environment's (here the administrator's) credentials.
                const audit = run("npm", ["run", "--silent", "audit", "--", c.stack], {
                    cwd: REPO_ROOT,
                    env: { ...process.env, ...ws.env, KUBECONFIG: adminKubeconfig },
                });
                expect(audit.status, audit.output).to.equal(0);
                expect(audit.stdout).to.contain(`audit of stack ${c.stack}: namespace ${c.namespace}`);
            });
        }

        it("an update goes through, and a second up changes nothing", () => {
            ws.config(c.stack, "abevalflow:quotaPods", "23");
            ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", c.stack, ...policyArgs()]);
            const quota = kubectlJson<{ items: { spec: { hard: Record<string, string> } }[] }>([
                "get",
                "resourcequota",
                "-n",
                c.namespace,
            ]).items;
            expect(quota.map((q) => q.spec.hard.pods)).to.include("23");
            ws.pulumiOk(["preview", "--expect-no-changes", "-s", c.stack, ...policyArgs()]);
        });

        it("destroy removes the stack's objects and keeps the namespace and the volumes, which the identity may not delete", () => {
            const destroy = ws.pulumiOk(["destroy", "--yes", "--skip-preview", "-s", c.stack, ...c.destroyArgs]);
            console.log(`      destroy as ${DEPLOYER.name}: ${destroy.ms} ms`);
            expect(
                run("kubectl", ["get", "validatingadmissionpolicy", trialAdmissionName(c.namespace)]).output,
            ).to.match(/NotFound/);
            expect(run("kubectl", ["get", "deployment", "-n", c.namespace, "-o", "name"]).stdout.trim()).to.equal("");
            ok("kubectl", ["get", "namespace", c.namespace]);
            const claims = ok("kubectl", ["get", "pvc", "-n", c.namespace, "-o", "jsonpath={.items[*].metadata.name}"])
                .stdout.split(" ")
                .sort();
            expect(claims).to.include.members([VOLUMES.workspace, VOLUMES.deadLetter]);
        });

        it("deleting the Secret the token is bound to revokes the token", () => {
            const secrets = ok("kubectl", [
                "get",
                "secrets",
                "-n",
                c.namespace,
                "-o",
                "jsonpath={.items[*].metadata.name}",
            ])
                .stdout.split(" ")
                .filter((s) => s.startsWith(TOKEN_SECRET_PREFIX));
            expect(secrets).to.have.length(1);
            ok("kubectl", ["delete", "secret", secrets[0], "-n", c.namespace]);
            // The authenticator caches a token's validity for a few seconds.
            let r = asDeployer(["auth", "whoami"]);
            for (let i = 0; i < 20 && r.status === 0; i++) {
                ok("sleep", ["1"]);
                r = asDeployer(["auth", "whoami"]);
            }
            expect(r.status).to.not.equal(0);
            expect(r.output).to.match(/Unauthorized|must be logged in/i);
        });
    });
}
