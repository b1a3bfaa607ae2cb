// The migration's plan (scripts/migrate/plan.ts) without a cluster: the oc-applied fixture as
// the API server would return it (namespace ab-eval-flow, client-side-apply managers), the
// program's objects rendered under mocks. The same flow against a real API server is in
// tests/e2e/migrate.e2e.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { llmMode } from "../components/llmModes";
import { FIELD_MANAGER, NETWORK_POLICIES } from "../components/names";
import { manifestsOf } from "../scripts/render/manifests";
import { ConfigValidationError } from "../components/config";
import { failureMessage, parseArgs, UsageError } from "../scripts/migrate/cli";
import { RESOURCES } from "../scripts/migrate/kube";
import { legacyObjects } from "../scripts/migrate/legacy";
import {
    changes,
    executionOrder,
    handOver,
    KEPT_MANAGER,
    KubeObject,
    LAST_APPLIED,
    ManagedFieldsEntry,
    mergeFields,
    needsHandOver,
    Plan,
    PlanInput,
    planMigration,
    StorageClassInfo,
} from "../scripts/migrate/plan";
import { LLM_MODES, REPO_ROOT, runProgram, stackConfig, withMode } from "./harness";

const FIXTURE = path.join(REPO_ROOT, "tests/fixtures/policy-yaml/original-config");
const CSA: ManagedFieldsEntry = {
    manager: "kubectl-client-side-apply",
    operation: "Update",
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:metadata": { "f:labels": { "f:a": {} } } },
};
const EXPANDABLE: StorageClassInfo = { name: "gp3-csi", allowVolumeExpansion: true, volumeBindingMode: "Immediate" };

/** The fixture's objects as `oc apply` leaves them: last-applied annotation, client-side-apply manager, claims Bound on gp3-csi. */
function fixtureLive(): KubeObject[] {
    const files = fs.readdirSync(FIXTURE, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml"));
    return files
        .flatMap((f) =>
            YAML.parseAllDocuments(fs.readFileSync(path.join(FIXTURE, f), "utf8")).map((d) => d.toJS() as KubeObject),
        )
        .map((o) => ({
            ...o,
            metadata: {
                ...o.metadata,
                annotations: { ...o.metadata.annotations, [LAST_APPLIED]: "{}" },
                resourceVersion: "1",
                managedFields: [{ ...CSA, apiVersion: o.apiVersion }],
            },
            ...(o.kind === "PersistentVolumeClaim"
                ? { spec: { ...(o.spec as object), storageClassName: "gp3-csi" }, status: { phase: "Bound" } }
                : {}),
        }));
}

/** The old layout's allow policies, one per mode it knew. */
const LEGACY_ALLOWS = LLM_MODES.flatMap((mode) => llmMode(mode).legacyAllowPolicy ?? []);
const OLD_DENY = "trial-default-deny-egress";

const liveNamespace = (managers: ManagedFieldsEntry[] = [{ ...CSA, manager: "kubectl-create" }]): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ab-eval-flow", managedFields: managers },
});

async function input(
    stack: string,
    overrides: Partial<PlanInput> = {},
    values?: Record<string, unknown>,
): Promise<PlanInput> {
    const run = await runProgram(values ?? stackConfig(stack));
    return {
        namespace: run.config.namespace,
        desired: manifestsOf(run),
        liveNamespace: liveNamespace(),
        live: fixtureLive(),
        legacy: legacyObjects(run.config),
        storageClasses: [EXPANDABLE],
        keep: new Set(),
        ...overrides,
    };
}

const actions = (plan: Plan, action: string): string[] =>
    plan.steps
        .filter((s) => s.action === action)
        .map((s) => `${s.kind}/${s.name}`)
        .sort();

