// The cleanup component under Pulumi mocks: the objects it registers, read back as the
// provider would receive them.
import * as crypto from "crypto";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseConfig } from "../cleanup/cleanup";
import {
    Cleanup,
    CLEANUP_LAST_RUN_CONFIGMAP,
    CLEANUP_NAME,
    CLEANUP_SCRIPT_CONFIGMAP,
    SCRIPT_HASH_ANNOTATION,
    apiServerCidrsFromEndpointSlice,
    cleanupRoleRules,
    lookUpApiServerCidrs,
    cleanupScriptPath,
} from "../components/cleanup";
import { CleanupConfig, loadConfig, objectConfigSource, stackFileConfig } from "../components/config";
import { NETWORK_POLICIES } from "../components/names";
import { mockInputs, ofType, runProgram, stackConfig, withMode } from "./harness";

interface Recorded {
    type: string;
    inputs: Record<string, unknown>;
    parent?: pulumi.Resource;
}

interface Built {
    component: Cleanup;
    resources: Recorded[];
    outputs: { serviceAccountName?: string; cronJobName?: string; roleName?: string };
}

type Json = Record<string, unknown>;
type EnvVar = { name: string; value?: string; valueFrom?: Json };

function resolved<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

const DEV = loadConfig(objectConfigSource(stackFileConfig("dev")));

/** Set explicitly, so these tests never depend on a lookup; the lookup has its own below. */
const API_SERVER = { cidrs: ["10.0.0.5/32", "10.0.0.6/32"], ports: [6443] };
const ENDPOINT_SLICE_TYPE = "kubernetes:discovery.k8s.io/v1:EndpointSlice";

/** An EndpointSlice as the API server writes it for Service default/kubernetes. */
function endpointSlice(addresses: string[], port = 6443, addressType = "IPv4"): Json {
    return {
        addressType,
        endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
        ports: [{ name: "https", port, protocol: "TCP" }],
    };
}

interface Reads {
    slice?: Json;
    seen: { type: string; id?: string }[];
}

async function setMocks(inputsByName: Map<string, Json>, reads: Reads, preview = false): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.id) {
                    reads.seen.push({ type: args.type, id: args.id });
                    return { id: args.id, state: reads.slice ?? {} };
                }
                const inputs = mockInputs(args);
                inputsByName.set(`${args.type}::${args.name}`, inputs);
                return { id: `${args.name}-id`, state: inputs };
            },
            call: mockInputs,
        },
        "abevalflow",
        "test",
        preview,
    );
}

function newCleanup(
    over: Partial<CleanupConfig>,
    claim: string | null | undefined,
    opts: pulumi.ComponentResourceOptions = {},
): Cleanup {
    return new Cleanup(
        "cleanup",
        {
            namespace: "ab-eval-flow-dev",
            config: { ...DEV.cleanup, apiServer: API_SERVER, ...over },
            trialPodLabels: DEV.trial.podLabels,
            deadLetterClaimName: claim === null ? undefined : (claim ?? "abevalflow-dead-letter"),
            dns: DEV.dns,
        },
        opts,
    );
}

async function build(
    over: Partial<CleanupConfig> = {},
    extra: { claim?: string | null; reads?: Reads } = {},
): Promise<Built> {
    const inputsByName = new Map<string, Json>();
    await setMocks(inputsByName, extra.reads ?? { seen: [] });
    const children: { type: string; name: string; resource: pulumi.Resource; parent?: pulumi.Resource }[] = [];
    const component = newCleanup(over, extra.claim, {
        transformations: [
            (args) => {
                if ((args.opts as pulumi.CustomResourceOptions).id === undefined) {
                    children.push({
                        type: args.type,
                        name: args.name,
                        resource: args.resource,
                        parent: args.opts.parent,
                    });
                }
                return undefined;
            },
        ],
    });
    const outputs = {
        serviceAccountName: await resolved(component.serviceAccountName),
        cronJobName: await resolved(component.cronJobName),
        roleName: await resolved(component.roleName),
    };
    await Promise.all(children.map((c) => resolved(c.resource.urn)));
    // Transformations also see the component itself; only its children are of interest.
    const resources = children
        .filter((c) => c.resource !== component)
        .map((c) => ({ type: c.type, inputs: inputsByName.get(`${c.type}::${c.name}`) ?? {}, parent: c.parent }));
    return { component, resources, outputs };
}

