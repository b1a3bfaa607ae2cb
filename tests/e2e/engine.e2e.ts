// The program through the real Pulumi engine (CLI, Node.js language host, kubernetes and
// random providers, the policy pack) against the local control plane that
// `npm run test:e2e` starts: preview, up, what the API server stored, the authorizer's
// answers, a change of LLM mode, secrets in the state, bad config, drift, destroy and a
// second up over the retained volumes. Each stack is the committed one with the images of the
// local cluster's nodes (scripts/local-deploy/stack-file.js), and every readiness wait runs:
// the proxy becomes ready through its own probes, and the cleanup CronJob's Job completes.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { stackFileConfig } from "../../components/config";
import { CLEANUP_CONTAINER, CLEANUP_NAME } from "../../components/cleanup";
import { llmMode, TRIAL_ALLOW_POLICIES } from "../../components/llmModes";
import { FIELD_MANAGER, LITELLM, NETWORK_POLICIES, TRIAL_BASELINE_CONFIGMAP, VOLUMES } from "../../components/names";
import { TrialPodBaseline } from "../../components/trialBaseline";
import { runProgram, stackConfig, withMode } from "../../scripts/engine/program-run";
import { auditLogFile, eventually, NETWORK, readyPods, withPortForward } from "./nodes";
import { canI, rbacTable } from "./rbac-table";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, requireCluster, Result, run, runAsync } from "./support";

interface Meta {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager: string }[];
}
interface Obj {
    metadata: Meta;
    spec?: Record<string, unknown>;
    rules?: Record<string, unknown>[];
    data?: Record<string, string>;
}

const TRIAL_LABELS = { "abevalflow/role": "trial" };

function exists(kind: string, name: string, namespace?: string): boolean {
    const r = run("kubectl", ["get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "name"]);
    if (r.status !== 0 && !/NotFound/.test(r.output)) {
        throw new Error(`kubectl get ${kind} ${name}: ${r.output}`);
    }
    return r.status === 0;
}

function networkPolicyNames(namespace: string): string[] {
    return kubectlJson<{ items: Obj[] }>(["get", "networkpolicy", "-n", namespace])
        .items.map((p) => p.metadata.name)
        .sort();
}

/** "+ 3 to create" style counts from the engine's summary (preview or update). */
function planned(output: string, op: "create" | "update" | "delete" | "replace"): number {
    const m =
        new RegExp(`(\\d+) to ${op}`).exec(output) ??
        new RegExp(
            `(\\d+) ${op === "create" ? "created" : op === "update" ? "updated" : op === "delete" ? "deleted" : "replaced"}`,
        ).exec(output);
    return m ? Number(m[1]) : 0;
}

/** What the engine plans for these stack values: the program's resources as the mocks record them, plus the stack. */
async function expectedResources(values: Record<string, unknown>): Promise<number> {
    return (await runProgram(values)).resources.length + 1;
}

function trialPod(namespace: string, name: string, spec: Record<string, unknown>): string {
    return YAML.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: TRIAL_LABELS }, spec });
}