describe("migration plan", () => {
    it("classifies every object of the oc-applied layout for the prod stack", async () => {
        const plan = planMigration(await input("prod"));
        expect(plan.problems).to.deep.equal([]);
        expect(actions(plan, "replace")).to.deep.equal(["Deployment/litellm"]);
        expect(plan.steps.find((s) => s.action === "replace")?.reason).to.contain("spec.selector cannot change");
        expect(actions(plan, "adopt")).to.deep.equal([
            "ConfigMap/abevalflow-cleanup-script",
            "CronJob/abevalflow-cleanup",
            "Namespace/ab-eval-flow",
            "PersistentVolumeClaim/abevalflow-dead-letter",
            "PersistentVolumeClaim/abevalflow-workspace",
            "ResourceQuota/abevalflow-quota",
            "Role/pipeline-trial-manager",
            "RoleBinding/pipeline-image-builder",
            "RoleBinding/pipeline-trial-manager",
            "Service/litellm",
            "ServiceAccount/pipeline",
        ]);
        expect(actions(plan, "delete")).to.deep.equal([
            "ConfigMap/trial-pod-security-reference",
            "NetworkPolicy/trial-allow-direct-api",
            "NetworkPolicy/trial-allow-litellm",
            "NetworkPolicy/trial-allow-self-hosted",
            "NetworkPolicy/trial-default-deny-egress",
        ]);
        expect(actions(plan, "keep")).to.deep.equal(["Secret/litellm-credentials"]);
        expect(actions(plan, "create-first")).to.include(`NetworkPolicy/${NETWORK_POLICIES.trialDefaultDeny}`);
        expect(plan.steps.every((s) => s.action !== "adopt" || s.transfer === true)).to.equal(true);
    });

    it("knows each mode's allow policy of the oc-applied layout, and every such policy of it", () => {
        const old = fixtureLive()
            .filter((o) => o.kind === "NetworkPolicy" && o.metadata.name !== OLD_DENY)
            .map((o) => o.metadata.name);
        expect([...LEGACY_ALLOWS].sort()).to.deep.equal(old.sort());
    });

    for (const mode of LLM_MODES) {
        it(`names the ${mode} stack's own allow policy as the successor of every old allow policy`, async () => {
            const plan = planMigration(await input("dev", {}, withMode("dev", mode, { namespace: "ab-eval-flow" })));
            for (const step of plan.steps.filter(
                (s) => s.kind === "NetworkPolicy" && s.name.startsWith("trial-allow-"),
            )) {
                expect(step.reason).to.contain(`superseded by NetworkPolicy/${llmMode(mode).allowPolicy}`);
                expect(step.reason.includes("this stack's LLM mode"), step.name).to.equal(
                    step.name !== llmMode(mode).legacyAllowPolicy,
                );
            }
        });
    }

    it("runs the new default-deny first, allow policies before the old deny, and the Namespace before other adoptions", async () => {
        const i = await input("prod");
        const order = executionOrder(planMigration(i), i.live).map((s) => `${s.action} ${s.kind}/${s.name}`);
        const pos = (text: string) => {
            expect(order, text).to.include(text);
            return order.indexOf(text);
        };
        const oldDeny = pos(`delete NetworkPolicy/${OLD_DENY}`);
        for (const allow of LEGACY_ALLOWS) {
            expect(pos(`delete NetworkPolicy/${allow}`))
                .to.be.lessThan(oldDeny)
                .and.greaterThan(pos(`create-first NetworkPolicy/${NETWORK_POLICIES.trialDefaultDeny}`));
        }
        expect(pos("adopt Namespace/ab-eval-flow")).to.be.lessThan(pos("adopt Service/litellm"));
        expect(pos("replace Deployment/litellm")).to.be.lessThan(pos("delete NetworkPolicy/trial-allow-litellm"));
    });

    it("creates nothing first when no old NetworkPolicy goes", async () => {
        const plan = planMigration(
            await input("prod", { live: fixtureLive().filter((o) => o.kind !== "NetworkPolicy") }),
        );
        expect(actions(plan, "create-first")).to.deep.equal([]);
    });

    it("plans nothing when the namespace does not exist", async () => {
        const plan = planMigration(await input("prod", { liveNamespace: undefined }));
        expect(plan).to.deep.include({ namespaceExists: false, steps: [], problems: [], prerequisites: [], notes: [] });
    });

    it("names a Secret the program reads that is not there yet as a prerequisite of --apply, and never calls it unused once it is", async () => {
        const key = JSON.stringify({
            type: "service_account",
            project_id: "p",
            private_key: "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n",
            client_email: "a@p.iam.gserviceaccount.com",
        });
        const vertex: KubeObject = {
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: { name: "vertex-service-account", managedFields: [{ ...CSA, manager: "kubectl-create" }] },
        };
        const missing = planMigration(await input("prod", { requiredSecrets: ["vertex-service-account"] }));
        expect(missing.problems).to.deep.equal([]);
        expect(missing.prerequisites).to.deep.equal([
            "Secret/vertex-service-account does not exist yet; the program reads it and the LiteLLM pods mount it: create it before --apply (docs/operations.md, section 4)",
        ]);
        const present = planMigration(
            await input("prod", {
                requiredSecrets: ["vertex-service-account"],
                requiredSecretKeys: { "vertex-service-account": key },
                live: [...fixtureLive(), vertex],
            }),
        );
        expect(present.prerequisites).to.deep.equal([]);
        expect(present.steps.find((s) => s.name === "vertex-service-account")).to.deep.include({
            action: "keep",
            reason: "read by the program (the Vertex credentials the proxy mounts); never touched",
        });
    });

    it("refuses --apply while the Secret the proxy reads holds no service-account key under credentials.json, never quoting it", async () => {
        const secret: KubeObject = {
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: { name: "vertex-service-account", managedFields: [{ ...CSA, manager: "kubectl-create" }] },
        };
        const b64 = (text: string) => Buffer.from(text).toString("base64");
        const secretJson = JSON.stringify({
            type: "service_account",
            project_id: "p",
            private_key: "PRIVATE-KEY-TEXT",
            client_email: "a@p.iam.gserviceaccount.com",
        });
        // What credentials.json decodes to; undefined: the Secret has no such key.
        const cases: [string, string | undefined, RegExp][] = [
            ["no credentials.json", undefined, /it has no key credentials\.json/],
            ["empty (raw JSON decoded twice)", "", /it is empty/],
            [
                "still base64 (decoded once too few)",
                b64(secretJson),
                /it is not JSON \(it looks base64-encoded once more\)/,
            ],
            ["not JSON", "PRIVATE-KEY-TEXT {", /it is not JSON$|it is not JSON:/],
            [
                "JSON without the key",
                JSON.stringify({ type: "service_account", project_id: "p" }),
                /without private_key, client_email/,
            ],
        ];
        for (const [what, text, expected] of cases) {
            const plan = planMigration(
                await input("prod", {
                    requiredSecrets: ["vertex-service-account"],
                    requiredSecretKeys: { "vertex-service-account": text },
                    live: [...fixtureLive(), secret],
                }),
            );
            expect(plan.prerequisites, what).to.have.length(1);
            expect(plan.prerequisites[0], what)
                .to.match(
                    /^Secret\/vertex-service-account must hold a Google service-account key in JSON form under credentials\.json/,
                )
                .and.match(expected);
            expect(plan.prerequisites[0], what).to.not.contain("PRIVATE-KEY-TEXT");
        }
        const good = planMigration(
            await input("prod", {
                requiredSecrets: ["vertex-service-account"],
                requiredSecretKeys: { "vertex-service-account": secretJson },
                live: [...fixtureLive(), secret],
            }),
        );
        expect(good.prerequisites).to.deep.equal([]);
    });

    it("refuses --keep on the program's own objects and on an old allow policy, and notes a --keep that matches nothing", async () => {
        const plan = planMigration(
            await input("prod", {
                keep: new Set(["Deployment/litellm", "NetworkPolicy/trial-allow-litellm", "ConfigMap/nothing-here"]),
            }),
        );
        expect(plan.problems.join("\n"))
            .to.contain("--keep Deployment/litellm: the program manages this object")
            .and.contain("--keep NetworkPolicy/trial-allow-litellm: NetworkPolicies add up");
        expect(plan.notes).to.deep.equal([
            "--keep ConfigMap/nothing-here matches no object in namespace ab-eval-flow (of the kinds the migration reads)",
        ]);
        const oldDeny = planMigration(
            await input("prod", { keep: new Set(["NetworkPolicy/trial-default-deny-egress"]) }),
        );
        expect(oldDeny.problems).to.deep.equal([]);
        expect(oldDeny.steps.find((s) => s.name === "trial-default-deny-egress")).to.deep.include({ action: "keep" });
    });

    for (const mode of LLM_MODES.filter((m) => m !== "litellm")) {
        it(`in ${mode} mode deletes the old proxy, which nothing replaces, and says the old credentials are unused`, async () => {
            const plan = planMigration(
                await input(
                    "dev",
                    {},
                    withMode("dev", mode, { namespace: "ab-eval-flow", workspaceSize: "10Gi", deadLetterSize: "5Gi" }),
                ),
            );
            expect(plan.problems).to.deep.equal([]);
            expect(actions(plan, "delete")).to.include.members(["Deployment/litellm", "Service/litellm"]);
            expect(plan.steps.find((s) => s.name === "litellm" && s.kind === "Deployment")?.reason).to.equal(
                `the old LiteLLM proxy; a ${mode} stack runs none`,
            );
            expect(plan.steps.find((s) => s.name === "litellm-credentials")?.reason).to.contain(
                `which a ${mode} stack does not use`,
            );
        });
    }

    it("refuses an object applied by hand that it cannot classify, unless told to keep it", async () => {
        const stranger: KubeObject = {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "team-notes", annotations: { [LAST_APPLIED]: "{}" } },
        };
        const refused = planMigration(await input("prod", { live: [...fixtureLive(), stranger] }));
        expect(refused.problems).to.have.length(1);
        expect(refused.problems[0])
            .to.contain("ConfigMap/team-notes was applied by hand")
            .and.contain("--keep ConfigMap/team-notes");
        const kept = planMigration(
            await input("prod", { live: [...fixtureLive(), stranger], keep: new Set(["ConfigMap/team-notes"]) }),
        );
        expect(kept.problems).to.deep.equal([]);
        expect(actions(kept, "keep")).to.include("ConfigMap/team-notes");
    });

    it("leaves alone what controllers made, and keeps data applied by hand that nothing uses", async () => {
        const controllerMade: KubeObject[] = [
            {
                apiVersion: "v1",
                kind: "ServiceAccount",
                metadata: {
                    name: "default",
                    managedFields: [{ manager: "kube-controller-manager", operation: "Update" }],
                },
            },
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: {
                    name: "kube-root-ca.crt",
                    managedFields: [{ manager: "kube-controller-manager", operation: "Update" }],
                },
            },
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: {
                    name: "run-42-workspace",
                    managedFields: [{ manager: "tekton-pipelines-controller", operation: "Update" }],
                },
            },
        ];
        const handMade: KubeObject = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "db-dump-key", managedFields: [{ ...CSA }] },
        };
        const plan = planMigration(await input("prod", { live: [...fixtureLive(), ...controllerMade, handMade] }));
        expect(plan.problems).to.deep.equal([]);
        expect(plan.steps.map((s) => s.name)).to.not.include.members([
            "default",
            "kube-root-ca.crt",
            "run-42-workspace",
        ]);
        expect(plan.steps.find((s) => s.name === "db-dump-key")).to.deep.include({ action: "keep" });
    });

    describe("claims", () => {
        const withClaim = (patch: (claim: KubeObject) => KubeObject) =>
            fixtureLive().map((o) => (o.metadata.name === "abevalflow-workspace" ? patch(o) : o));
        const problemOf = async (
            patch: (claim: KubeObject) => KubeObject,
            classes: StorageClassInfo[] = [EXPANDABLE],
        ): Promise<string> => {
            const plan = planMigration(await input("prod", { live: withClaim(patch), storageClasses: classes }));
            expect(plan.steps.map((s) => s.name)).to.not.include("abevalflow-workspace");
            const mine = plan.problems.filter((p) => p.startsWith("PersistentVolumeClaim/abevalflow-workspace"));
            expect(mine, plan.problems.join("\n")).to.have.length(1);
            return mine[0];
        };

        it("grows a bound claim on an expandable class, and never replaces one", async () => {
            const plan = planMigration(await input("prod"));
            expect(plan.steps.find((s) => s.name === "abevalflow-workspace")?.reason).to.contain(
                "grows from 10Gi to 100Gi",
            );
        });
        it("refuses to shrink a claim", async () => {
            expect(
                await problemOf((c) => ({
                    ...c,
                    spec: { ...(c.spec as object), resources: { requests: { storage: "200Gi" } } },
                })),
            )
                .to.contain("never shrinks")
                .and.contain("set abevalflow:workspaceSize to at least 200Gi");
        });
        it("refuses to grow a Pending claim or one whose class does not expand", async () => {
            expect(await problemOf((c) => ({ ...c, status: { phase: "Pending" } })))
                .to.contain("it is Pending")
                .and.contain("set abevalflow:workspaceSize to 10Gi");
            expect(await problemOf((c) => c, [{ name: "gp3-csi", allowVolumeExpansion: false }])).to.contain(
                "does not allow volume expansion",
            );
        });
        it("refuses other access modes or another class than the stack's", async () => {
            expect(
                await problemOf((c) => ({ ...c, spec: { ...(c.spec as object), accessModes: ["ReadWriteMany"] } })),
            ).to.contain("accessModes");
            const run = await input("prod", {}, { ...stackConfig("prod"), workspaceStorageClass: "ocs-rbd" });
            const plan = planMigration({ ...run, live: fixtureLive() });
            expect(plan.problems.join("\n")).to.contain(
                'storage class is "gp3-csi" on the cluster and "ocs-rbd" in the stack',
            );
        });
        it("refuses a bound claim on a WaitForFirstConsumer class unless the stack adopts existing volumes", async () => {
            const wffc: StorageClassInfo[] = [{ ...EXPANDABLE, volumeBindingMode: "WaitForFirstConsumer" }];
            const refused = planMigration({
                ...(await input("prod", {}, { ...stackConfig("prod"), adoptExistingVolumes: false })),
                storageClasses: wffc,
            });
            expect(refused.problems.join("\n")).to.contain("set abevalflow:adoptExistingVolumes to true");
            expect(planMigration(await input("prod", { storageClasses: wffc })).problems).to.deep.equal([]);
        });
        it("refuses to plan a claim when the storage classes cannot be read", async () => {
            expect(
                await problemOf(
                    (c) => c,
                    "kubectl get storageclasses failed: forbidden" as unknown as StorageClassInfo[],
                ),
            )
                .to.contain("the storage classes could not be read: kubectl get storageclasses failed: forbidden")
                .and.contain("list on storageclasses.storage.k8s.io");
        });
        it("keeps the changes made by hand on a claim out of the program's reach", async () => {
            const plan = planMigration(
                await input("prod", {
                    live: withClaim((c) => ({
                        ...c,
                        metadata: {
                            ...c.metadata,
                            managedFields: [
                                ...(c.metadata.managedFields ?? []),
                                { manager: "kubectl-annotate", operation: "Update", apiVersion: "v1", fieldsV1: {} },
                            ],
                        },
                    })),
                }),
            );
            expect(plan.steps.find((s) => s.name === "abevalflow-workspace")?.reason).to.contain(
                `kubectl-annotate) pass to ${KEPT_MANAGER}`,
            );
        });
    });

    for (const manager of ["kubectl-client-side-apply", "ops-team", "Mozilla"]) {
        it(`refuses to adopt a Secret the program writes its own data into, made by ${manager}`, async () => {
            const masterKey: KubeObject = {
                apiVersion: "v1",
                kind: "Secret",
                type: "Opaque",
                metadata: { name: "litellm-master-key", managedFields: [{ ...CSA, manager }] },
            };
            const plan = planMigration(await input("prod", { live: [...fixtureLive(), masterKey] }));
            expect(plan.problems.join("\n"))
                .to.contain(
                    `Secret/litellm-master-key exists and was not written by this program (field managers: ${manager})`,
                )
                .and.contain("overwrite");
        });
    }

    it("adopts the program's own Secret once the program has written it", async () => {
        const masterKey: KubeObject = {
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: { name: "litellm-master-key", managedFields: [{ manager: FIELD_MANAGER, operation: "Apply" }] },
        };
        const plan = planMigration(await input("prod", { live: [...fixtureLive(), masterKey] }));
        expect(plan.problems).to.deep.equal([]);
        expect(plan.steps.map((s) => s.name)).to.not.include("litellm-master-key");
    });

    it("replaces a RoleBinding whose roleRef differs", async () => {
        const live = fixtureLive().map((o) =>
            o.kind === "RoleBinding" && o.metadata.name === "pipeline-image-builder"
                ? { ...o, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" } }
                : o,
        );
        const plan = planMigration(await input("prod", { live }));
        expect(actions(plan, "replace")).to.include("RoleBinding/pipeline-image-builder");
    });

    it("after the hand-over and the first pulumi up, has nothing left to change", async () => {
        const i = await input("prod");
        const first = planMigration(i);
        const done = new Set(
            changes(first)
                .filter((s) => s.action === "replace" || s.action === "delete")
                .map((s) => `${s.kind}/${s.name}`),
        );
        const handed = (o: KubeObject): KubeObject => ({
            ...o,
            metadata: { ...o.metadata, managedFields: handOver(o, "2026-01-01T00:00:00Z") },
        });
        const afterMigration = i.live.filter((o) => !done.has(`${o.kind}/${o.metadata.name}`)).map(handed);
        const second = planMigration({
            ...i,
            liveNamespace: handed(i.liveNamespace as KubeObject),
            live: afterMigration,
        });
        expect(changes(second)).to.deep.equal([]);
        expect(
            second.steps
                .filter((s) => s.action === "adopt")
                .every((s) => s.reason.includes("no fields of an old applier") || s.reason.startsWith("data volume")),
        ).to.equal(true);
    });

    it("every kind the program creates in its namespace can be read, handed over and deleted", async () => {
        for (const stack of ["dev", "prod"]) {
            for (const mode of LLM_MODES) {
                const run = await runProgram(withMode(stack, mode));
                for (const o of manifestsOf(run).filter(
                    (m) => m.metadata.namespace !== undefined || m.kind === "Namespace",
                )) {
                    expect(RESOURCES, `${stack}/${mode} ${o.kind}`).to.have.property(o.kind);
                }
            }
        }
    });
});