function one(built: Built, type: string): Json {
    const found = built.resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0].inputs;
}

function named(built: Built, type: string, name: string): Json {
    const found = built.resources.filter((r) => r.type === type && at(r.inputs, "metadata", "name") === name);
    expect(found, `${type} ${name}`).to.have.length(1);
    return found[0].inputs;
}

function policy(built: Built, name: string): Json {
    const found = built.resources.find(
        (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && at(r.inputs, "metadata", "name") === name,
    );
    expect(found, name).to.not.equal(undefined);
    return found!.inputs;
}

const at = (obj: unknown, ...keys: (string | number)[]): unknown =>
    keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], obj);

function podSpec(built: Built): Json {
    return at(one(built, "kubernetes:batch/v1:CronJob"), "spec", "jobTemplate", "spec", "template", "spec") as Json;
}

function container(built: Built): Json {
    return (podSpec(built).containers as Json[])[0];
}

describe("cleanup component", () => {
    let built: Built;
    before(async () => {
        built = await build();
    });

    it("registers its ServiceAccount, Role, RoleBinding, script and last-run ConfigMaps, CronJob and egress policies, each named and parented", () => {
        expect(built.resources.map((r) => r.type).sort()).to.deep.equal([
            "kubernetes:batch/v1:CronJob",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        ]);
        for (const r of built.resources) {
            expect(r.parent, r.type).to.equal(built.component);
            expect(at(r.inputs, "metadata", "name"), r.type)
                .to.be.a("string")
                .and.not.equal("");
            expect(at(r.inputs, "metadata", "namespace"), r.type).to.equal("ab-eval-flow-dev");
        }
        expect(built.outputs).to.deep.equal({
            serviceAccountName: CLEANUP_NAME,
            cronJobName: CLEANUP_NAME,
            roleName: CLEANUP_NAME,
        });
    });

    it(
        "grants exactly the calls the program makes: list and delete; for the dead letter PipelineRun get and TaskRun list; " +
            "to record a run, get of its CronJob and get and patch of its ConfigMap by name, and Event create",
        () => {
            const recording = [
                { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["get"], resourceNames: [CLEANUP_NAME] },
                { apiGroups: [""], resources: ["events"], verbs: ["create"] },
                {
                    apiGroups: [""],
                    resources: ["configmaps"],
                    verbs: ["get", "patch"],
                    resourceNames: [CLEANUP_LAST_RUN_CONFIGMAP],
                },
            ];
            const expected = [
                { apiGroups: [""], resources: ["pods"], verbs: ["list", "delete"] },
                { apiGroups: ["tekton.dev"], resources: ["pipelineruns"], verbs: ["get", "list", "delete"] },
                { apiGroups: ["tekton.dev"], resources: ["taskruns"], verbs: ["list"] },
                { apiGroups: ["image.openshift.io"], resources: ["imagestreams"], verbs: ["list", "delete"] },
                ...recording,
            ];
            expect(one(built, "kubernetes:rbac.authorization.k8s.io/v1:Role").rules).to.deep.equal(expected);
            expect(cleanupRoleRules(false)).to.deep.equal([
                expected[0],
                { ...expected[1], verbs: ["list", "delete"] },
                expected[3],
                ...recording,
            ]);
        },
    );

    it("creates the last-run ConfigMap with the labels of its other objects and no data, and names it and the CronJob to the program", () => {
        const lastRun = named(built, "kubernetes:core/v1:ConfigMap", CLEANUP_LAST_RUN_CONFIGMAP);
        // Any data the program set would be its own under server-side apply, and each up would take the job's records back.
        expect(Object.keys(lastRun).sort()).to.deep.equal(["apiVersion", "kind", "metadata"]);
        expect(at(lastRun, "metadata", "labels")).to.deep.equal(
            at(one(built, "kubernetes:batch/v1:CronJob"), "metadata", "labels"),
        );
        const env = Object.fromEntries((container(built).env as EnvVar[]).map((e) => [e.name, e.value]));
        expect(env).to.include({
            CRONJOB_NAME: at(one(built, "kubernetes:batch/v1:CronJob"), "metadata", "name"),
            LAST_RUN_CONFIGMAP: CLEANUP_LAST_RUN_CONFIGMAP,
        });
    });

    it("binds the Role to its own ServiceAccount, which mounts a token", () => {
        const binding = one(built, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        expect(binding.roleRef).to.deep.equal({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: CLEANUP_NAME,
        });
        expect(binding.subjects).to.deep.equal([
            { kind: "ServiceAccount", name: CLEANUP_NAME, namespace: "ab-eval-flow-dev" },
        ]);
        expect(one(built, "kubernetes:core/v1:ServiceAccount").automountServiceAccountToken).to.equal(true);
        expect(podSpec(built).serviceAccountName).to.equal(CLEANUP_NAME);
    });

    it("ships the one cleanup.js byte for byte, and rolls the pod template when it changes", () => {
        const script = fs.readFileSync(cleanupScriptPath(), "utf8");
        const configMap = named(built, "kubernetes:core/v1:ConfigMap", CLEANUP_SCRIPT_CONFIGMAP);
        expect(configMap.data).to.deep.equal({ "cleanup.js": script });
        const template = at(
            one(built, "kubernetes:batch/v1:CronJob"),
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "annotations",
        );
        expect(template).to.deep.equal({
            [SCRIPT_HASH_ANNOTATION]: crypto.createHash("sha256").update(script).digest("hex"),
        });
        expect(container(built).command).to.deep.equal(["node", "/opt/cleanup/cleanup.js"]);
        expect(container(built).volumeMounts).to.deep.include({
            name: "script",
            mountPath: "/opt/cleanup",
            readOnly: true,
        });
    });

    it("takes every CronJob and Job knob from stack config", async () => {
        const custom = await build({
            schedule: "30 4 * * 1",
            timeZone: "Europe/Madrid",
            startingDeadlineSeconds: 600,
            activeDeadlineSeconds: 900,
            backoffLimit: 5,
            ttlSecondsAfterFinished: 3600,
            successfulJobsHistory: 7,
            failedJobsHistory: 9,
        });
        const spec = one(custom, "kubernetes:batch/v1:CronJob").spec as Json;
        expect(spec).to.include({
            schedule: "30 4 * * 1",
            timeZone: "Europe/Madrid",
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 7,
            failedJobsHistoryLimit: 9,
        });
        expect(at(spec, "jobTemplate", "spec")).to.include({
            activeDeadlineSeconds: 900,
            backoffLimit: 5,
            ttlSecondsAfterFinished: 3600,
        });
    });

    it("defaults to daily at 03:00 UTC", () => {
        expect(one(built, "kubernetes:batch/v1:CronJob").spec).to.include({
            schedule: "0 3 * * *",
            timeZone: "Etc/UTC",
        });
    });

    it("fails the Job at once on exit 2 (bad configuration) and retries only other failures", () => {
        expect(
            at(one(built, "kubernetes:batch/v1:CronJob"), "spec", "jobTemplate", "spec", "podFailurePolicy"),
        ).to.deep.equal({
            rules: [{ action: "FailJob", onExitCodes: { containerName: "cleanup", operator: "In", values: [2] } }],
        });
        expect(podSpec(built).restartPolicy).to.equal("Never");
    });

    it("runs restricted, with requests and limits, from a digest-pinned image", () => {
        expect(podSpec(built).securityContext).to.deep.equal({
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container(built).securityContext).to.deep.equal({
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container(built).resources).to.deep.equal({
            requests: { cpu: DEV.cleanup.resources.cpuRequest, memory: DEV.cleanup.resources.memoryRequest },
            limits: { cpu: DEV.cleanup.resources.cpuLimit, memory: DEV.cleanup.resources.memoryLimit },
        });
        expect(container(built).image)
            .to.equal(DEV.cleanup.image)
            .and.match(/@sha256:[0-9a-f]{64}$/);
    });

    it("sets an environment the program accepts, carrying the stack's values", () => {
        const env = container(built).env as EnvVar[];
        expect(env.find((e) => e.name === "NAMESPACE")?.valueFrom).to.deep.equal({
            fieldRef: { fieldPath: "metadata.namespace" },
        });
        const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
        const { config, problems } = parseConfig({
            ...plain,
            NAMESPACE: "ab-eval-flow-dev",
            KUBE_API_URL: "https://127.0.0.1:1",
            KUBE_TOKEN: "t",
            KUBE_INSECURE_SKIP_TLS_VERIFY: "true",
        });
        expect(problems).to.deep.equal([]);
        expect(config).to.include({
            trialPodMaxAgeMs: DEV.cleanup.trialPodMaxAgeHours * 3_600_000,
            pipelineRunMaxAgeMs: DEV.cleanup.pipelineRunMaxAgeHours * 3_600_000,
            pipelineRunKeepRecent: DEV.cleanup.pipelineRunKeepRecent,
            imageStreamMaxAgeMs: DEV.cleanup.imageStreamMaxAgeHours * 3_600_000,
            deadLetterDir: "/dead-letter",
            deadLetterRetentionDays: DEV.cleanup.deadLetterRetentionDays,
            dryRun: DEV.cleanup.dryRun,
            concurrency: DEV.cleanup.concurrency,
        });
        expect(config?.trialPodLabels).to.deep.equal(DEV.trial.podLabels);
        expect(plain.IMAGESTREAM_SELECTOR, "always set, empty by default").to.equal("");
        expect(config?.imageStreamLabels, "the default prunes no ImageStream").to.deep.equal({});
    });

    it("passes the ImageStream selector through, and the program prunes only streams with those labels", async () => {
        const custom = await build({
            imageStreamSelector: "abevalflow/prune=true,app.kubernetes.io/part-of=abevalflow",
        });
        const env = container(custom).env as EnvVar[];
        expect(env.find((e) => e.name === "IMAGESTREAM_SELECTOR")?.value).to.equal(
            "abevalflow/prune=true,app.kubernetes.io/part-of=abevalflow",
        );
        const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
        const { config } = parseConfig({
            ...plain,
            NAMESPACE: "x",
            KUBE_API_URL: "https://127.0.0.1:1",
            KUBE_TOKEN: "t",
            KUBE_INSECURE_SKIP_TLS_VERIFY: "true",
        });
        expect(config?.imageStreamLabels).to.deep.equal({
            "abevalflow/prune": "true",
            "app.kubernetes.io/part-of": "abevalflow",
        });
    });

    it("mounts the dead-letter claim only when the dead letter is on", async () => {
        expect(podSpec(built).volumes).to.deep.include({
            name: "dead-letter",
            persistentVolumeClaim: { claimName: "abevalflow-dead-letter" },
        });
        expect(container(built).volumeMounts).to.deep.include({ name: "dead-letter", mountPath: "/dead-letter" });

        const off = await build({ deadLetter: false }, { claim: null });
        expect((podSpec(off).volumes as Json[]).map((v) => v.name)).to.deep.equal(["script"]);
        expect((container(off).env as EnvVar[]).map((e) => e.name)).to.not.include.members([
            "DEAD_LETTER_DIR",
            "DEAD_LETTER_RETENTION_DAYS",
        ]);
        expect(one(off, "kubernetes:rbac.authorization.k8s.io/v1:Role").rules).to.deep.equal(cleanupRoleRules(false));
    });

    it("refuses a dead letter without a claim to write to", async () => {
        let error: Error | undefined;
        await build({ deadLetter: true }, { claim: null }).catch((e: Error) => (error = e));
        expect(error?.message).to.match(/cleanupDeadLetter is true but no deadLetterClaimName/);
    });

    describe("egress", () => {
        const podLabels = { "app.kubernetes.io/name": "abevalflow-cleanup", "app.kubernetes.io/component": "cleanup" };

        it("selects the job's pods with a default-deny and one allow policy: DNS pods, and the API server's addresses on its port", () => {
            const template = at(
                one(built, "kubernetes:batch/v1:CronJob"),
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "labels",
            ) as Record<string, string>;
            expect(template).to.include(podLabels);
            expect(policy(built, NETWORK_POLICIES.cleanupDefaultDeny).spec).to.deep.equal({
                podSelector: { matchLabels: podLabels },
                policyTypes: ["Egress"],
            });
            expect(policy(built, NETWORK_POLICIES.cleanupAllow).spec).to.deep.equal({
                podSelector: { matchLabels: podLabels },
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [
                            {
                                namespaceSelector: {
                                    matchLabels: { "kubernetes.io/metadata.name": DEV.dns.namespace },
                                },
                                podSelector: { matchLabels: DEV.dns.podLabels },
                            },
                        ],
                        ports: DEV.dns.ports.flatMap((port) => [
                            { protocol: "UDP", port },
                            { protocol: "TCP", port },
                        ]),
                    },
                    {
                        to: [{ ipBlock: { cidr: "10.0.0.5/32" } }, { ipBlock: { cidr: "10.0.0.6/32" } }],
                        ports: [{ protocol: "TCP", port: 6443 }],
                    },
                ],
            });
        });

        it("reads nothing when apiServerCidrs is set, and follows its ports", async () => {
            const reads: Reads = { seen: [] };
            const custom = await build({ apiServer: { cidrs: ["192.0.2.0/28"], ports: [6443, 443] } }, { reads });
            expect(reads.seen).to.deep.equal([]);
            expect((policy(custom, NETWORK_POLICIES.cleanupAllow).spec as { egress: Json[] }).egress[1]).to.deep.equal({
                to: [{ ipBlock: { cidr: "192.0.2.0/28" } }],
                ports: [
                    { protocol: "TCP", port: 6443 },
                    { protocol: "TCP", port: 443 },
                ],
            });
        });

        it("without apiServerCidrs, takes the addresses of the EndpointSlice of Service default/kubernetes, each as a host CIDR", async () => {
            const reads: Reads = {
                seen: [],
                slice: endpointSlice(["10.0.0.12", "10.0.0.10", "10.0.0.11", "10.0.0.10"]),
            };
            const looked = await build({ apiServer: { cidrs: [], ports: [6443] } }, { reads });
            expect(reads.seen).to.deep.equal([{ type: ENDPOINT_SLICE_TYPE, id: "default/kubernetes" }]);
            expect((policy(looked, NETWORK_POLICIES.cleanupAllow).spec as { egress: Json[] }).egress[1]).to.deep.equal({
                to: ["10.0.0.10/32", "10.0.0.11/32", "10.0.0.12/32"].map((cidr) => ({ ipBlock: { cidr } })),
                ports: [{ protocol: "TCP", port: 6443 }],
            });
            expect(looked.resources.some((r) => r.type === "kubernetes:batch/v1:CronJob")).to.equal(true);
        });

        it("without apiServerCidrs and with an empty EndpointSlice, fails saying to set apiServerCidrs (no addresses, so no allow policy)", async () => {
            const reads: Reads = { seen: [], slice: { addressType: "IPv4", endpoints: [] } };
            await setMocks(new Map(), reads);
            const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
            // The SDK's own promise of the Output (not in its typings): rejected when the lookup throws.
            const error = await (lookUpApiServerCidrs([6443], parent) as unknown as { promise: () => Promise<unknown> })
                .promise()
                .catch((e: Error) => e);
            expect(reads.seen).to.deep.equal([{ type: ENDPOINT_SLICE_TYPE, id: "default/kubernetes" }]);
            expect(pulumi.RunError.isInstance(error), String(error)).to.equal(true);
            expect((error as Error).message)
                .to.contain("abevalflow:apiServerCidrs is empty")
                .and.contain("EndpointSlice default/kubernetes lists no endpoint address")
                .and.contain("pulumi config set --path 'abevalflow:apiServerCidrs[0]' <address>/32");
        });

        it("fails already in a preview, where the absent endpoints of an empty EndpointSlice would otherwise be unknown", async () => {
            // The API server returns an EndpointSlice without endpoints with `endpoints: null`, so the read has no such property.
            await setMocks(new Map(), { seen: [], slice: { addressType: "IPv4", ports: [{ port: 6443 }] } }, true);
            const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
            const error = await (lookUpApiServerCidrs([6443], parent) as unknown as { promise: () => Promise<unknown> })
                .promise()
                .catch((e: Error) => e);
            expect((error as Error | undefined)?.message).to.contain("lists no endpoint address");
        });

        it("in the program: a committed stack reads the EndpointSlice, a stack with apiServerCidrs reads nothing", async () => {
            const allowOf = (run: Awaited<ReturnType<typeof runProgram>>) =>
                ofType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find(
                    (r) => at(r.inputs, "metadata", "name") === NETWORK_POLICIES.cleanupAllow,
                )?.inputs;
            const slice = { ...endpointSlice(["192.0.2.7"]), metadata: { name: "kubernetes", namespace: "default" } };
            const committed = await runProgram(stackConfig("prod"), {
                existing: { [`${ENDPOINT_SLICE_TYPE}::default/kubernetes`]: slice },
            });
            expect(committed.reads).to.deep.equal([
                { type: ENDPOINT_SLICE_TYPE, name: "api-server-endpoints", id: "default/kubernetes" },
            ]);
            expect(
                committed.resources.map((r) => r.type),
                "a read is no object the program registers",
            ).to.not.include(ENDPOINT_SLICE_TYPE);
            expect(at(allowOf(committed), "spec", "egress", 1)).to.deep.equal({
                to: [{ ipBlock: { cidr: "192.0.2.7/32" } }],
                ports: [{ protocol: "TCP", port: 6443 }],
            });

            const pinned = await runProgram(
                withMode("prod", "litellm", { apiServerCidrs: ["10.20.0.5/32"], apiServerPorts: [6443, 8443] }),
            );
            expect(pinned.reads).to.deep.equal([]);
            expect(at(allowOf(pinned), "spec", "egress", 1)).to.deep.equal({
                to: [{ ipBlock: { cidr: "10.20.0.5/32" } }],
                ports: [
                    { protocol: "TCP", port: 6443 },
                    { protocol: "TCP", port: 8443 },
                ],
            });
        });

        it("turns an EndpointSlice into host CIDRs, and refuses what would leave the job cut off from the API server", () => {
            expect(
                apiServerCidrsFromEndpointSlice(endpointSlice(["fd00:10::5", "fd00:10::5"], 6443, "IPv6"), [6443]),
            ).to.deep.equal(["fd00:10::5/128"]);
            expect(
                apiServerCidrsFromEndpointSlice({ endpoints: [{ addresses: ["100.64.0.1"] }] }, [6443]),
                "no ports listed: nothing to compare",
            ).to.deep.equal(["100.64.0.1/32"]);
            expect(() => apiServerCidrsFromEndpointSlice({}, [6443])).to.throw(
                /lists no endpoint address.*apiServerCidrs\[0\]/,
            );
            expect(() => apiServerCidrsFromEndpointSlice({ endpoints: [{ addresses: [] }, {}] }, [6443])).to.throw(
                /lists no endpoint address/,
            );
            expect(() => apiServerCidrsFromEndpointSlice(endpointSlice(["10.0.0.1"], 443), [6443])).to.throw(
                "EndpointSlice default/kubernetes serves the API on port 443, which abevalflow:apiServerPorts (6443) does not include, " +
                    "so the cleanup job could not reach the API server; set it: pulumi config set --path 'abevalflow:apiServerPorts[0]' 443",
            );
            expect(() =>
                apiServerCidrsFromEndpointSlice(endpointSlice(["api.example.com"], 6443, "FQDN"), [6443]),
            ).to.throw(/addressType FQDN.*apiServerCidrs/);
            expect(() => apiServerCidrsFromEndpointSlice(endpointSlice(["10.0.0.300"]), [6443])).to.throw(
                /"10\.0\.0\.300", which is not an IP address/,
            );
        });
    });

    it("marks every object patchForce and none skipAwait (nothing here has a readiness to wait for)", () => {
        for (const r of built.resources) {
            expect(at(r.inputs, "metadata", "annotations"), r.type).to.deep.equal({
                "pulumi.com/patchForce": "true",
                "pulumi.com/patchFieldManager": "abevalflow",
            });
        }
    });
});
