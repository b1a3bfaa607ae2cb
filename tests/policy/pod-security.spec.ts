// policy/lib/podSecurity.ts beyond the fixtures' verdicts: its messages against upstream's (the
// cases below are transcribed from k8s.io/pod-security-admission policy/check_*_test.go at the
// vendored version, pod for pod and string for string), the order upstream evaluates and reports
// controls in, what the API server's defaulting changes before admission, and junk input.
import { expect } from "chai";
import {
    admissionMessage,
    ControlId,
    CONTROLS,
    controlById,
    controlsFor,
    evaluatePodSecurity,
    forbiddenDetail,
    VOLUME_SOURCES,
} from "../../policy/lib/podSecurity";

type Spec = Record<string, unknown>;

/** One control's result on a pod, run alone as upstream's unit tests run one check function. */
function run(control: ControlId, spec: Spec, annotations?: Record<string, string>) {
    return evaluatePodSecurity([controlById(control)], { spec, annotations });
}

const c = (name: string, securityContext?: Spec, extra: Spec = {}): Spec => ({
    name,
    ...(securityContext ? { securityContext } : {}),
    ...extra,
});

describe("Pod Security controls (policy/lib/podSecurity.ts)", () => {
    describe("read as upstream's unit tests expect (check_*_test.go)", () => {
        interface Case {
            control: ControlId;
            name: string;
            spec: Spec;
            annotations?: Record<string, string>;
            reason: string;
            detail: string;
        }
        const cases: Case[] = [
            {
                control: "appArmorProfile",
                name: "unconfined init container",
                reason: "forbidden AppArmor profile",
                spec: {
                    securityContext: { appArmorProfile: { type: "RuntimeDefault" } },
                    containers: [c("foo")],
                    initContainers: [c("bar", { appArmorProfile: { type: "Unconfined" } })],
                },
                detail: 'container "bar" must not set AppArmor profile type to "Unconfined"',
            },
            {
                control: "appArmorProfile",
                name: "multiple containers (annotations)",
                reason: "forbidden AppArmor profiles",
                spec: {},
                annotations: Object.fromEntries(
                    Object.entries({
                        "": "bogus",
                        a: "",
                        b: "runtime/default",
                        c: "localhost/",
                        d: "localhost/foo",
                        e: "unconfined",
                        f: "unknown",
                    }).map(([k, v]) => [`container.apparmor.security.beta.kubernetes.io/${k}`, v]),
                ),
                detail:
                    "annotations must not set AppArmor profile type to " +
                    '"container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", ' +
                    '"container.apparmor.security.beta.kubernetes.io/f="unknown""',
            },
            {
                control: "capabilities_baseline",
                name: "multiple containers",
                reason: "non-default capabilities",
                spec: {
                    containers: [
                        c("a", { capabilities: { add: ["FOO", "BAR"] } }),
                        c("b", { capabilities: { add: ["BAR", "BAZ"] } }),
                    ],
                },
                detail: 'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
            },
            {
                control: "hostNamespaces",
                name: "multiple host namespaces",
                reason: "host namespaces",
                spec: { hostNetwork: true, hostPID: true, hostIPC: true },
                detail: "hostNetwork=true, hostPID=true, hostIPC=true",
            },
            {
                control: "hostPathVolumes",
                name: "host path volumes",
                reason: "hostPath volumes",
                spec: {
                    volumes: [
                        { name: "a", hostPath: {} },
                        { name: "b", hostPath: {} },
                        { name: "c", emptyDir: {} },
                    ],
                },
                detail: 'volumes "a", "b"',
            },
            {
                control: "hostPorts",
                name: "multiple containers, multiple host port",
                reason: "hostPort",
                spec: {
                    containers: [
                        c("a", undefined, { ports: [{ hostPort: 0 }] }),
                        c("b", undefined, { ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 20 }] }),
                        c("c", undefined, { ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 30 }] }),
                    ],
                },
                detail: 'containers "b", "c" use hostPorts 10, 20, 30',
            },
            {
                control: "hostProbesAndHostLifecycle",
                name: "multiple containers with multiple invalid hosts",
                reason: "probe or lifecycle host",
                spec: {
                    containers: [
                        c("valid"),
                        c("invalid1", undefined, { livenessProbe: { httpGet: { host: "a.com" } } }),
                        c("invalid2", undefined, {
                            lifecycle: { preStop: { tcpSocket: { host: "b.com" } } },
                            startupProbe: { httpGet: { host: "a.com" } },
                        }),
                    ],
                },
                detail: 'containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com"',
            },
            {
                control: "privileged",
                name: "privileged",
                reason: "privileged",
                spec: {
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { privileged: false }),
                        c("d", { privileged: true }),
                        c("e", { privileged: true }),
                    ],
                },
                detail: 'containers "d", "e" must not set securityContext.privileged=true',
            },
            {
                control: "procMount",
                name: "procMount",
                reason: "procMount",
                spec: {
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { procMount: "Default" }),
                        c("d", { procMount: "Unmasked" }),
                        c("e", { procMount: "other" }),
                    ],
                },
                detail: 'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"',
            },
            {
                control: "seLinuxOptions",
                name: "invalid pod and containers",
                reason: "seLinuxOptions",
                spec: {
                    securityContext: { seLinuxOptions: { type: "foo", user: "bar", role: "baz" } },
                    containers: [
                        ...["container_t", "container_init_t", "container_kvm_t", "container_engine_t"].map((type, i) =>
                            c("abcd"[i], { seLinuxOptions: { type } }),
                        ),
                        c("e", { seLinuxOptions: { type: "bar" } }),
                        c("f", { seLinuxOptions: { user: "bar" } }),
                        c("g", { seLinuxOptions: { role: "baz" } }),
                    ],
                },
                detail: 'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
            },
            {
                control: "seccompProfile_baseline",
                name: "containers seccomp invalid",
                reason: "seccompProfile",
                spec: {
                    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { seccompProfile: { type: "Unconfined" } }),
                        c("d", { seccompProfile: { type: "Unconfined" } }),
                        c("e", { seccompProfile: { type: "RuntimeDefault" } }),
                    ],
                },
                detail: 'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
            },
            {
                control: "sysctls",
                name: "forbidden sysctls",
                reason: "forbidden sysctls",
                spec: {
                    securityContext: {
                        sysctls: [
                            { name: "a", value: "a" },
                            { name: "b", value: "b" },
                        ],
                    },
                },
                detail: "a, b",
            },
            {
                control: "windowsHostProcess",
                name: "host process",
                reason: "hostProcess",
                spec: {
                    securityContext: { windowsOptions: { hostProcess: true } },
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { windowsOptions: {} }),
                        c("d", { windowsOptions: { hostProcess: false } }),
                        c("e", { windowsOptions: { hostProcess: true } }),
                        c("f", { windowsOptions: { hostProcess: true } }),
                    ],
                },
                detail: 'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true',
            },
            {
                control: "allowPrivilegeEscalation",
                name: "multiple containers",
                reason: "allowPrivilegeEscalation != false",
                spec: {
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { allowPrivilegeEscalation: true }),
                        c("d", { allowPrivilegeEscalation: false }),
                    ],
                },
                detail: 'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
            },
            {
                control: "capabilities_restricted",
                name: "multiple containers",
                reason: "unrestricted capabilities",
                spec: {
                    containers: [
                        c("a", { capabilities: { add: ["FOO", "BAR"] } }),
                        c("b", { capabilities: { add: ["BAR", "BAZ"] } }),
                        c("c", { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL", "FOO"] } }),
                    ],
                },
                detail:
                    'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; ' +
                    'containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
            },
            {
                control: "restrictedVolumes",
                name: "host path volumes (every known restricted type)",
                reason: "restricted volume types",
                spec: {
                    volumes: [
                        ...VOLUME_SOURCES.filter((v) => v.restricted === "allowed").map((v, i) => ({
                            name: `a${i + 1}`,
                            [v.source]: {},
                        })),
                        ...VOLUME_SOURCES.filter((v) => v.restricted === "refused").map((v, i) => ({
                            name: `b${i + 1}`,
                            [v.source]: {},
                        })),
                    ],
                },
                detail:
                    `volumes ${Array.from({ length: 21 }, (_, i) => `"b${i + 1}"`).join(", ")} use restricted volume types ` +
                    '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", ' +
                    '"glusterfs", "hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume"',
            },
            {
                control: "runAsNonRoot",
                name: "containers runAsNonRoot=false",
                reason: "runAsNonRoot != true",
                spec: {
                    securityContext: { runAsNonRoot: true },
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { runAsNonRoot: false }),
                        c("d", { runAsNonRoot: false }),
                        c("e", { runAsNonRoot: true }),
                    ],
                },
                detail: 'containers "c", "d" must not set securityContext.runAsNonRoot=false',
            },
            {
                control: "runAsNonRoot",
                name: "pod nil, container fallthrough",
                reason: "runAsNonRoot != true",
                spec: {
                    containers: [c("a"), c("b", {}), c("d", { runAsNonRoot: true }), c("e", { runAsNonRoot: true })],
                },
                detail: 'pod or containers "a", "b" must set securityContext.runAsNonRoot=true',
            },
            {
                control: "runAsUser",
                name: "containers runAsUser=0",
                reason: "runAsUser=0",
                spec: {
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("c", { runAsUser: 0 }),
                        c("d", { runAsUser: 0 }),
                        c("e", { runAsUser: 1 }),
                    ],
                },
                detail: 'containers "c", "d" must not set runAsUser=0',
            },
            {
                control: "seccompProfile_restricted",
                name: "pod nil, container fallthrough",
                reason: "seccompProfile",
                spec: {
                    containers: [
                        c("a"),
                        c("b", {}),
                        c("d", { seccompProfile: { type: "RuntimeDefault" } }),
                        c("e", { seccompProfile: { type: "RuntimeDefault" } }),
                    ],
                },
                detail: 'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
            },
        ];
        for (const t of cases) {
            it(`${t.control}: ${t.name}`, () => {
                expect(run(t.control, t.spec, t.annotations)).to.deep.equal([
                    { control: t.control, reason: t.reason, detail: t.detail },
                ]);
            });
        }

        it("covers every control", () => {
            expect(
                CONTROLS.map((control) => control.id).filter((id) => !cases.some((t) => t.control === id)),
            ).to.deep.equal([]);
        });
    });

    it("run per level in upstream's order (baseline ids sorted, then restricted's), restricted replacing three baseline controls", () => {
        expect(controlsFor("baseline").map((control) => control.id)).to.deep.equal([
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPathVolumes",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
        ]);
        expect(controlsFor("restricted").map((control) => control.id)).to.deep.equal([
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted",
        ]);
    });

    it("aggregate as the API server's refusal does", () => {
        const spec = { hostNetwork: true, containers: [c("app", { privileged: true })] };
        expect(admissionMessage("baseline", evaluatePodSecurity("baseline", { spec }))).to.equal(
            'violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), ' +
                'privileged (container "app" must not set securityContext.privileged=true)',
        );
        expect(forbiddenDetail([])).to.equal("");
    });

    describe("see the pod as admission does, after the API server's defaulting", () => {
        it("a hostNetwork pod's hostPort is its containerPort (regular and init containers, not ephemeral ones)", () => {
            const spec = {
                hostNetwork: true,
                initContainers: [c("init", undefined, { ports: [{ containerPort: 9000 }] })],
                containers: [
                    c("app", undefined, { ports: [{ containerPort: 8080 }, { containerPort: 8443, hostPort: 443 }] }),
                ],
                ephemeralContainers: [c("debug", undefined, { ports: [{ containerPort: 7000 }] })],
            };
            expect(run("hostPorts", spec)[0]?.detail).to.equal(
                'containers "init", "app" use hostPorts 443, 8080, 9000',
            );
            expect(run("hostPorts", { ...spec, hostNetwork: false })[0]?.detail).to.equal(
                'container "app" uses hostPort 443',
            );
        });

        it("a container's AppArmor annotation `unconfined` becomes its profile, unless it has one or the pod is Unconfined", () => {
            const annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
            const detail = (spec: Spec) => run("appArmorProfile", spec, annotations)[0]?.detail;
            expect(detail({ containers: [c("app")] })).to.equal(
                'container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined""',
            );
            expect(detail({ containers: [c("app", { appArmorProfile: { type: "RuntimeDefault" } })] })).to.equal(
                'annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined""',
            );
            expect(
                detail({ securityContext: { appArmorProfile: { type: "Unconfined" } }, containers: [c("app")] }),
            ).to.equal(
                'pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined""',
            );
            expect(detail({ os: { name: "windows" }, containers: [c("app")] })).to.equal(
                'annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined""',
            );
        });

        it("a volume with no source is an emptyDir; one with a source this version does not know is refused as unknown", () => {
            expect(
                run("restrictedVolumes", { volumes: [{ name: "scratch" }, { name: "nulls", nfs: null }] }),
            ).to.deep.equal([]);
            expect(run("restrictedVolumes", { volumes: [{ name: "odd", someFutureSource: {} }] })[0]?.detail).to.equal(
                'volume "odd" uses restricted volume type "unknown"',
            );
        });
    });

    describe("never crash on junk, and never pass it", () => {
        it("a non-object securityContext counts as unset", () => {
            const spec = {
                securityContext: "restricted",
                containers: [{ name: "app", securityContext: ["privileged"] }],
            };
            expect(evaluatePodSecurity("restricted", { spec }).map((v) => v.control)).to.deep.equal([
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "runAsNonRoot",
                "seccompProfile_restricted",
            ]);
        });

        it("a container without a name is named by its place", () => {
            expect(
                run("privileged", { initContainers: [{ securityContext: { privileged: true } }] })[0]?.detail,
            ).to.equal('container "initContainers[0]" must not set securityContext.privileged=true');
        });

        it("non-boolean and non-string values do not count as the safe value", () => {
            const spec = {
                securityContext: { runAsNonRoot: "true", seccompProfile: { type: 1 } },
                containers: [c("app", { allowPrivilegeEscalation: "false" })],
            };
            const found = Object.fromEntries(
                evaluatePodSecurity("restricted", { spec }).map((v) => [v.control, v.detail]),
            );
            expect(found.runAsNonRoot).to.equal("pod must not set securityContext.runAsNonRoot=false");
            expect(found.seccompProfile_restricted).to.equal(
                'pod must not set securityContext.seccompProfile.type to "1"',
            );
            expect(found.allowPrivilegeEscalation).to.equal(
                'container "app" must set securityContext.allowPrivilegeEscalation=false',
            );
        });

        it("a missing spec is a pod with nothing in it: allowed", () => {
            expect(evaluatePodSecurity("restricted", {})).to.deep.equal([]);
        });
    });
});