describe("migration hand-over of field managers", () => {
    const claim = (entries: ManagedFieldsEntry[]): KubeObject => ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "c", managedFields: entries },
    });

    it("folds every old applier into one Apply entry of the program's manager, with the union of their fields", () => {
        const entries: ManagedFieldsEntry[] = [
            { ...CSA, fieldsV1: { "f:spec": { "f:a": {} } } },
            {
                manager: "kubectl-create",
                operation: "Update",
                apiVersion: "v1",
                fieldsV1: { "f:spec": { "f:b": {} }, "f:metadata": {} },
            },
            {
                manager: "kube-controller-manager",
                operation: "Update",
                apiVersion: "v1",
                subresource: "status",
                fieldsV1: { "f:status": {} },
            },
        ];
        const out = handOver(
            { apiVersion: "v1", kind: "Service", metadata: { name: "s", managedFields: entries } },
            "t",
        );
        expect(out).to.deep.equal([
            entries[2],
            {
                manager: FIELD_MANAGER,
                operation: "Apply",
                apiVersion: "v1",
                time: "t",
                fieldsType: "FieldsV1",
                fieldsV1: { "f:spec": { "f:a": {}, "f:b": {} }, "f:metadata": {} },
            },
        ]);
        expect(
            needsHandOver({ apiVersion: "v1", kind: "Service", metadata: { name: "s", managedFields: out } }),
        ).to.equal(false);
    });

    it("renames a claim's hand edits, folded into one entry, and leaves other objects' hand edits to the program", () => {
        const edits: ManagedFieldsEntry[] = [
            {
                manager: "kubectl-annotate",
                operation: "Update",
                apiVersion: "v1",
                fieldsV1: { "f:metadata": { "f:annotations": { "f:x": {} } } },
            },
            {
                manager: "kubectl-label",
                operation: "Update",
                apiVersion: "v1",
                fieldsV1: { "f:metadata": { "f:labels": { "f:y": {} } } },
            },
        ];
        const out = handOver(claim(edits), "t");
        expect(out).to.deep.equal([
            {
                ...edits[0],
                manager: KEPT_MANAGER,
                fieldsV1: { "f:metadata": { "f:annotations": { "f:x": {} }, "f:labels": { "f:y": {} } } },
            },
        ]);
        expect(needsHandOver(claim(out))).to.equal(false);
        const service: KubeObject = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "s", managedFields: edits },
        };
        expect(needsHandOver(service)).to.equal(false);
        expect(handOver(service, "t")).to.deep.equal(edits);
    });

    it("merges field sets as unions, however deep", () => {
        expect(
            mergeFields({ "f:a": { "f:b": {} }, "f:c": {} }, { "f:a": { "f:d": { ".": {} } }, 'k:{"x":1}': {} }),
        ).to.deep.equal({ "f:a": { "f:b": {}, "f:d": { ".": {} } }, "f:c": {}, 'k:{"x":1}': {} });
    });
});

