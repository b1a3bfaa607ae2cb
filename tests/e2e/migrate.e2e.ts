// The first deploy over a namespace that `oc apply` filled (tests/fixtures/policy-yaml/
// original-config, in a namespace of its own), on the local control plane: a fresh deploy of
// a prod-based stack is recorded first; then the old manifests are applied, their claims bound
// and marked by hand, `npm run migrate` plans and applies, `pulumi up` runs, and the namespace
// must equal the fresh deploy, with no old allow policy, the markers and the old Secret kept.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { ROLL_ANNOTATIONS } from "../../components/litellm";
import { NETWORK_POLICIES } from "../../components/names";
import { RESOURCES } from "../../scripts/migrate/kube";
import { KEPT_MANAGER, Step } from "../../scripts/migrate/plan";
import { kubectlJson, ok, PulumiWorkspace, REPO_ROOT, Result, run, twoContextKubeconfig } from "./support";

const NAMESPACE = "abevalflow-e2e-migrate";
const STACK = "e2e-migrate";
const FIXTURE = path.join(REPO_ROOT, "tests/fixtures/policy-yaml/original-config");
const MARKER = "test.abevalflow/marker";
const CLAIMS = { "abevalflow-workspace": "10Gi", "abevalflow-dead-letter": "5Gi" } as const;
const OLD_POLICIES = [
    "trial-allow-direct-api",
    "trial-allow-litellm",
    "trial-allow-self-hosted",
    "trial-default-deny-egress",
];

interface Obj {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        resourceVersion?: string;
        annotations?: Record<string, string>;
        managedFields?: { manager: string }[];
        [k: string]: unknown;
    };
    spec?: Record<string, unknown>;
    data?: Record<string, string>;
    [k: string]: unknown;
}

const NAMESPACED = Object.entries(RESOURCES)
    .filter(([kind]) => kind !== "Namespace")
    .map(([, resource]) => resource)
    .join(",");
// Made by the API server and its controllers in every namespace, or kept by the migration and checked on its own.
const NOT_COMPARED = new Set([
    "ServiceAccount/default",
    "ConfigMap/kube-root-ca.crt",
    "Secret/litellm-credentials",
    "Secret/vertex-service-account",
]);
// What the old Secret held: the Vertex key, base64-encoded into GOOGLE_APPLICATION_CREDENTIALS_JSON.
const SERVICE_ACCOUNT_JSON = JSON.stringify({
    type: "service_account",
    project_id: "abevalflow-e2e",
    client_email: "e2e@abevalflow-e2e.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\ne2e\n-----END PRIVATE KEY-----\n",
});

function listed(): Obj[] {
    return kubectlJson<{ items: Obj[] }>(["get", NAMESPACED, "-n", NAMESPACE, "--show-managed-fields"]).items;
}

/** An object as a fresh deploy would have it, without what the API server fills in differently each time. */
function normalize(o: Obj): Obj {
    const copy = JSON.parse(JSON.stringify(o)) as Obj;
    delete copy.status;
    for (const k of ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"]) {
        delete copy.metadata[k];
    }
    const annotations = copy.metadata.annotations ?? {};
    for (const k of Object.keys(annotations)) {
        if (k === MARKER || k === "deployment.kubernetes.io/revision" || k.startsWith("pv.kubernetes.io/")) {
            delete annotations[k];
        }
    }
    if (Object.keys(annotations).length === 0) {
        delete copy.metadata.annotations;
    }
    if (copy.kind === "Service" && copy.spec) {
        delete copy.spec.clusterIP;
        delete copy.spec.clusterIPs;
    }
    if (copy.kind === "PersistentVolumeClaim" && copy.spec) {
        delete copy.spec.volumeName; // the migrated claims are bound, the fresh ones wait for a consumer
    }
    if (copy.kind === "Secret" && copy.data) {
        copy.data = Object.fromEntries(Object.keys(copy.data).map((k) => [k, "(generated per stack)"]));
    }
    // The proxy's pod template carries the digest of the master key, which each deploy generates anew.
    const template = (copy.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)
        ?.template?.metadata?.annotations;
    if (copy.kind === "Deployment" && template?.[ROLL_ANNOTATIONS.masterKey]) {
        template[ROLL_ANNOTATIONS.masterKey] = "(digest of the key generated per stack)";
    }
    return copy;
}

