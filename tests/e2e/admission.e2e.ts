// The ValidatingAdmissionPolicy for the pods the pipeline creates, enforced by the real API
// server of the local control plane: a stack deployed through the real engine (dev's values,
// its own namespace), then a table of pod creations made with the pipeline's identity
// (impersonated: `kubectl create --as system:serviceaccount:<ns>:pipeline`, which its Role
// allows), each admitted or denied with the policy's message naming the rule. Then the same
// creations by the cluster admin, which the policy leaves alone, a change after creation
// (UPDATE), and what admissionPolicy: false leaves open.
//
// The stack enforces Pod Security at `privileged`: Pod Security admission runs before the
// policy and refuses host namespaces and hostPath at baseline itself, so only there do those
// pods reach the policy, which is what it is for (a namespace that must run privileged task
// pods). Every pod here that the table expects to be admitted also passes `restricted`.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { trialAdmissionName } from "../../components/admission";
import { CLEANUP, LITELLM, TRIAL_BASELINE_CONFIGMAP, TRIAL_POD_NAME_PREFIX_KEY, VOLUMES } from "../../components/names";
import { TrialPodBaseline } from "../../components/trialBaseline";
import { clusterState, eventually } from "./nodes";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, requireCluster, Result, run } from "./support";

const STACK = "e2e-admission";
const NAMESPACE = "abevalflow-e2e-admission";
const PIPELINE = `system:serviceaccount:${NAMESPACE}:pipeline`;
const POLICY = trialAdmissionName(NAMESPACE);
/** Configured in trialSecretNames for this stack. */
const TRIAL_SECRET = "trial-db-credentials";
/** Secrets the admin creates; the program's own master key exists already (litellm mode). */
const TEST_SECRETS = [LITELLM.credentialsSecret, "vertex-service-account", TRIAL_SECRET, "unrelated-secret"];
const IMAGE = "registry.example/agent@sha256:" + "a".repeat(64);
/** trialPodNamePrefix's default (Pulumi.yaml), which the test holds to what the stack publishes. */
const TRIAL_PREFIX = "trial-";

type Spec = Record<string, unknown>;
type Pod = { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: Spec };

interface Case {
    name: string;
    /** Changes the legitimate trial pod (built from the published baseline) into this case's pod. */
    pod: (base: Pod) => Pod;
    /** "admitted", or the rule whose message the denial must carry. */
    expected: string;
    /** A fragment the denial's message must name (the offending value). */
    names?: string;
    as?: "pipeline" | "admin";
    /** The pod's name; by default one with the trial prefix. */
    podName?: string;
}

/** A deep copy with changes to the spec and, optionally, to the labels. */
function variant(spec: Spec, labels?: (l: Record<string, string>) => Record<string, string>): (base: Pod) => Pod {
    return (base) => {
        const pod = JSON.parse(JSON.stringify(base)) as Pod;
        pod.spec = { ...pod.spec, ...spec };
        if (labels) {
            pod.metadata.labels = labels(pod.metadata.labels);
        }
        return pod;
    };
}

const withContainerEnv =
    (env: unknown[], key: "env" | "envFrom" = "env") =>
    (base: Pod): Pod => {
        const pod = JSON.parse(JSON.stringify(base)) as Pod;
        const [agent] = pod.spec.containers as Record<string, unknown>[];
        agent[key] = env;
        return pod;
    };
const withVolume =
    (volume: Record<string, unknown>) =>
    (base: Pod): Pod => {
        const pod = JSON.parse(JSON.stringify(base)) as Pod;
        pod.spec.volumes = [...(pod.spec.volumes as unknown[]), volume];
        return pod;
    };
const secretEnv = (secret: string) => [
    { name: "CREDENTIAL", valueFrom: { secretKeyRef: { name: secret, key: "value" } } },
];

