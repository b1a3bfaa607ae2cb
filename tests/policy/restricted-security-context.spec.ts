// The rule's wiring: which pod it reads in each kind (spec and annotations), how a violation
// reads, and its two settings. The controls themselves are held to the upstream fixtures in
// pod-security-fixtures.spec.ts and to upstream's messages in pod-security.spec.ts.
import { expect } from "chai";
import { resolvePolicies } from "../../policy/checker/config";
import { K8sObject, SecurityContext } from "../../policy/lib/k8s";
import { RULES } from "../../policy/policies";
import { restrictedSecurityContext } from "../../policy/policies/restricted-security-context";
import { checkResource, container, firing, firstContainer, podSpecOf, WORKLOADS } from "./fixtures";

const NAME = "restricted-security-context";

function withContext(edit: (sc: SecurityContext) => void) {
    const workload = WORKLOADS.Deployment();
    const sc = firstContainer(workload).securityContext ?? {};
    edit(sc);
    return workload;
}

/** The metadata a kind's pods get: a Pod's own, a workload's template's. */
function podMetadataOf(workload: K8sObject): Record<string, unknown> {
    if (workload.kind === "Pod") {
        workload.metadata = workload.metadata ?? {};
        return workload.metadata as Record<string, unknown>;
    }
    type Holder = { template: { metadata?: Record<string, unknown> } };
    const spec = workload.spec as Holder & { jobTemplate?: { spec: Holder } };
    const template = (workload.kind === "CronJob" && spec.jobTemplate ? spec.jobTemplate.spec : spec).template;
    template.metadata = template.metadata ?? {};
    return template.metadata;
}