function snapshot(): Record<string, Obj> {
    const out: Record<string, Obj> = {};
    for (const o of listed()) {
        const key = `${o.kind}/${o.metadata.name}`;
        if (!NOT_COMPARED.has(key)) {
            out[key] = normalize(o);
        }
    }
    out[`Namespace/${NAMESPACE}`] = normalize(kubectlJson<Obj>(["get", "namespace", NAMESPACE]));
    for (const o of kubectlJson<{ items: Obj[] }>([
        "get",
        "validatingadmissionpolicies,validatingadmissionpolicybindings",
        "-l",
        `abevalflow/namespace=${NAMESPACE}`,
    ]).items) {
        out[`${o.kind}/${o.metadata.name}`] = normalize(o);
    }
    return out;
}

/** resourceVersion of everything in the namespace: equal before and after means nothing changed. */
/**
 * Each object's resourceVersion, but a ResourceQuota's spec: the quota controller rewrites its
 * status (and so its version) whenever a pod of the namespace starts or ends.
 */
function versions(): Record<string, string | undefined> {
    return Object.fromEntries(
        [...listed(), kubectlJson<Obj>(["get", "namespace", NAMESPACE])].map((o) => [
            `${o.kind}/${o.metadata.name}`,
            o.kind === "ResourceQuota"
                ? JSON.stringify((o as Obj & { spec?: unknown }).spec)
                : o.metadata.resourceVersion,
        ]),
    );
}

