import { expect } from "chai";
import { SecurityContext } from "../../policy/lib/k8s";
import { restrictedSecurityContext } from "../../policy/policies/restricted-security-context";
import { checkResource, container, firing, firstContainer, podSpecOf, WORKLOADS } from "./fixtures";

const NAME = "restricted-security-context";

function withContext(edit: (sc: SecurityContext) => void) {
    const workload = WORKLOADS.Deployment();
    const sc = firstContainer(workload).securityContext ?? {};
    edit(sc);
    return workload;
}

describe(NAME, () => {
    for (const [kind, make] of Object.entries(WORKLOADS)) {
        it(`${kind}: passes a restricted container`, () => {
            expect(checkResource(restrictedSecurityContext, make())).to.deep.equal([]);
        });
    }

    for (const [label, edit, why] of [
        ["privileged", (sc: SecurityContext) => { sc.privileged = true; }, /privileged is true/],
        ["privilege escalation allowed", (sc: SecurityContext) => { sc.allowPrivilegeEscalation = true; }, /allowPrivilegeEscalation/],
        ["privilege escalation unset", (sc: SecurityContext) => { delete sc.allowPrivilegeEscalation; }, /allowPrivilegeEscalation/],
        ["capabilities not dropped", (sc: SecurityContext) => { sc.capabilities = { drop: ["NET_RAW"] }; }, /drop does not include ALL/],
        ["a capability added", (sc: SecurityContext) => { sc.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }; }, /SYS_ADMIN/],
        ["runAsNonRoot unset", (sc: SecurityContext) => { delete sc.runAsNonRoot; }, /runAsNonRoot/],
        ["runAsUser 0", (sc: SecurityContext) => { sc.runAsUser = 0; }, /runAsUser is 0/],
        ["seccomp unconfined", (sc: SecurityContext) => { sc.seccompProfile = { type: "Unconfined" }; }, /seccompProfile/],
    ] as const) {
        it(`fails ${label}`, () => {
            const workload = withContext(edit);
            expect(checkResource(restrictedSecurityContext, workload).join("\n")).to.match(why).and.include('container "app"');
            expect(firing([workload])).to.deep.equal([NAME]);
        });
    }

    it("allows NET_BIND_SERVICE and pod-level runAsNonRoot and seccomp", () => {
        const workload = withContext((sc) => {
            sc.capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] };
            delete sc.runAsNonRoot;
            delete sc.seccompProfile;
        });
        podSpecOf(workload).securityContext = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
        expect(checkResource(restrictedSecurityContext, workload)).to.deep.equal([]);
    });

    it("checks init and ephemeral containers", () => {
        const workload = WORKLOADS.Job();
        const init = container("setup");
        init.securityContext = {};
        podSpecOf(workload).initContainers = [init];
        expect(checkResource(restrictedSecurityContext, workload)[0]).to.include('initContainers/"setup"');
    });

    it("fails host namespaces and hostPath volumes", () => {
        const workload = WORKLOADS.DaemonSet();
        podSpecOf(workload).hostNetwork = true;
        podSpecOf(workload).volumes = [{ name: "root", hostPath: { path: "/" } }];
        expect(checkResource(restrictedSecurityContext, workload)).to.have.members([
            "the pod sets hostNetwork: true", 'the pod mounts the hostPath volume "root"']);
    });

    it("can leave seccomp to the platform when configured", () => {
        const workload = withContext((sc) => { delete sc.seccompProfile; });
        expect(checkResource(restrictedSecurityContext, workload, { requireSeccompProfile: false })).to.deep.equal([]);
    });
});