describe(NAME, () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        it(`${kind}: passes a restricted pod`, () => {
            expect(checkResource(restrictedSecurityContext, make())).to.deep.equal([]);
        });

        it(`${kind}: reads the pod's AppArmor annotations and its spec (sysctls)`, () => {
            const workload = make();
            podMetadataOf(workload).annotations = {
                "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
            };
            Object.assign(podSpecOf(workload), {
                securityContext: { sysctls: [{ name: "kernel.msgmax", value: "65536" }] },
            });
            expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([
                'Pod Security appArmorProfile: forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to ' +
                    '"Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
                "Pod Security sysctls: forbidden sysctls (kernel.msgmax)",
            ]);
        });
    }

    for (const [label, edit, control, detail] of [
        [
            "privileged",
            (sc: SecurityContext) => {
                sc.privileged = true;
            },
            "privileged",
            'container "app" must not set securityContext.privileged=true',
        ],
        [
            "privilege escalation allowed",
            (sc: SecurityContext) => {
                sc.allowPrivilegeEscalation = true;
            },
            "allowPrivilegeEscalation",
            'container "app" must set securityContext.allowPrivilegeEscalation=false',
        ],
        [
            "privilege escalation unset",
            (sc: SecurityContext) => {
                delete sc.allowPrivilegeEscalation;
            },
            "allowPrivilegeEscalation",
            'container "app" must set securityContext.allowPrivilegeEscalation=false',
        ],
        [
            "capabilities not dropped",
            (sc: SecurityContext) => {
                sc.capabilities = { drop: ["NET_RAW"] };
            },
            "capabilities_restricted",
            'container "app" must set securityContext.capabilities.drop=["ALL"]',
        ],
        [
            "a capability added",
            (sc: SecurityContext) => {
                sc.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] };
            },
            "capabilities_restricted",
            'container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add',
        ],
        [
            "runAsNonRoot unset",
            (sc: SecurityContext) => {
                delete sc.runAsNonRoot;
            },
            "runAsNonRoot",
            'pod or container "app" must set securityContext.runAsNonRoot=true',
        ],
        [
            "runAsUser 0",
            (sc: SecurityContext) => {
                sc.runAsUser = 0;
            },
            "runAsUser",
            'container "app" must not set runAsUser=0',
        ],
        [
            "seccomp unconfined",
            (sc: SecurityContext) => {
                sc.seccompProfile = { type: "Unconfined" };
            },
            "seccompProfile_restricted",
            'container "app" must not set securityContext.seccompProfile.type to "Unconfined"',
        ],
    ] as const) {
        it(`fails ${label}, naming the control and the container`, () => {
            const workload = withContext(edit);
            const [problem, ...more] = checkResource(restrictedSecurityContext, workload);
            expect(more).to.deep.equal([]);
            expect(problem)
                .to.match(new RegExp(`^Pod Security ${control}: `))
                .and.include(detail);
            expect(firing([workload])).to.deep.equal([NAME]);
        });
    }

    it("fails what only the whole standard refuses: host port, NFS volume, SELinux user, procMount, probe host, hostProcess", () => {
        const workload = WORKLOADS.StatefulSet();
        const app = firstContainer(workload) as Record<string, unknown>;
        app.ports = [{ containerPort: 8080, hostPort: 8080 }];
        (app.securityContext as Record<string, unknown>).procMount = "Unmasked";
        (app.securityContext as Record<string, unknown>).seLinuxOptions = { user: "system_u" };
        app.livenessProbe = { httpGet: { path: "/healthz", port: 8080, host: "10.0.0.1" } };
        Object.assign(podSpecOf(workload), {
            volumes: [{ name: "shared", nfs: { server: "nfs.example", path: "/export" } }],
            securityContext: { runAsNonRoot: true, windowsOptions: { hostProcess: true } },
        });
        expect(checkResource(restrictedSecurityContext, workload).map((p) => p.replace(/ \(.*/, ""))).to.deep.equal([
            "Pod Security hostPorts: hostPort",
            "Pod Security hostProbesAndHostLifecycle: probe or lifecycle host",
            "Pod Security procMount: procMount",
            "Pod Security seLinuxOptions: seLinuxOptions",
            "Pod Security windowsHostProcess: hostProcess",
            "Pod Security restrictedVolumes: restricted volume types",
        ]);
    });

    it("allows NET_BIND_SERVICE and pod-level runAsNonRoot and seccomp", () => {
        const workload = withContext((sc) => {
            sc.capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] };
            delete sc.runAsNonRoot;
            delete sc.seccompProfile;
        });
        podSpecOf(workload).securityContext = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
        expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([]);
    });

    it("exempts a Windows pod from the Linux-only controls, not from the others", () => {
        const workload = WORKLOADS.Deployment();
        const spec = podSpecOf(workload) as Record<string, unknown>;
        spec.os = { name: "windows" };
        firstContainer(workload).securityContext = { runAsNonRoot: true };
        expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([]);
        spec.hostNetwork = true;
        expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([
            "Pod Security hostNamespaces: host namespaces (hostNetwork=true)",
        ]);
    });

    it("checks init and ephemeral containers", () => {
        const workload = WORKLOADS.Job();
        const init = container("setup");
        init.securityContext = {};
        const debug = container("debug");
        debug.securityContext = { ...debug.securityContext, privileged: true };
        Object.assign(podSpecOf(workload), { initContainers: [init], ephemeralContainers: [debug] });
        const problems = checkResource(restrictedSecurityContext, workload).join("\n");
        expect(problems).to.include(
            'Pod Security privileged: privileged (container "debug" must not set securityContext.privileged=true)',
        );
        expect(problems).to.include(
            'Pod Security allowPrivilegeEscalation: allowPrivilegeEscalation != false (container "setup" must set',
        );
    });

    it("fails host namespaces and hostPath volumes", () => {
        const workload = WORKLOADS.DaemonSet();
        podSpecOf(workload).hostNetwork = true;
        podSpecOf(workload).volumes = [{ name: "root", hostPath: { path: "/" } }];
        expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([
            "Pod Security hostNamespaces: host namespaces (hostNetwork=true)",
            'Pod Security restrictedVolumes: restricted volume types (volume "root" uses restricted volume type "hostPath")',
        ]);
    });

    describe("settings", () => {
        it("requireSeccompProfile: false leaves the profile to the platform, but still refuses Unconfined", () => {
            const unset = withContext((sc) => {
                delete sc.seccompProfile;
            });
            expect(checkResource(restrictedSecurityContext, unset)).to.deep.equal([
                'Pod Security seccompProfile_restricted: seccompProfile (pod or container "app" must set securityContext.seccompProfile.type ' +
                    'to "RuntimeDefault" or "Localhost")',
            ]);
            expect(checkResource(restrictedSecurityContext, unset, { requireSeccompProfile: false })).to.deep.equal([]);
            const unconfined = withContext((sc) => {
                sc.seccompProfile = { type: "Unconfined" };
            });
            expect(
                checkResource(restrictedSecurityContext, unconfined, { requireSeccompProfile: false }),
            ).to.deep.equal([
                'Pod Security seccompProfile_baseline: seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")',
            ]);
        });

        it("allowedCapabilities: [] refuses NET_BIND_SERVICE too, in every container", () => {
            const workload = withContext((sc) => {
                sc.capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] };
            });
            expect(checkResource(restrictedSecurityContext, workload, { allowedCapabilities: [] })).to.deep.equal([
                'allowedCapabilities (this policy\'s setting): container "app" adds NET_BIND_SERVICE, which the standard allows but the setting [] does not',
            ]);
            expect(
                checkResource(restrictedSecurityContext, workload, { allowedCapabilities: ["NET_BIND_SERVICE"] }),
            ).to.deep.equal([]);
        });

        it("allowedCapabilities cannot widen the standard: the config is refused, and a capability slipped past it still fails", () => {
            expect(() =>
                resolvePolicies(
                    RULES,
                    { [NAME]: { allowedCapabilities: ["NET_BIND_SERVICE", "SYS_ADMIN"] } },
                    "bad.json",
                ),
            ).to.throw(`${NAME}.allowedCapabilities[1] must be one of "NET_BIND_SERVICE", got "SYS_ADMIN"`);
            const workload = withContext((sc) => {
                sc.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] };
            });
            expect(
                checkResource(restrictedSecurityContext, workload, { allowedCapabilities: ["SYS_ADMIN"] }),
            ).to.deep.equal([
                'Pod Security capabilities_restricted: unrestricted capabilities (container "app" must not include "SYS_ADMIN" in ' +
                    "securityContext.capabilities.add)",
            ]);
        });
    });
});