describe("migration of an oc-applied namespace, then the first pulumi up", function () {
    this.timeout(20 * 60_000);
    const ws = new PulumiWorkspace();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-migrate-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    let fresh: Record<string, Obj> = {};
    let clusterUid = "";
    let expandable: unknown;
    let storageClass = "";

    const migrate = (...args: string[]): Result =>
        run("npx", ["ts-node", "--transpile-only", "scripts/migrate/cli.ts", ...args], {
            env: { KUBECONFIG: kubeconfig },
        });
    const plan = (...args: string[]): { steps: Step[]; problems: string[]; prerequisites: string[] } => {
        const r = migrate(STACK, "--json", ...args);
        expect(r.status, r.output).to.equal(0);
        return JSON.parse(r.stdout) as { steps: Step[]; problems: string[]; prerequisites: string[] };
    };
    const up = (): Result => ws.pulumiOk(["up", "--yes", "--skip-preview", "-s", STACK, ...ws.policyArgs("prod")]);

    before(() => {
        // The stack's context "local", and a second one that reaches nothing for the bad-input case.
        fs.writeFileSync(kubeconfig, YAML.stringify(twoContextKubeconfig("local")), { mode: 0o600 });
        ws.env.KUBECONFIG = kubeconfig;
        clusterUid = kubectlJson<Obj>(["get", "namespace", "kube-system"]).metadata.uid as string;
        ws.initStack(STACK, "prod", {
            "abevalflow:namespace": NAMESPACE,
            "abevalflow:kubeContext": "local",
            "abevalflow:clusterId": clusterUid,
        });
        const classes = kubectlJson<{ items: Obj[] }>(["get", "storageclass"]).items;
        const cls = classes.find(
            (c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
        );
        if (!cls) {
            throw new Error("the local cluster has no default StorageClass");
        }
        storageClass = cls.metadata.name;
        expandable = cls.allowVolumeExpansion;
        // The old claims grow to the stack's sizes: a class that allows it, as gp3-csi on OpenShift does.
        ok("kubectl", [
            "patch",
            "storageclass",
            storageClass,
            "--type=merge",
            "-p",
            JSON.stringify({ allowVolumeExpansion: true }),
        ]);
    });
    after(() => {
        ws.pulumi(["stack", "rm", "--force", "--yes", "-s", STACK]);
        ws.dispose();
        run("kubectl", ["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false"]);
        run("kubectl", [
            "delete",
            "pv",
            ...Object.keys(CLAIMS).map((c) => `e2e-migrate-${c}`),
            "--ignore-not-found",
            "--wait=false",
        ]);
        run("kubectl", [
            "patch",
            "storageclass",
            storageClass,
            "--type=merge",
            "-p",
            JSON.stringify({ allowVolumeExpansion: expandable ?? null }),
        ]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("records a fresh deploy of the stack, then clears it", () => {
        up();
        fresh = snapshot();
        expect(Object.keys(fresh)).to.include.members([
            `Deployment/litellm`,
            `NetworkPolicy/${NETWORK_POLICIES.trialDefaultDeny}`,
            "PersistentVolumeClaim/abevalflow-workspace",
        ]);
        ws.pulumiOk(["stack", "rm", "--force", "--yes", "-s", STACK]);
        // The proxy's pods would take their whole grace period (preStop and in-flight requests, over
        // ten minutes): this namespace is only cleared for the next test, so they go at once, after
        // their Deployment stops replacing them.
        ok("kubectl", ["scale", "deployment", "--all", "-n", NAMESPACE, "--replicas=0"]);
        ok("kubectl", ["delete", "pods", "--all", "-n", NAMESPACE, "--grace-period=0", "--force"]);
        ok("kubectl", ["delete", "namespace", NAMESPACE, "--wait=true", "--timeout=600s"]);
        ws.initStack(STACK, "prod", {
            "abevalflow:namespace": NAMESPACE,
            "abevalflow:kubeContext": "local",
            "abevalflow:clusterId": clusterUid,
        });
    });

    it("a namespace that does not exist has nothing to migrate", () => {
        const r = migrate(STACK);
        expect(r.status, r.output).to.equal(0);
        expect(r.stdout).to.contain(`namespace ${NAMESPACE} does not exist: nothing to migrate`);
    });

    it("the old manifests go in with oc-style client-side apply; their claims are bound and marked by hand", () => {
        ok("kubectl", ["create", "namespace", NAMESPACE]);
        for (const [claim, size] of Object.entries(CLAIMS)) {
            // Pre-bound volumes: the volume controller binds them without a scheduler.
            ok("kubectl", ["apply", "-f", "-"], {
                input: JSON.stringify({
                    apiVersion: "v1",
                    kind: "PersistentVolume",
                    metadata: { name: `e2e-migrate-${claim}` },
                    spec: {
                        capacity: { storage: size },
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: storageClass,
                        persistentVolumeReclaimPolicy: "Retain",
                        hostPath: { path: `/tmp/e2e-migrate-${claim}` },
                        claimRef: { namespace: NAMESPACE, name: claim },
                    },
                }),
            });
        }
        const files = fs
            .readdirSync(FIXTURE, { recursive: true, encoding: "utf8" })
            .filter((f) => f.endsWith(".yaml"))
            .sort();
        const manifests = files
            .map((f) =>
                fs
                    .readFileSync(path.join(FIXTURE, f), "utf8")
                    .replaceAll("ab-eval-flow", NAMESPACE)
                    .replace(
                        "<base64-encoded service account JSON>",
                        Buffer.from(SERVICE_ACCOUNT_JSON).toString("base64"),
                    ),
            )
            .join("\n---\n");
        ok("kubectl", ["apply", "-f", "-"], { input: manifests });
        const deadline = Date.now() + 60_000;
        while (
            kubectlJson<{ items: { status: { phase: string } }[] }>(["get", "pvc", "-n", NAMESPACE]).items.some(
                (c) => c.status.phase !== "Bound",
            )
        ) {
            if (Date.now() > deadline) {
                throw new Error(
                    `the pre-bound claims did not bind within a minute: ${run("kubectl", ["get", "pvc,pv", "-n", NAMESPACE]).output}`,
                );
            }
            run("sleep", ["1"]);
        }
        ok("kubectl", [
            "annotate",
            "pvc",
            "-n",
            NAMESPACE,
            ...Object.keys(CLAIMS),
            `${MARKER}=data-of-the-old-namespace`,
        ]);
    });

    it("bad input ends in a clear error and changes nothing", () => {
        const before = versions();
        const unknown = migrate("staging");
        expect(unknown.status).to.equal(2);
        expect(unknown.stderr).to.contain('unknown stack "staging"').and.contain("stacks here:").and.contain("prod");

        ws.config(STACK, "abevalflow:clusterId", "00000000-0000-4000-8000-000000000000");
        const wrong = migrate(STACK, "--apply");
        expect(wrong.status).to.equal(1);
        expect(wrong.stderr)
            .to.contain("00000000-0000-4000-8000-000000000000")
            .and.contain(clusterUid)
            .and.contain("nothing was changed");
        ws.config(STACK, "abevalflow:clusterId", clusterUid);

        ws.config(STACK, "abevalflow:kubeContext", "unreachable");
        const unreachable = migrate(STACK, "--apply");
        expect(unreachable.status).to.equal(1);
        expect(unreachable.stderr)
            .to.contain("cannot read the cluster through context unreachable")
            .and.contain("127.0.0.1:9")
            .and.contain("nothing was changed");
        ws.config(STACK, "abevalflow:kubeContext", "local");

        ok("kubectl", ["apply", "-n", NAMESPACE, "-f", "-"], {
            input: JSON.stringify({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "team-notes" },
                data: { a: "b" },
            }),
        });
        const stranger = migrate(STACK, "--apply");
        expect(stranger.status).to.equal(1);
        expect(stranger.stdout)
            .to.contain("ConfigMap/team-notes was applied by hand")
            .and.contain("--keep ConfigMap/team-notes");
        expect(stranger.stderr).to.contain("nothing was changed");
        const { "ConfigMap/team-notes": _added, ...after } = versions();
        expect(after).to.deep.equal(before);
        expect(plan("--keep", "ConfigMap/team-notes").problems).to.deep.equal([]);
        ok("kubectl", ["delete", "configmap", "team-notes", "-n", NAMESPACE]);
    });

    it("plans what each old object becomes", () => {
        const p = plan();
        expect(p.problems).to.deep.equal([]);
        const by = (action: string) =>
            p.steps
                .filter((s) => s.action === action)
                .map((s) => `${s.kind}/${s.name}`)
                .sort();
        expect(by("replace")).to.deep.equal(["Deployment/litellm"]);
        expect(by("adopt")).to.deep.equal(
            [
                `Namespace/${NAMESPACE}`,
                "ConfigMap/abevalflow-cleanup-script",
                "CronJob/abevalflow-cleanup",
                "PersistentVolumeClaim/abevalflow-dead-letter",
                "PersistentVolumeClaim/abevalflow-workspace",
                "ResourceQuota/abevalflow-quota",
                "Role/pipeline-trial-manager",
                "RoleBinding/pipeline-image-builder",
                "RoleBinding/pipeline-trial-manager",
                "Service/litellm",
                "ServiceAccount/pipeline",
            ].sort(),
        );
        expect(by("delete")).to.deep.equal(
            [...OLD_POLICIES.map((n) => `NetworkPolicy/${n}`), "ConfigMap/trial-pod-security-reference"].sort(),
        );
        expect(by("keep")).to.deep.equal(["Secret/litellm-credentials"]);
        expect(by("create-first")).to.include(`NetworkPolicy/${NETWORK_POLICIES.trialDefaultDeny}`);
        const workspace = p.steps.find((s) => s.name === "abevalflow-workspace");
        expect(workspace?.reason).to.contain("grows from 10Gi to 100Gi").and.contain(KEPT_MANAGER);
        expect(p.prerequisites).to.have.length(1);
        expect(p.prerequisites[0]).to.contain("Secret/vertex-service-account does not exist yet");
        const before = versions();
        const early = migrate(STACK, "--apply");
        expect(early.status, early.output).to.equal(1);
        expect(early.stderr)
            .to.contain("refused: Secret/vertex-service-account does not exist yet")
            .and.contain("nothing was changed");
        expect(versions()).to.deep.equal(before);
    });

    it("the Vertex key moves to the Secret the stack reads with the command of docs/operations.md", () => {
        const docs = fs.readFileSync(path.join(REPO_ROOT, "docs/operations.md"), "utf8");
        const command = /^kubectl get secret litellm-credentials .*$/m.exec(docs)?.[0];
        expect(command, "the copy command in docs/operations.md, section 4").to.be.a("string");
        const copy = (): void => {
            ok("bash", ["-o", "pipefail", "-c", (command as string).replaceAll("ab-eval-flow", NAMESPACE)], {
                env: { KUBECONFIG: kubeconfig },
            });
            const copied = kubectlJson<Obj>(["get", "secret", "vertex-service-account", "-n", NAMESPACE]);
            expect(Buffer.from(copied.data?.["credentials.json"] ?? "", "base64").toString()).to.equal(
                SERVICE_ACCOUNT_JSON,
            );
            expect(plan().prerequisites).to.deep.equal([]);
        };
        const oldSecret = (value: string): void => {
            ok("kubectl", [
                "patch",
                "secret",
                "litellm-credentials",
                "-n",
                NAMESPACE,
                "--type",
                "merge",
                "-p",
                JSON.stringify({ stringData: { GOOGLE_APPLICATION_CREDENTIALS_JSON: value } }),
            ]);
            run("kubectl", ["delete", "secret", "vertex-service-account", "-n", NAMESPACE, "--ignore-not-found"]);
        };
        // As the old template filled it (base64 in stringData), then as stringData with the raw JSON.
        copy();
        oldSecret(SERVICE_ACCOUNT_JSON);
        copy();
        // The old documented command decoded twice: from raw JSON it wrote an empty key, which --apply now refuses.
        oldSecret(SERVICE_ACCOUNT_JSON);
        // Without pipefail, as an operator's shell runs it: the second decode fails, and the Secret is made empty.
        ok(
            "bash",
            [
                "-c",
                `kubectl get secret litellm-credentials -n ${NAMESPACE} -o jsonpath='{.data.GOOGLE_APPLICATION_CREDENTIALS_JSON}' | base64 -d | base64 -d 2>/dev/null | kubectl create secret generic vertex-service-account -n ${NAMESPACE} --from-file=credentials.json=/dev/stdin`,
            ],
            { env: { KUBECONFIG: kubeconfig } },
        );
        const before = versions();
        const refused = migrate(STACK, "--apply");
        expect(refused.status, refused.output).to.equal(1);
        expect(refused.stderr)
            .to.contain(
                "Secret/vertex-service-account must hold a Google service-account key in JSON form under credentials.json",
            )
            .and.contain("nothing was changed");
        expect(versions()).to.deep.equal(before);
        ok("kubectl", ["delete", "secret", "vertex-service-account", "-n", NAMESPACE]);
        copy();
    });

    it("--apply carries the plan out, a default-deny always in place, and a second run changes nothing", () => {
        const r = migrate(STACK, "--apply");
        expect(r.status, r.output).to.equal(0);
        const at = (text: string): number => {
            const i = r.stderr.indexOf(text);
            expect(i, `${text} in:\n${r.stderr}`).to.be.greaterThan(-1);
            return i;
        };
        const newDeny = at(`create first NetworkPolicy/${NETWORK_POLICIES.trialDefaultDeny}: done`);
        const oldDeny = at("delete NetworkPolicy/trial-default-deny-egress: done");
        for (const allow of OLD_POLICIES.slice(0, 3)) {
            expect(at(`delete NetworkPolicy/${allow}: done`))
                .to.be.greaterThan(newDeny)
                .and.lessThan(oldDeny);
        }
        expect(r.stderr).to.contain(`now run: pulumi up -s ${STACK}`);
        const before = versions();
        const again = migrate(STACK, "--apply");
        expect(again.status, again.output).to.equal(0);
        expect(again.stderr).to.contain("nothing to change");
        expect(versions()).to.deep.equal(before);
    });

    it("after pulumi up the namespace equals a fresh deploy; no old policy is left; the marks and the old Secret remain", () => {
        up();
        ws.pulumiOk(["preview", "--expect-no-changes", "-s", STACK, ...ws.policyArgs("prod")]);
        expect(snapshot()).to.deep.equal(fresh);
        const policies = kubectlJson<{ items: Obj[] }>(["get", "networkpolicy", "-n", NAMESPACE]).items.map(
            (p) => p.metadata.name,
        );
        expect(policies.filter((n) => OLD_POLICIES.includes(n))).to.deep.equal([]);
        const claims = kubectlJson<{ items: Obj[] }>(["get", "pvc", "-n", NAMESPACE]).items;
        for (const claim of claims) {
            expect(claim.metadata.annotations?.[MARKER], claim.metadata.name).to.equal("data-of-the-old-namespace");
            expect((claim.spec as { volumeName?: string }).volumeName).to.equal(`e2e-migrate-${claim.metadata.name}`);
        }
        expect(run("kubectl", ["get", "secret", "litellm-credentials", "-n", NAMESPACE, "-o", "name"]).status).to.equal(
            0,
        );
        expect(plan().steps.filter((s) => s.action !== "keep")).to.deep.equal([]);
    });

    it("a later update of the claims keeps the marks made by hand", () => {
        ws.config(STACK, "abevalflow:deadLetterSize", "21Gi");
        up();
        const claim = kubectlJson<Obj>(["get", "pvc", "abevalflow-dead-letter", "-n", NAMESPACE]);
        expect((claim.spec as { resources: { requests: { storage: string } } }).resources.requests.storage).to.equal(
            "21Gi",
        );
        expect(claim.metadata.annotations?.[MARKER]).to.equal("data-of-the-old-namespace");
    });
});