describe("npm run migrate arguments", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abevalflow-migrate-args-"));
    before(() => ["dev", "prod"].forEach((s) => fs.writeFileSync(path.join(dir, `Pulumi.${s}.yaml`), "config: {}\n")));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes a stack, --apply, --json and any number of --keep Kind/name", () => {
        expect(
            parseArgs(["prod", "--apply", "--keep", "ConfigMap/a", "--json", "--keep", "Secret/b.c"], dir),
        ).to.deep.equal({
            stack: "prod",
            apply: true,
            json: true,
            keep: new Set(["ConfigMap/a", "Secret/b.c"]),
            help: false,
        });
        expect(parseArgs(["prod", "--keep=ConfigMap/a"], dir).keep).to.deep.equal(new Set(["ConfigMap/a"]));
        expect(parseArgs(["--help"], dir).help).to.equal(true);
    });

    for (const [argv, message] of [
        [["staging"], 'unknown stack "staging": there is no Pulumi.staging.yaml'],
        [[], "which stack?"],
        [["dev", "prod"], "one stack at a time"],
        [["prod", "--force"], "unknown option --force"],
        [["prod", "--keep"], "--keep needs Kind/name"],
        [
            ["prod", "--keep", "team-notes"],
            '--keep needs Kind/name, e.g. --keep ConfigMap/team-notes; got "team-notes"',
        ],
    ] as const) {
        it(`refuses ${JSON.stringify(argv)}`, () => {
            expect(() => parseArgs(argv, dir)).to.throw(UsageError, message);
        });
    }

    it("ends a bad stack configuration with the migration's words and every problem", () => {
        const message = failureMessage(
            new ConfigValidationError([
                'abevalflow:quotaPods = "-3": expected an integer of at least 1',
                'abevalflow:x = "y": expected a key',
            ]),
        );
        expect(message).to.equal(
            'stack configuration invalid (2 problems):\n  - abevalflow:quotaPods = "-3": expected an integer of at least 1\n  - abevalflow:x = "y": expected a key',
        );
        expect(failureMessage(new UsageError("stack prod holds secrets"))).to.equal("stack prod holds secrets");
        expect(failureMessage(new Error("boom"))).to.equal("error: boom");
    });

    it("lists the stacks it knows when the name is wrong", () => {
        expect(() => parseArgs(["prdo"], dir)).to.throw(UsageError, "stacks here: dev, prod");
    });
});