describe("the real Pulumi engine on the local control plane", function () {
    this.timeout(15 * 60_000);
    const ws = new PulumiWorkspace();

    before(() => requireCluster());
    after(() => ws.dispose());

    for (const base of ["dev", "prod"] as const) {
        describe(`${base} stack`, () => {
            const stack = `e2e-${base}`;
            const cfg = stackFileConfig(base);
            const namespace = cfg["abevalflow:namespace"] as string;

            let total = 0;
            before(async () => {
                ws.initStack(stack, base);
                total = await expectedResources(stackConfig(base));
            });

            it("preview with the policy pack at prod strength passes and plans every object", () => {
                const r = ws.pulumiOk(["preview", "-s", stack, ...ws.policyArgs("prod")]);
                expect(r.output).to.match(/Policies:|policy/i);
                expect(r.output).to.not.match(/mandatory/);
                expect(planned(r.output, "create"), r.output).to.equal(total);
            });

            it("up succeeds, and a second preview expects no changes", () => {
                const up = ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs(base)]);
                expect(planned(up.output, "create"), up.output).to.equal(total);
                console.log(`      up from empty: ${up.ms} ms`);
                const again = ws.pulumiOk(["preview", "--expect-no-changes", "-s", stack, ...ws.policyArgs(base)]);
                expect(again.output).to.match(new RegExp(`${total} unchanged`));
            });

            it("the API server stored what the program intends", () => {
                const ns = kubectlJson<Obj>(["get", "namespace", namespace]);
                expect(ns.metadata.labels).to.include({
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "security.openshift.io/scc.podSecurityLabelSync": "false",
                });
                const quota = kubectlJson<{
                    spec: { hard: Record<string, string> };
                    status?: { hard?: Record<string, string> };
                }>(["get", "resourcequota", "abevalflow-quota", "-n", namespace]);
                expect(quota.spec.hard.pods).to.equal(
                    String((cfg["abevalflow:quotaPods"] as number | undefined) ?? 50),
                );
                expect(quota.status?.hard, "the quota controller has taken the quota up").to.deep.equal(
                    quota.spec.hard,
                );
                const limits = kubectlJson<{ spec: { limits: Record<string, unknown>[] } }>([
                    "get",
                    "limitrange",
                    "abevalflow-container-defaults",
                    "-n",
                    namespace,
                ]);
                expect(limits.spec.limits[0]).to.deep.include({
                    type: "Container",
                    defaultRequest: { cpu: "100m", memory: "128Mi" },
                });

                expect(networkPolicyNames(namespace)).to.deep.equal(
                    [
                        NETWORK_POLICIES.litellmDefaultDeny,
                        NETWORK_POLICIES.litellmProxy,
                        NETWORK_POLICIES.trialDefaultDeny,
                        llmMode("litellm").allowPolicy,
                        NETWORK_POLICIES.trialIngressDefaultDeny,
                        NETWORK_POLICIES.cleanupDefaultDeny,
                        NETWORK_POLICIES.cleanupAllow,
                    ].sort(),
                );
                const deny = kubectlJson<Obj>([
                    "get",
                    "networkpolicy",
                    NETWORK_POLICIES.trialDefaultDeny,
                    "-n",
                    namespace,
                ]);
                expect(deny.spec).to.deep.equal({
                    podSelector: { matchLabels: TRIAL_LABELS },
                    policyTypes: ["Egress"],
                });
                // apiServerCidrs is empty, so the program read EndpointSlice default/kubernetes: the nodes' path to the API server.
                const cleanupAllow = kubectlJson<Obj>([
                    "get",
                    "networkpolicy",
                    NETWORK_POLICIES.cleanupAllow,
                    "-n",
                    namespace,
                ]);
                expect((cleanupAllow.spec?.egress as unknown[])[1]).to.deep.equal({
                    to: [{ ipBlock: { cidr: `${NETWORK.FORWARDER_ADDR}/32` } }],
                    ports: [{ protocol: "TCP", port: Number(NETWORK.API_FORWARD_PORT) }],
                });

                const role = kubectlJson<Obj>(["get", "role", "pipeline-trial-manager", "-n", namespace]);
                expect(role.rules).to.deep.include({
                    apiGroups: [""],
                    resources: ["secrets"],
                    verbs: ["get"],
                    resourceNames: ["ab-eval-db-credentials"],
                });
                expect(JSON.stringify(role.rules)).to.not.match(/"list"[^}]*secrets|secrets[^}]*"list"/);

                const cron = kubectlJson<{
                    spec: {
                        schedule: string;
                        timeZone: string;
                        concurrencyPolicy: string;
                        jobTemplate: { spec: { template: { spec: { serviceAccountName: string } } } };
                    };
                }>(["get", "cronjob", CLEANUP_NAME, "-n", namespace]);
                expect(cron.spec).to.include({
                    schedule: "0 3 * * *",
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                });
                expect(cron.spec.jobTemplate.spec.template.spec.serviceAccountName).to.equal(CLEANUP_NAME);

                const claims = kubectlJson<{ items: (Obj & { status: { phase: string } })[] }>([
                    "get",
                    "pvc",
                    "-n",
                    namespace,
                ]).items;
                expect(claims.map((c) => c.metadata.name)).to.have.members([VOLUMES.workspace, VOLUMES.deadLetter]);
                for (const claim of claims) {
                    expect(claim.metadata.annotations).to.include({ "helm.sh/resource-policy": "keep" });
                    expect(claim.status.phase, "WaitForFirstConsumer: pending until a pod uses it").to.equal("Pending");
                }
                const deployment = kubectlJson<{
                    metadata: Meta;
                    spec: { replicas: number; template: object };
                    status: { readyReplicas?: number };
                }>(["get", "deployment", LITELLM.name, "-n", namespace, "--show-managed-fields"]);
                expect(deployment.spec.replicas).to.equal(cfg["abevalflow:litellmReplicas"]);
                expect(deployment.status.readyReplicas, "up waited for the proxy's readiness probes").to.equal(
                    cfg["abevalflow:litellmReplicas"],
                );
                expect(JSON.stringify(deployment.spec.template))
                    .to.contain("/health/readiness")
                    .and.contain("@sha256:");
                expect(deployment.metadata.annotations)
                    .to.include({ "pulumi.com/patchForce": "true" })
                    .and.not.have.property("pulumi.com/skipAwait");
                // The provider applies server-side as the field manager the annotation names, not pulumi-kubernetes-<random suffix>.
                expect(
                    deployment.metadata.managedFields
                        ?.filter((f) => f.manager === FIELD_MANAGER || /^pulumi-kubernetes-/.test(f.manager))
                        .map((f) => f.manager),
                ).to.deep.equal([FIELD_MANAGER]);
            });

            it("RBAC: the API server's authorizer answers the expected table for the engine's objects", () => {
                const table = rbacTable();
                expect(table.length).to.be.at.least(40);
                const wrong = table
                    .filter((check) => canI(namespace, check) !== check.allowed)
                    .map(
                        (c) =>
                            `${c.sa} ${c.allowed ? "should" : "should not"} ${c.verb} ${c.resource}${c.name ? "/" + c.name : ""}${c.namespace === "other" ? " in another namespace" : ""}`,
                    );
                expect(wrong, wrong.join("\n")).to.deep.equal([]);
            });

            it("the cleanup CronJob runs as a Job on the nodes: it completes, under its own egress policy, and binds the dead-letter claim", () => {
                const job = `${CLEANUP_NAME}-e2e`;
                ok("kubectl", ["create", "job", job, `--from=cronjob/${CLEANUP_NAME}`, "-n", namespace]);
                const done = run("kubectl", [
                    "wait",
                    "-n",
                    namespace,
                    `job/${job}`,
                    "--for=condition=Complete",
                    "--timeout=180s",
                ]);
                const logs = run("kubectl", ["logs", "-n", namespace, `job/${job}`]).output;
                expect(
                    done.status,
                    `${done.output}\n${logs}\n${run("kubectl", ["describe", "job", job, "-n", namespace]).output.slice(-3000)}`,
                ).to.equal(0);
                expect(logs)
                    .to.match(/^summary pipelinerun: examined=\d+ deleted=0 kept=\d+ failed=0 deadLettered=0$/m)
                    .and.match(/exit 0/);
                const claim = kubectlJson<{ status: { phase: string } }>([
                    "get",
                    "pvc",
                    VOLUMES.deadLetter,
                    "-n",
                    namespace,
                ]);
                expect(claim.status.phase, "bound when its first consumer, the cleanup pod, was scheduled").to.equal(
                    "Bound",
                );
                ok("kubectl", ["delete", "job", job, "-n", namespace, "--wait=true"]);
            });

            if (base === "prod") {
                it("destroy stops at the protected volumes and Namespace: they stay, the rest is deleted", () => {
                    const r = ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", stack]);
                    expect(r.status).to.not.equal(0);
                    expect(r.output).to.match(/protected/);
                    expect(exists("namespace", namespace)).to.equal(true);
                    for (const claim of [VOLUMES.workspace, VOLUMES.deadLetter]) {
                        expect(exists("pvc", claim, namespace), claim).to.equal(true);
                    }
                    // The engine deletes what it may before it reaches the protected resources.
                    expect(exists("networkpolicy", NETWORK_POLICIES.trialDefaultDeny, namespace)).to.equal(false);
                    ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs(base)]);
                    expect(ws.pulumiOk(["preview", "--expect-no-changes", "-s", stack]).output).to.match(
                        new RegExp(`${total} unchanged`),
                    );
                });

                it("destroy --exclude-protected removes everything but the protected volumes and their Namespace", () => {
                    ws.pulumiOk(["destroy", "--yes", "--skip-preview", "--exclude-protected", "-s", stack]);
                    expect(exists("namespace", namespace)).to.equal(true);
                    for (const claim of [VOLUMES.workspace, VOLUMES.deadLetter]) {
                        expect(exists("pvc", claim, namespace), claim).to.equal(true);
                    }
                    expect(networkPolicyNames(namespace)).to.deep.equal([]);
                    expect(exists("deployment", LITELLM.name, namespace)).to.equal(false);
                    const left = JSON.parse(ws.pulumiOk(["stack", "export", "-s", stack]).stdout) as {
                        deployment: { resources?: { type: string }[] };
                    };
                    const types = (left.deployment.resources ?? [])
                        .map((r) => r.type)
                        .filter((t) => t.startsWith("kubernetes:") && !t.startsWith("pulumi:providers"));
                    expect(types.sort()).to.deep.equal([
                        "kubernetes:core/v1:Namespace",
                        "kubernetes:core/v1:PersistentVolumeClaim",
                        "kubernetes:core/v1:PersistentVolumeClaim",
                    ]);
                });
            }
        });
    }

    describe("admission in the namespace the engine created (dev)", () => {
        const namespace = stackFileConfig("dev")["abevalflow:namespace"] as string;
        const baseline = (): TrialPodBaseline =>
            JSON.parse(
                kubectlJson<Obj>(["get", "configmap", TRIAL_BASELINE_CONFIGMAP, "-n", namespace]).data?.[
                    "baseline.json"
                ] ?? "{}",
            ) as TrialPodBaseline;

        it("a trial pod built from the published baseline is admitted with no pod-security warning at restricted", () => {
            const b = baseline();
            const pod = trialPod(namespace, "trial-from-baseline", {
                serviceAccountName: "pipeline",
                automountServiceAccountToken: b.automountServiceAccountToken,
                securityContext: b.podSecurityContext,
                containers: [
                    {
                        name: "agent",
                        image: "registry.example/agent@sha256:" + "a".repeat(64),
                        securityContext: b.containerSecurityContext,
                        resources: b.resources,
                        volumeMounts: b.volumeMounts,
                    },
                ],
                volumes: b.volumes,
            });
            const r = run("kubectl", ["create", "-f", "-"], { input: pod });
            expect(r.status, r.output).to.equal(0);
            expect(r.stderr, "the warn=restricted label reports any violation as a warning").to.not.match(
                /violate PodSecurity/i,
            );
        });

        it("a container without requests gets the LimitRange defaults and passes the quota", () => {
            const r = run("kubectl", ["create", "-f", "-"], {
                input: trialPod(namespace, "trial-no-requests", {
                    serviceAccountName: "pipeline",
                    automountServiceAccountToken: false,
                    containers: [{ name: "agent", image: "registry.example/agent@sha256:" + "b".repeat(64) }],
                }),
            });
            expect(r.status, r.output).to.equal(0);
            const stored = kubectlJson<{
                spec: {
                    containers: { resources: { requests: Record<string, string>; limits: Record<string, string> } }[];
                };
            }>(["get", "pod", "trial-no-requests", "-n", namespace]);
            expect(stored.spec.containers[0].resources.requests).to.deep.equal({ cpu: "100m", memory: "128Mi" });
            expect(stored.spec.containers[0].resources.limits).to.deep.equal({ cpu: "1", memory: "1Gi" });
        });

        it("the enforce level refuses a privileged pod", () => {
            const r = run("kubectl", ["create", "-f", "-"], {
                input: trialPod(namespace, "trial-privileged", {
                    serviceAccountName: "pipeline",
                    automountServiceAccountToken: false,
                    containers: [
                        {
                            name: "agent",
                            image: "registry.example/agent@sha256:" + "c".repeat(64),
                            securityContext: { privileged: true },
                        },
                    ],
                }),
            });
            expect(r.status).to.not.equal(0);
            expect(r.output).to.match(/violates PodSecurity "baseline/);
        });

        it("the warn and audit levels report what they would refuse: a warning to the client, the violations in the audit log", () => {
            const labels = kubectlJson<Obj>(["get", "namespace", namespace]).metadata.labels ?? {};
            const [warn, audit] = [
                labels["pod-security.kubernetes.io/warn"],
                labels["pod-security.kubernetes.io/audit"],
            ];
            // Admitted by the enforce level (baseline), short of restricted: no securityContext at all.
            const r = run("kubectl", ["create", "-f", "-"], {
                input: trialPod(namespace, "trial-warned", {
                    serviceAccountName: "pipeline",
                    automountServiceAccountToken: false,
                    containers: [{ name: "agent", image: "registry.example/agent@sha256:" + "d".repeat(64) }],
                }),
            });
            expect(r.status, r.output).to.equal(0);
            expect(r.stderr).to.match(
                new RegExp(`Warning: would violate PodSecurity "${warn}:latest": .*allowPrivilegeEscalation != false`),
            );
            type AuditEvent = {
                verb: string;
                objectRef?: { namespace?: string; name?: string };
                annotations?: Record<string, string>;
            };
            const event = eventually(
                () =>
                    fs
                        .readFileSync(auditLogFile(), "utf8")
                        .split("\n")
                        .filter((l) => l.includes("trial-warned"))
                        .map((l) => JSON.parse(l) as AuditEvent)
                        .find(
                            (e) =>
                                e.verb === "create" &&
                                e.objectRef?.namespace === namespace &&
                                e.objectRef?.name === "trial-warned",
                        ),
                (e) => e !== undefined,
            );
            expect(event?.annotations?.["pod-security.kubernetes.io/enforce-policy"]).to.equal(
                `${labels["pod-security.kubernetes.io/enforce"]}:latest`,
            );
            expect(event?.annotations?.["pod-security.kubernetes.io/audit-violations"])
                .to.match(new RegExp(`^would violate PodSecurity "${audit}:latest": `))
                .and.contain("runAsNonRoot != true")
                .and.contain("seccompProfile");
        });

        after(() => {
            run("kubectl", [
                "delete",
                "pod",
                "-n",
                namespace,
                "--grace-period=0",
                "--force",
                "--ignore-not-found",
                "trial-from-baseline",
                "trial-no-requests",
                "trial-privileged",
                "trial-warned",
            ]);
        });
    });

    describe("dev stack over its lifetime", () => {
        const stack = "e2e-dev";
        const namespace = stackFileConfig("dev")["abevalflow:namespace"] as string;
        const up = (): Result => ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs("dev")]);

        it("changing llmMode replaces the allow policy and never leaves trial pods without their default-deny", async () => {
            const trialPolicies = (): string[] =>
                networkPolicyNames(namespace).filter(
                    (n) => n === NETWORK_POLICIES.trialDefaultDeny || TRIAL_ALLOW_POLICIES.includes(n),
                );
            for (const mode of ["direct-api", "litellm"] as const) {
                const expected = await expectedResources(withMode("dev", mode));
                expect(
                    trialPolicies().filter((n) => TRIAL_ALLOW_POLICIES.includes(n)),
                    "before",
                ).to.have.length(1);
                ws.config(stack, "abevalflow:llmMode", mode);
                const seen: string[][] = [];
                const update = ws.pulumiAsync(["up", "--yes", "--skip-preview", "-s", stack, ...ws.policyArgs("dev")]);
                let done = false;
                void update.finally(() => (done = true));
                while (!done) {
                    const r = await runAsync("kubectl", [
                        "get",
                        "networkpolicy",
                        "-n",
                        namespace,
                        "-o",
                        "jsonpath={.items[*].metadata.name}",
                    ]);
                    if (r.status === 0) {
                        seen.push(
                            r.stdout
                                .split(/\s+/)
                                .filter(
                                    (n) => n === NETWORK_POLICIES.trialDefaultDeny || TRIAL_ALLOW_POLICIES.includes(n),
                                )
                                .sort(),
                        );
                    }
                }
                const result = await update;
                expect(result.status, result.output).to.equal(0);
                seen.push(trialPolicies());
                expect(seen.length).to.be.greaterThan(1);
                for (const names of seen) {
                    expect(names, `observed ${JSON.stringify(seen)}`).to.include(NETWORK_POLICIES.trialDefaultDeny);
                    // The engine creates the new allow policy before it deletes the old one.
                    expect(
                        names.filter((n) => TRIAL_ALLOW_POLICIES.includes(n)).length,
                        `observed ${JSON.stringify(seen)}`,
                    ).to.be.within(1, 2);
                }
                expect(trialPolicies(), "after").to.deep.equal(
                    [llmMode(mode).allowPolicy, NETWORK_POLICIES.trialDefaultDeny].sort(),
                );
                expect(exists("deployment", LITELLM.name, namespace)).to.equal(mode === "litellm");
                console.log(`      llmMode -> ${mode}: ${seen.length} observations, up ${result.ms} ms`);
                expect(ws.pulumiOk(["preview", "--expect-no-changes", "-s", stack]).output).to.match(
                    new RegExp(`${expected} unchanged`),
                );
            }
        });

        it("secrets set with --secret and the generated master key never appear in plaintext in the state or the stack file", () => {
            const credentials = JSON.stringify({
                type: "service_account",
                project_id: "abevalflow-dev",
                client_email: "e2e@abevalflow-dev.iam.gserviceaccount.com",
                private_key: `-----BEGIN PRIVATE KEY-----\ne2e-private-key-${Date.now()}\n-----END PRIVATE KEY-----\n`,
            });
            ws.config(stack, "abevalflow:litellmVertexCredentials", credentials, { secret: true });
            ws.config(stack, "abevalflow:litellmVertexCredentialsSecretName", "");
            up();
            const stored = kubectlJson<{ data: Record<string, string> }>([
                "get",
                "secret",
                LITELLM.credentialsSecret,
                "-n",
                namespace,
            ]);
            expect(Buffer.from(stored.data[LITELLM.credentialsKey], "base64").toString()).to.equal(credentials);
            const masterKey = Buffer.from(
                kubectlJson<{ data: Record<string, string> }>([
                    "get",
                    "secret",
                    LITELLM.masterKeySecret,
                    "-n",
                    namespace,
                ]).data[LITELLM.masterKeyEnv],
                "base64",
            ).toString();
            expect(masterKey).to.match(/^sk-[A-Za-z0-9]{48}$/);

            const exported = ws.pulumiOk(["stack", "export", "-s", stack]).stdout;
            const stackFile = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
            for (const [what, text] of [
                ["state", exported],
                ["stack file", stackFile],
            ]) {
                expect(text, what).to.not.contain("e2e-private-key");
                expect(text, what).to.not.contain(masterKey.slice(3));
            }
            expect(exported).to.contain("4dabf18193072939515e22adb298388d");
            // Back to the committed form: the credentials from an existing Secret.
            ok(
                "pulumi",
                [
                    "config",
                    "rm",
                    "--non-interactive",
                    "--cwd",
                    REPO_ROOT,
                    "-s",
                    stack,
                    "abevalflow:litellmVertexCredentials",
                ],
                { env: ws.env },
            );
            ws.config(stack, "abevalflow:litellmVertexCredentialsSecretName", "vertex-service-account");
            up();
            expect(exists("secret", LITELLM.credentialsSecret, namespace)).to.equal(false);
        });

        it("rotating the master key (litellmMasterKeyRotation) rolls the proxy: the old key is refused, the new one accepted", async () => {
            const keyOf = (): string =>
                Buffer.from(
                    kubectlJson<{ data: Record<string, string> }>([
                        "get",
                        "secret",
                        LITELLM.masterKeySecret,
                        "-n",
                        namespace,
                    ]).data[LITELLM.masterKeyEnv],
                    "base64",
                ).toString();
            // The Service's port is the container's (litellmPort).
            const port = Number(
                ok("kubectl", [
                    "get",
                    "service",
                    LITELLM.name,
                    "-n",
                    namespace,
                    "-o",
                    "jsonpath={.spec.ports[0].port}",
                ]).stdout.trim(),
            );
            // Through a Ready proxy pod that is not on its way out.
            const models = async (key: string): Promise<{ status: number; body: string }> => {
                const [pod] = readyPods(namespace, LITELLM.podLabels);
                expect(pod, "a Ready proxy pod").to.be.a("string");
                return withPortForward(namespace, pod, port, async (local) => {
                    const res = await fetch(`http://127.0.0.1:${local}/v1/models`, {
                        headers: { Authorization: `Bearer ${key}` },
                    });
                    return { status: res.status, body: await res.text() };
                });
            };
            const modelsStatus = async (key: string): Promise<number> => (await models(key)).status;
            const old = keyOf();
            expect(await modelsStatus(old), "the current key").to.equal(200);
            ws.config(stack, "abevalflow:litellmMasterKeyRotation", "1");
            const r = up();
            const fresh = keyOf();
            expect(fresh)
                .to.match(/^sk-[A-Za-z0-9]{48}$/)
                .and.not.equal(old);
            expect(await modelsStatus(fresh), "the new key").to.equal(200);
            // LiteLLM 1.84.10 looks a key that is not the master key up in its database, and
            // without one refuses it with 400 ("No connected db"): no model list for the old key.
            const refused = await models(old);
            expect(refused.status, `the old key after the rotation: ${refused.body}`).to.be.within(400, 403);
            expect(refused.body).to.not.contain('"data"');
            console.log(`      master key rotated: up ${r.ms} ms, old key refused, new key accepted`);
        });

        it("drift: a deleted default-deny, a patched CronJob image and another manager's server-side apply are put back by refresh and up", () => {
            ok("kubectl", ["delete", "networkpolicy", NETWORK_POLICIES.trialDefaultDeny, "-n", namespace]);
            const image = "registry.example/elsewhere@sha256:" + "d".repeat(64);
            ok("kubectl", [
                "patch",
                "cronjob",
                CLEANUP_NAME,
                "-n",
                namespace,
                "--type",
                "json",
                "-p",
                JSON.stringify([
                    { op: "replace", path: "/spec/jobTemplate/spec/template/spec/containers/0/image", value: image },
                ]),
            ]);
            // A second applier (a GitOps tool, or `kubectl apply --server-side`) takes the quota's pods field.
            ok("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager=ops-tool", "-f", "-"], {
                input: YAML.stringify({
                    apiVersion: "v1",
                    kind: "ResourceQuota",
                    metadata: { name: "abevalflow-quota", namespace },
                    spec: { hard: { pods: "999" } },
                }),
            });
            const refresh = ws.pulumiOk(["refresh", "--yes", "--skip-preview", "-s", stack]);
            expect(refresh.output).to.match(/deleted/);
            up();
            expect(exists("networkpolicy", NETWORK_POLICIES.trialDefaultDeny, namespace)).to.equal(true);
            const cron = kubectlJson<{
                spec: {
                    jobTemplate: { spec: { template: { spec: { containers: { name: string; image: string }[] } } } };
                };
            }>(["get", "cronjob", CLEANUP_NAME, "-n", namespace]);
            const container = cron.spec.jobTemplate.spec.template.spec.containers.find(
                (c) => c.name === CLEANUP_CONTAINER,
            );
            expect(container?.image)
                .to.match(/@sha256:/)
                .and.not.equal(image);
            const quota = kubectlJson<{ spec: { hard: Record<string, string> } }>([
                "get",
                "resourcequota",
                "abevalflow-quota",
                "-n",
                namespace,
            ]);
            expect(quota.spec.hard.pods).to.equal(String(stackFileConfig("dev")["abevalflow:quotaPods"]));
            expect(ws.pulumiOk(["preview", "--expect-no-changes", "--refresh", "-s", stack]).status).to.equal(0);
        });

        it("destroy removes everything but the data; a later up keeps the retained claims as they were", async () => {
            const claimBefore = kubectlJson<Obj>(["get", "pvc", VOLUMES.deadLetter, "-n", namespace]);
            ok("kubectl", ["annotate", "pvc", VOLUMES.deadLetter, "-n", namespace, "e2e/marker=kept"]);
            const destroy = ws.pulumiOk(["destroy", "--yes", "--skip-preview", "-s", stack]);
            console.log(`      destroy: ${destroy.ms} ms`);
            expect(exists("namespace", namespace)).to.equal(true);
            for (const claim of [VOLUMES.workspace, VOLUMES.deadLetter]) {
                expect(exists("pvc", claim, namespace), claim).to.equal(true);
            }
            expect(networkPolicyNames(namespace)).to.deep.equal([]);
            expect(exists("cronjob", CLEANUP_NAME, namespace)).to.equal(false);
            expect(exists("role", "pipeline-trial-manager", namespace)).to.equal(false);

            const again = up();
            expect(planned(again.output, "create")).to.equal(await expectedResources(stackConfig("dev")));
            const claimAfter = kubectlJson<Obj>(["get", "pvc", VOLUMES.deadLetter, "-n", namespace]);
            expect(claimAfter.metadata.uid).to.equal(claimBefore.metadata.uid);
            expect(claimAfter.metadata.annotations).to.include({
                "e2e/marker": "kept",
                "helm.sh/resource-policy": "keep",
            });
            expect(ws.pulumiOk(["preview", "--expect-no-changes", "-s", stack]).status).to.equal(0);
        });
    });

    describe("bad config through the real CLI", () => {
        it("fails the preview with the one validation message and creates nothing", () => {
            const stack = "e2e-bad";
            const namespace = "abevalflow-e2e-bad";
            ws.initStack(stack, "dev", {
                "abevalflow:namespace": namespace,
                "abevalflow:quotaPods": "-3",
                "abevalflow:litellmPort": "70000",
            });
            for (const command of ["preview", "up"]) {
                const r = ws.pulumi([
                    command,
                    ...(command === "up" ? ["--yes", "--skip-preview"] : []),
                    "-s",
                    stack,
                    ...ws.policyArgs("dev"),
                ]);
                expect(r.status, r.output).to.not.equal(0);
                expect(r.output).to.contain(
                    "Invalid abevalflow stack configuration (2 problems); nothing was deployed",
                );
                expect(r.output.match(/- abevalflow:quotaPods = "-3": expected/g), r.output).to.have.length(1);
                expect(r.output.match(/- abevalflow:litellmPort = "70000": expected/g), r.output).to.have.length(1);
            }
            expect(exists("namespace", namespace)).to.equal(false);
        });
    });

    describe("the policy pack is enforced by the engine", () => {
        const fixture = path.join(REPO_ROOT, "tests", "fixtures", "engine-violations");
        const fws = new PulumiWorkspace(fixture);
        after(() => fws.dispose());

        for (const [violation, policy] of [
            ["unpinned-image", "pinned-images"],
            ["secret-list", "scoped-secret-access"],
            ["allow-without-deny", "default-deny-plus-allow"],
        ]) {
            it(`${violation}: preview fails and names ${policy}`, () => {
                fws.initStack(violation, undefined, { "abevalflow-violations:violation": violation });
                const r = fws.pulumi(["preview", "-s", violation, ...fws.policyArgs("prod")]);
                expect(r.status, r.output).to.not.equal(0);
                const mandatory = new Set([...r.output.matchAll(/- \[mandatory\]\s+(\S+)/g)].map((m) => m[1]));
                expect([...mandatory], r.output).to.deep.equal([policy]);
            });
        }
    });
});