const CASES: Case[] = [
    { name: "the trial pod built from the published baseline", pod: (p) => p, expected: "admitted" },
    {
        name: "no labels",
        pod: variant({}, () => ({})),
        expected: "trial-labels",
        names: "missing: abevalflow/role=trial",
    },
    {
        name: "the trial label with another value",
        pod: variant({}, () => ({ "abevalflow/role": "builder" })),
        expected: "trial-labels",
        names: "missing: abevalflow/role=trial",
    },
    {
        name: "a name without the trial prefix (the proxy's pod names)",
        pod: (p) => p,
        podName: "litellm-5d8f7c9b4-x2x7q",
        expected: "trial-pod-name",
        names: "it is named litellm-5d8f7c9b4-x2x7q",
    },
    {
        name: "the trial labels plus the LiteLLM proxy's pod labels",
        pod: variant({}, (l) => ({ ...l, ...LITELLM.podLabels })),
        expected: "own-pod-labels",
        names: "the LiteLLM proxy",
    },
    {
        name: "the trial labels plus the cleanup job's pod labels",
        pod: variant({}, (l) => ({ ...l, ...CLEANUP.podLabels })),
        expected: "own-pod-labels",
        names: "the cleanup job",
    },
    {
        name: "serviceAccountName abevalflow-cleanup (its token can delete)",
        pod: variant({ serviceAccountName: CLEANUP.name }),
        expected: "service-account",
        names: `it names ${CLEANUP.name}`,
    },
    {
        name: "serviceAccountName litellm",
        pod: variant({ serviceAccountName: LITELLM.name }),
        expected: "service-account",
        names: `it names ${LITELLM.name}`,
    },
    {
        name: "serviceAccountName pipeline (its own, which may create pods)",
        pod: variant({ serviceAccountName: "pipeline" }),
        expected: "service-account",
        names: "it names pipeline",
    },
    {
        name: "automountServiceAccountToken: true",
        pod: variant({ automountServiceAccountToken: true }),
        expected: "no-token-automount",
        names: "it sets true",
    },
    {
        name: "automountServiceAccountToken unset",
        pod: variant({ automountServiceAccountToken: undefined }),
        expected: "no-token-automount",
        names: "it leaves it unset",
    },
    {
        name: "a projected serviceAccountToken volume",
        pod: withVolume({
            name: "token",
            projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600 } }] },
        }),
        expected: "no-projected-token",
        names: "volumes with a serviceAccountToken source: token",
    },
    {
        name: "hostNetwork",
        pod: variant({ hostNetwork: true }),
        expected: "no-host-namespaces",
        names: "it sets hostNetwork",
    },
    { name: "hostPID", pod: variant({ hostPID: true }), expected: "no-host-namespaces", names: "it sets hostPID" },
    { name: "hostIPC", pod: variant({ hostIPC: true }), expected: "no-host-namespaces", names: "it sets hostIPC" },
    {
        name: "a hostPath volume",
        pod: withVolume({ name: "host-etc", hostPath: { path: "/etc" } }),
        expected: "no-host-path",
        names: "hostPath volumes: host-etc",
    },
    {
        name: `the dead-letter claim ${VOLUMES.deadLetter} (the cleanup's records)`,
        pod: withVolume({ name: "records", persistentVolumeClaim: { claimName: VOLUMES.deadLetter } }),
        expected: "claim-allow-list",
        names: `volume records claim ${VOLUMES.deadLetter}`,
    },
    {
        name: "a claim outside trialClaimNames",
        pod: withVolume({ name: "other", persistentVolumeClaim: { claimName: "someone-elses-data" } }),
        expected: "claim-allow-list",
        names: "volume other claim someone-elses-data",
    },
    {
        name: `the workspace claim ${VOLUMES.workspace} (trialClaimNames)`,
        pod: withVolume({ name: "ws", persistentVolumeClaim: { claimName: VOLUMES.workspace } }),
        expected: "admitted",
    },
    {
        name: "an ephemeral volume (a claim of its own)",
        pod: withVolume({
            name: "scratch",
            ephemeral: {
                volumeClaimTemplate: {
                    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } },
                },
            },
        }),
        expected: "admitted",
    },
    {
        name: `a secret volume of ${LITELLM.credentialsSecret} (the Vertex key)`,
        pod: withVolume({ name: "vertex", secret: { secretName: LITELLM.credentialsSecret } }),
        expected: "secret-allow-list",
        names: `volume vertex Secret ${LITELLM.credentialsSecret}`,
    },
    {
        name: "a secret volume of vertex-service-account",
        pod: withVolume({ name: "vertex", secret: { secretName: "vertex-service-account" } }),
        expected: "secret-allow-list",
        names: "volume vertex Secret vertex-service-account",
    },
    {
        name: "env secretKeyRef to a Secret outside the list",
        pod: withContainerEnv(secretEnv("unrelated-secret")),
        expected: "secret-allow-list",
        names: "container agent env CREDENTIAL from Secret unrelated-secret",
    },
    {
        name: `envFrom secretRef to ${LITELLM.credentialsSecret}`,
        pod: withContainerEnv([{ secretRef: { name: LITELLM.credentialsSecret } }], "envFrom"),
        expected: "secret-allow-list",
        names: `container agent envFrom Secret ${LITELLM.credentialsSecret}`,
    },
    {
        name: "a projected volume with a Secret outside the list beside the master key",
        pod: withVolume({
            name: "bundle",
            projected: {
                sources: [
                    { secret: { name: LITELLM.masterKeySecret } },
                    { secret: { name: "vertex-service-account" } },
                ],
            },
        }),
        expected: "secret-allow-list",
        names: "projected volume bundle Secret vertex-service-account",
    },
    {
        name: "an init container with env secretKeyRef outside the list",
        pod: variant({ initContainers: [{ name: "setup", image: IMAGE, env: secretEnv(LITELLM.credentialsSecret) }] }),
        expected: "secret-allow-list",
        names: `init container setup env CREDENTIAL from Secret ${LITELLM.credentialsSecret}`,
    },
    {
        name: `env secretKeyRef to ${LITELLM.masterKeySecret} (litellm mode)`,
        pod: withContainerEnv(secretEnv(LITELLM.masterKeySecret)),
        expected: "admitted",
    },
    {
        name: `a secret volume of ${TRIAL_SECRET} (trialSecretNames)`,
        pod: withVolume({ name: "db", secret: { secretName: TRIAL_SECRET } }),
        expected: "admitted",
    },
    {
        name: `envFrom secretRef to ${TRIAL_SECRET} (trialSecretNames)`,
        pod: withContainerEnv([{ secretRef: { name: TRIAL_SECRET } }], "envFrom"),
        expected: "admitted",
    },
    {
        name: "by the cluster admin: no labels, the cleanup account, its token, a Secret outside the list",
        pod: (base) =>
            withVolume({ name: "vertex", secret: { secretName: LITELLM.credentialsSecret } })(
                variant({ serviceAccountName: CLEANUP.name, automountServiceAccountToken: undefined }, () => ({}))(
                    base,
                ),
            ),
        expected: "admitted",
        as: "admin",
    },
];

function toYaml(pod: Pod): string {
    return YAML.stringify({ apiVersion: "v1", kind: "Pod", ...pod });
}

function createPod(pod: Pod, as: "pipeline" | "admin", dryRun = false): Result {
    return run(
        "kubectl",
        [
            "create",
            "-f",
            "-",
            ...(as === "pipeline" ? ["--as", PIPELINE] : []),
            ...(dryRun ? ["--dry-run=server"] : []),
        ],
        { input: toYaml(pod) },
    );
}

function denial(rule: string): string {
    return `ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: rule ${rule}: `;
}

/** The API server loads policies asynchronously: waits until it admits (or refuses) as expected. */
async function untilPolicy(inForce: boolean, probe: Pod): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
        const r = createPod(probe, "pipeline", true);
        if ((r.status !== 0 && r.output.includes(denial("trial-labels"))) === inForce) {
            return;
        }
        if (Date.now() > deadline) {
            throw new Error(`the policy is ${inForce ? "still not" : "still"} in force after 60 s: ${r.output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

describe("admission of the pods the pipeline creates, on the real API server", function () {
    this.timeout(15 * 60_000);
    const ws = new PulumiWorkspace();
    const up = (): Result => ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("dev")]);
    let base: Pod;
    let count = 0;
    const created: string[] = [];
    const observed: string[][] = [];
    const nextName = (): string => {
        const name = `${TRIAL_PREFIX}admission-${++count}`;
        created.push(name);
        return name;
    };
    const unlabelled = (): Pod => ({
        ...variant({}, () => ({}))(base),
        metadata: { ...base.metadata, name: "probe", labels: {} },
    });

    before(async () => {
        requireCluster();
        ws.initStack(STACK, "dev", {
            "abevalflow:namespace": NAMESPACE,
            "abevalflow:podSecurityEnforce": "privileged",
        });
        // A list value, as a stack file holds it.
        const file = path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`);
        const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
        doc.config["abevalflow:trialSecretNames"] = [TRIAL_SECRET];
        fs.writeFileSync(file, YAML.stringify(doc));
        const r = up();
        console.log(`      up: ${r.ms} ms`);
        for (const secret of TEST_SECRETS) {
            // vertex-service-account exists already: the stack names it, so it is there before the proxy starts.
            const r = run("kubectl", [
                "create",
                "secret",
                "generic",
                secret,
                "-n",
                NAMESPACE,
                "--from-literal=value=e2e",
            ]);
            expect(r.status === 0 || /already exists/.test(r.output), r.output).to.equal(true);
        }
        // The legitimate trial pod, as the pod launcher builds it from what the program publishes.
        const published = kubectlJson<{ data: Record<string, string> }>([
            "get",
            "configmap",
            TRIAL_BASELINE_CONFIGMAP,
            "-n",
            NAMESPACE,
        ]).data;
        const b = JSON.parse(published["baseline.json"]) as TrialPodBaseline;
        expect(published[TRIAL_POD_NAME_PREFIX_KEY]).to.equal(TRIAL_PREFIX);
        base = {
            metadata: {
                name: "",
                namespace: NAMESPACE,
                labels: JSON.parse(published["podLabels.json"]) as Record<string, string>,
            },
            spec: {
                automountServiceAccountToken: b.automountServiceAccountToken,
                securityContext: b.podSecurityContext,
                containers: [
                    {
                        name: "agent",
                        image: IMAGE,
                        securityContext: b.containerSecurityContext,
                        resources: b.resources,
                        volumeMounts: b.volumeMounts,
                    },
                ],
                volumes: b.volumes,
            },
        };
        await untilPolicy(true, unlabelled());
    });

    after(() => {
        if (observed.length > 0) {
            console.log(
                [
                    "      | pod | by | expected | observed |",
                    "      |---|---|---|---|",
                    ...observed.map((row) => `      | ${row.join(" | ")} |`),
                ].join("\n"),
            );
        }
        ws.pulumi(["destroy", "--yes", "--skip-preview", "-s", STACK]);
        // The Namespace is retained on destroy (the volumes live there); this suite's is not needed.
        run("kubectl", ["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false"]);
        ws.dispose();
    });

    it("up creates the policy and its binding, cluster-scoped, for the pipeline's requests in this namespace only", () => {
        const policy = kubectlJson<{
            metadata: { annotations: Record<string, string> };
            spec: { failurePolicy: string; matchConditions: { expression: string }[] };
            status?: { typeChecking?: { expressionWarnings?: unknown[] } };
        }>(["get", "validatingadmissionpolicy", POLICY]);
        expect(policy.spec.failurePolicy).to.equal("Fail");
        expect(policy.spec.matchConditions.map((c) => c.expression)).to.deep.equal([
            `request.userInfo.username == "${PIPELINE}"`,
        ]);
        expect(policy.metadata.annotations).to.include({ "pulumi.com/patchForce": "true" });
        // The API server type-checks every expression against the Pod schema and reports here.
        expect(policy.status?.typeChecking?.expressionWarnings ?? [], JSON.stringify(policy.status)).to.deep.equal([]);
        const binding = kubectlJson<{ spec: Record<string, unknown> }>([
            "get",
            "validatingadmissionpolicybinding",
            POLICY,
        ]);
        expect(binding.spec).to.deep.equal({
            policyName: POLICY,
            validationActions: ["Deny"],
            matchResources: {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACE } },
                objectSelector: {},
                matchPolicy: "Equivalent",
            },
        });
    });

    for (const c of CASES) {
        const as = c.as ?? "pipeline";
        it(`${as === "admin" ? "admin" : "pipeline"}: ${c.name} -> ${c.expected === "admitted" ? "admitted" : `denied by ${c.expected}`}`, () => {
            const pod = c.pod(base);
            pod.metadata.name = c.podName ?? nextName();
            const r = createPod(pod, as);
            const denied = /denied request: rule ([a-z-]+):/.exec(r.output)?.[1];
            observed.push([
                c.name,
                as,
                c.expected === "admitted" ? "admitted" : `denied: ${c.expected}`,
                r.status === 0 ? "admitted" : `denied: ${denied ?? r.output.trim()}`,
            ]);
            if (c.expected === "admitted") {
                expect(r.status, r.output).to.equal(0);
                if (as === "pipeline") {
                    expect(r.stderr, "meets restricted too: no Pod Security warning").to.not.match(
                        /violate PodSecurity/,
                    );
                }
                // Only the first (the UPDATE cases patch it) stays: the others would fill the quota.
                if (pod.metadata.name !== created[0]) {
                    ok("kubectl", [
                        "delete",
                        "pod",
                        pod.metadata.name,
                        "-n",
                        NAMESPACE,
                        "--grace-period=0",
                        "--force",
                        "--wait=false",
                    ]);
                }
            } else {
                expect(r.status, r.output).to.not.equal(0);
                expect(r.output).to.contain(denial(c.expected));
                expect(r.output).to.contain(c.names);
                // Refused at admission: the pod was never stored, so no node ever saw it.
                expect(run("kubectl", ["get", "pod", pod.metadata.name, "-n", NAMESPACE]).output).to.match(/NotFound/);
            }
        });
    }

    describe("after creation (UPDATE), should the pipeline ever be allowed to change pods", () => {
        // The pipeline's Role has no update or patch on pods; this suite grants them for a moment.
        before(() => {
            ok("kubectl", [
                "create",
                "role",
                "e2e-pod-patch",
                "-n",
                NAMESPACE,
                "--verb=get,patch",
                "--resource=pods,pods/ephemeralcontainers",
            ]);
            ok("kubectl", [
                "create",
                "rolebinding",
                "e2e-pod-patch",
                "-n",
                NAMESPACE,
                "--role=e2e-pod-patch",
                `--serviceaccount=${NAMESPACE}:pipeline`,
            ]);
        });
        after(() => {
            run("kubectl", ["delete", "rolebinding,role", "e2e-pod-patch", "-n", NAMESPACE, "--ignore-not-found"]);
        });

        it("taking the trial label off is denied; adding another label is admitted", () => {
            // The first case's pod: the legitimate trial pod, admitted.
            const name = created[0];
            const off = run("kubectl", ["label", "pod", name, "-n", NAMESPACE, "abevalflow/role-", "--as", PIPELINE]);
            observed.push([
                "remove the trial label (patch)",
                "pipeline",
                "denied: trial-labels",
                off.status === 0 ? "admitted" : "denied: trial-labels",
            ]);
            expect(off.status, off.output).to.not.equal(0);
            expect(off.output).to.contain(denial("trial-labels"));
            const other = run("kubectl", ["label", "pod", name, "-n", NAMESPACE, "e2e/marker=1", "--as", PIPELINE]);
            expect(other.status, other.output).to.equal(0);
        });

        it(`an ephemeral container reading ${LITELLM.credentialsSecret} is denied`, () => {
            const patch = {
                spec: {
                    ephemeralContainers: [{ name: "debug", image: IMAGE, env: secretEnv(LITELLM.credentialsSecret) }],
                },
            };
            const r = run("kubectl", [
                "patch",
                "pod",
                created[0],
                "-n",
                NAMESPACE,
                "--subresource",
                "ephemeralcontainers",
                "--type",
                "strategic",
                "-p",
                JSON.stringify(patch),
                "--as",
                PIPELINE,
            ]);
            observed.push([
                "ephemeral container with env from the Vertex key (patch)",
                "pipeline",
                "denied: secret-allow-list",
                r.status === 0 ? "admitted" : "denied: secret-allow-list",
            ]);
            expect(r.status, r.output).to.not.equal(0);
            expect(r.output)
                .to.contain(denial("secret-allow-list"))
                .and.contain(`ephemeral container debug env CREDENTIAL from Secret ${LITELLM.credentialsSecret}`);
        });
    });

    describe("the pipeline's pods on the nodes: run, exec, attach and port-forward", () => {
        const trialPod = `${TRIAL_PREFIX}exec-target`;
        let proxyPod = "";
        const cleanupJob = `${CLEANUP.name}-e2e-exec`;
        const asPipeline = (args: string[]): Result =>
            run("kubectl", ["-n", NAMESPACE, "--as", PIPELINE, ...args], { timeoutMs: 30_000 });
        const refused = (r: Result, sub: string, pod: string): void => {
            expect(r.status, r.output).to.not.equal(0);
            expect(r.output)
                .to.contain(denial("connect-trial-pods-only"))
                .and.contain(`it asked for pods/${sub} of pod ${pod}`);
        };

        before(() => {
            // A trial pod the pipeline creates with generateName, from the published baseline, running the probe image.
            const pod = JSON.parse(JSON.stringify(base)) as Pod;
            const meta = { generateName: trialPod + "-", namespace: NAMESPACE, labels: base.metadata.labels };
            const [agent] = pod.spec.containers as Record<string, unknown>[];
            Object.assign(agent, {
                image: clusterState().probeImage,
                imagePullPolicy: "IfNotPresent",
                command: ["sleep", "3600"],
            });
            // busybox runs as root unless told: the baseline's runAsNonRoot needs a user id.
            pod.spec.securityContext = { ...(pod.spec.securityContext as object), runAsUser: 65532, runAsGroup: 65532 };
            pod.spec.terminationGracePeriodSeconds = 0;
            const r = run("kubectl", ["create", "-f", "-", "-o", "name", "--as", PIPELINE], {
                input: YAML.stringify({ apiVersion: "v1", kind: "Pod", metadata: meta, spec: pod.spec }),
            });
            expect(r.status, r.output).to.equal(0);
            const created = r.stdout.trim().replace(/^pod\//, "");
            expect(created.startsWith(`${trialPod}-`), `generateName gives the prefix: ${created}`).to.equal(true);
            ok("kubectl", ["-n", NAMESPACE, "label", "pod", created, "e2e/exec-target=1"]);
            ok("kubectl", ["-n", NAMESPACE, "wait", "--for=condition=Ready", `pod/${created}`, "--timeout=120s"]);
            proxyPod = ok("kubectl", [
                "-n",
                NAMESPACE,
                "get",
                "pod",
                "-l",
                Object.entries(LITELLM.podLabels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(","),
                "--field-selector=status.phase=Running",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ]).stdout.trim();
            expect(proxyPod.startsWith(`${LITELLM.name}-`), "the proxy runs").to.equal(true);
            ok("kubectl", ["create", "job", cleanupJob, `--from=cronjob/${CLEANUP.name}`, "-n", NAMESPACE]);
            // attach and port-forward are not in the pipeline's Role; granted here for a moment so that the policy, not RBAC, is what refuses.
            ok("kubectl", [
                "create",
                "role",
                "e2e-connect",
                "-n",
                NAMESPACE,
                "--verb=create,get",
                "--resource=pods/attach,pods/portforward",
            ]);
            ok("kubectl", [
                "create",
                "rolebinding",
                "e2e-connect",
                "-n",
                NAMESPACE,
                "--role=e2e-connect",
                `--serviceaccount=${NAMESPACE}:pipeline`,
            ]);
        });
        after(() => {
            run("kubectl", ["delete", "rolebinding,role", "e2e-connect", "-n", NAMESPACE, "--ignore-not-found"]);
            run("kubectl", ["delete", "job", cleanupJob, "-n", NAMESPACE, "--ignore-not-found", "--wait=false"]);
            run("kubectl", [
                "delete",
                "pod",
                "-l",
                "e2e/exec-target=1",
                "-n",
                NAMESPACE,
                "--grace-period=0",
                "--force",
                "--wait=false",
            ]);
        });

        const target = (): string =>
            ok("kubectl", [
                "-n",
                NAMESPACE,
                "get",
                "pod",
                "-l",
                "e2e/exec-target=1",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ]).stdout.trim();

        it("a trial pod the pipeline creates from the published baseline is scheduled and runs to completion, as a non-root user, with no token", () => {
            const pod = JSON.parse(JSON.stringify(base)) as Pod;
            const [agent] = pod.spec.containers as Record<string, unknown>[];
            const token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
            Object.assign(agent, {
                image: clusterState().probeImage,
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "-c", `echo uid=$(id -u); test -e ${token} && echo token=present || echo token=absent`],
            });
            pod.spec.securityContext = { ...(pod.spec.securityContext as object), runAsUser: 65532, runAsGroup: 65532 };
            pod.spec.restartPolicy = "Never";
            const r = run("kubectl", ["create", "-f", "-", "-o", "name", "--as", PIPELINE], {
                input: YAML.stringify({
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: {
                        generateName: `${TRIAL_PREFIX}run-`,
                        namespace: NAMESPACE,
                        labels: base.metadata.labels,
                    },
                    spec: pod.spec,
                }),
            });
            expect(r.status, r.output).to.equal(0);
            const name = r.stdout.trim().replace(/^pod\//, "");
            ok("kubectl", [
                "-n",
                NAMESPACE,
                "wait",
                "--for=jsonpath={.status.phase}=Succeeded",
                `pod/${name}`,
                "--timeout=120s",
            ]);
            const placed = kubectlJson<{ spec: { nodeName?: string } }>(["get", "pod", name, "-n", NAMESPACE]).spec
                .nodeName;
            expect(placed, "scheduled onto a node").to.match(/^node-\d$/);
            expect(ok("kubectl", ["-n", NAMESPACE, "logs", name]).stdout.trim().split("\n")).to.deep.equal([
                "uid=65532",
                "token=absent",
            ]);
            ok("kubectl", ["-n", NAMESPACE, "delete", "pod", name, "--wait=false"]);
        });

        it("exec into the trial pod it created: allowed, and the command runs", () => {
            const r = asPipeline(["exec", target(), "--", "id", "-u"]);
            observed.push([
                "exec into its trial pod",
                "pipeline",
                "admitted",
                r.status === 0 ? "admitted" : `denied: ${r.output.trim()}`,
            ]);
            expect(r.status, r.output).to.equal(0);
            expect(r.stdout.trim()).to.equal("65532");
        });

        it("exec into the LiteLLM proxy's pod (Vertex key, master key): refused, while the admin's exec runs", () => {
            const r = asPipeline(["exec", proxyPod, "--", "true"]);
            observed.push([
                "exec into the proxy's pod",
                "pipeline",
                "denied: connect-trial-pods-only",
                r.status === 0 ? "admitted" : "denied",
            ]);
            refused(r, "exec", proxyPod);
            // The control: the pod can be exec'ed into, so the refusal is the policy's.
            const admin = run("kubectl", ["-n", NAMESPACE, "exec", proxyPod, "--", "true"], { timeoutMs: 30_000 });
            expect(admin.status, admin.output).to.equal(0);
        });

        it("exec into the cleanup job's pod (a token that can delete): refused", () => {
            // The Job controller creates the pod shortly after the Job.
            const pod = eventually(
                () =>
                    ok("kubectl", [
                        "-n",
                        NAMESPACE,
                        "get",
                        "pod",
                        "-l",
                        `job-name=${cleanupJob}`,
                        "-o",
                        "jsonpath={.items[0].metadata.name}",
                    ]).stdout.trim(),
                (name) => name !== "",
                60,
            );
            const r = asPipeline(["exec", pod, "--", "true"]);
            observed.push([
                "exec into the cleanup's pod",
                "pipeline",
                "denied: connect-trial-pods-only",
                r.status === 0 ? "admitted" : "denied",
            ]);
            refused(r, "exec", pod);
        });

        it("attach to and port-forward to the proxy's pod: refused; port-forward to the trial pod: allowed", () => {
            refused(asPipeline(["attach", proxyPod]), "attach", proxyPod);
            refused(
                asPipeline(["port-forward", `pod/${proxyPod}`, ":4000", "--pod-running-timeout=5s"]),
                "portforward",
                proxyPod,
            );
            // Admitted: kubectl keeps forwarding until stopped, so it is cut off once it says so.
            const r = run(
                "timeout",
                ["5", "kubectl", "-n", NAMESPACE, "port-forward", `pod/${target()}`, ":8080", "--as", PIPELINE],
                { timeoutMs: 30_000 },
            );
            expect(r.output, r.output).to.match(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/);
        });
    });

    // Last (mocha runs a suite's own tests before its nested suites, so this one is nested too).
    describe("admissionPolicy: false", () => {
        it("up deletes both objects, and the pipeline's unlabelled pod is admitted again", async () => {
            ws.config(STACK, "abevalflow:admissionPolicy", "false");
            up();
            for (const kind of ["validatingadmissionpolicy", "validatingadmissionpolicybinding"]) {
                expect(run("kubectl", ["get", kind, POLICY]).output).to.match(/NotFound/);
            }
            await untilPolicy(false, unlabelled());
            const pod = unlabelled();
            pod.metadata.name = nextName();
            const r = createPod(pod, "pipeline");
            observed.push([
                "no labels, admissionPolicy false",
                "pipeline",
                "admitted (unprotected)",
                r.status === 0 ? "admitted" : "denied",
            ]);
            expect(r.status, r.output).to.equal(0);
        });
    });
});
