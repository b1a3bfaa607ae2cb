// The local cluster's nodes, by behaviour: pods run on both nodes and reach each other, a
// Service and the cluster DNS (openshift-dns, 53 -> 5353); NetworkPolicies are enforced;
// claims bind; the test hosts answer; and nothing leaves the sealed network.
import { expect } from "chai";
import { clusterState, eventually, execIn, NETWORK, podIp, startProbePods, tcpConnects } from "./nodes";
import { kubectlJson, ok, requireCluster, run } from "./support";

interface NodeList {
    items: {
        metadata: { name: string };
        spec: { podCIDR?: string };
        status: { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
    }[];
}

describe("local cluster nodes", function () {
    this.timeout(300_000);
    const ns = `nodes-e2e-${Date.now().toString(36)}`;
    let state: ReturnType<typeof clusterState>;
    let serverOn2 = "";

    before(() => {
        requireCluster();
        state = clusterState();
        ok("kubectl", ["create", "namespace", ns]);
        // A listener on node-2, a client on each node.
        startProbePods(state.probeImage, [
            {
                name: "server",
                namespace: ns,
                node: "node-2",
                labels: { app: "server" },
                command: ["nc", "-ll", "-p", "8080", "-e", "echo", "hello-from-server"],
                ports: [8080],
            },
            { name: "client-1", namespace: ns, node: "node-1", labels: { app: "client" } },
            { name: "client-2", namespace: ns, node: "node-2", labels: { app: "client" } },
        ]);
        serverOn2 = podIp(ns, "server");
        ok("kubectl", [
            "-n",
            ns,
            "expose",
            "pod",
            "server",
            "--port",
            "80",
            "--target-port",
            "8080",
            "--name",
            "server",
        ]);
    });
    after(() => {
        run("kubectl", ["delete", "namespace", ns, "--wait=false"]);
    });

    it(`registers ${2} Ready nodes, each with its pod range and its address in the sealed network`, () => {
        const nodes = kubectlJson<NodeList>(["get", "nodes"]).items;
        expect(nodes.map((n) => n.metadata.name)).to.deep.equal(["node-1", "node-2"]);
        nodes.forEach((n, i) => {
            expect(n.spec.podCIDR).to.equal(`${NETWORK.POD_CIDR_PREFIX}${i + 1}.0/24`);
            expect(n.status.addresses.find((a) => a.type === "InternalIP")?.address).to.equal(
                `${NETWORK.NODE_ADDR_PREFIX}${i + 1}`,
            );
            expect(n.status.conditions.find((c) => c.type === "Ready")?.status).to.equal("True");
        });
    });

    it("connects a pod on node-1 to a pod on node-2, by pod address and through a Service", () => {
        expect(serverOn2.startsWith(`${NETWORK.POD_CIDR_PREFIX}2.`), serverOn2).to.equal(true);
        expect(tcpConnects(ns, "client-1", serverOn2, 8080).output).to.equal("hello-from-server");
        // kube-proxy programs a new Service within a few seconds.
        const answer = (pod: string, host: string) =>
            eventually(
                () => tcpConnects(ns, pod, host, 80),
                (r) => r.connected,
            ).output;
        expect(answer("client-1", `server.${ns}.svc.cluster.local`)).to.equal("hello-from-server");
        expect(answer("client-2", "server")).to.equal("hello-from-server");
    });

    it("resolves names through Service openshift-dns/dns-default on 53, served by pods on 5353", () => {
        const dns = kubectlJson<{
            spec: { clusterIP: string; ports: { port: number; targetPort: string | number; protocol: string }[] };
        }>(["-n", "openshift-dns", "get", "service", "dns-default"]);
        expect(dns.spec.clusterIP).to.equal(NETWORK.DNS_SERVICE_IP);
        expect(dns.spec.ports.map((p) => `${p.protocol}/${p.port}`).sort()).to.deep.equal(["TCP/53", "UDP/53"]);
        const pods = kubectlJson<{
            items: { spec: { containers: { ports: { containerPort: number }[] }[] }; status: { podIP: string } }[];
        }>(["-n", "openshift-dns", "get", "pods", "-l", "dns.operator.openshift.io/daemonset-dns=default"]).items;
        expect(pods).to.have.length(2, "one DNS pod per node");
        expect(pods[0].spec.containers[0].ports.map((p) => p.containerPort)).to.include(5353);
        const viaService = execIn(ns, "client-1", ["nslookup", `server.${ns}.svc.cluster.local`]);
        expect(viaService.status, viaService.output).to.equal(0);
        expect(viaService.stdout).to.contain(
            ok("kubectl", ["-n", ns, "get", "service", "server", "-o", "jsonpath={.spec.clusterIP}"]).stdout.trim(),
        );
        const direct = execIn(ns, "client-1", [
            "nslookup",
            `server.${ns}.svc.cluster.local`,
            `${pods[0].status.podIP}:5353`,
        ]);
        expect(direct.status, direct.output).to.equal(0);
        const outside = execIn(ns, "client-1", ["nslookup", "example.com"]);
        expect(outside.status, "no name outside the cluster resolves: nothing is forwarded").to.not.equal(0);
    });

    it("enforces a NetworkPolicy: an ingress default-deny blocks the client, deleting it lets it through", () => {
        const deny = {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "deny-server", namespace: ns },
            spec: { podSelector: { matchLabels: { app: "server" } }, policyTypes: ["Ingress"] },
        };
        ok("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(deny) });
        // kube-router applies a policy on its change event, later when the machine is busy.
        const blocked = !eventually(
            () => tcpConnects(ns, "client-1", serverOn2, 8080, 2),
            (r) => !r.connected,
            90,
        ).connected;
        expect(blocked, "the policy controller blocks within 90 tries").to.equal(true);
        expect(tcpConnects(ns, "client-2", serverOn2, 8080, 2).connected, "same node too").to.equal(false);
        ok("kubectl", ["-n", ns, "delete", "networkpolicy", "deny-server"]);
        const open = eventually(
            () => tcpConnects(ns, "client-1", serverOn2, 8080, 2),
            (r) => r.connected,
            90,
        ).connected;
        expect(open, "connections pass again once the policy is gone").to.equal(true);
    });

    it("binds a claim when its first pod is scheduled, on that pod's node", () => {
        const claim = {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "data", namespace: ns },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } },
        };
        ok("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(claim) });
        const writer = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "writer", namespace: ns },
            spec: {
                // Scheduled, not pinned by nodeName: the scheduler picks the node and so the claim's.
                nodeSelector: { "kubernetes.io/hostname": "node-1" },
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                securityContext: {
                    runAsUser: 65532,
                    runAsNonRoot: true,
                    fsGroup: 65532,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                    {
                        name: "w",
                        image: state.probeImage,
                        imagePullPolicy: "IfNotPresent",
                        command: ["sh", "-c", "echo kept > /data/record && cat /data/record"],
                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                        volumeMounts: [{ name: "d", mountPath: "/data" }],
                    },
                ],
                volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }],
            },
        };
        ok("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(writer) });
        ok("kubectl", ["-n", ns, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/writer", "--timeout=120s"]);
        expect(ok("kubectl", ["-n", ns, "logs", "writer"]).stdout.trim()).to.equal("kept");
        expect(ok("kubectl", ["-n", ns, "get", "pvc", "data", "-o", "jsonpath={.status.phase}"]).stdout).to.equal(
            "Bound",
        );
        const volume = ok("kubectl", [
            "-n",
            ns,
            "get",
            "pvc",
            "data",
            "-o",
            "jsonpath={.spec.volumeName}",
        ]).stdout.trim();
        const pv = kubectlJson<{
            spec: { hostPath?: { path: string }; local?: { path: string }; nodeAffinity: unknown };
        }>(["get", "pv", volume]);
        expect(JSON.stringify(pv.spec.nodeAffinity)).to.contain("node-1");
        expect(pv.spec.hostPath?.path ?? pv.spec.local?.path).to.match(
            new RegExp(`^${state.nodesDir}/node-1/volumes/`),
        );
    });

    it("reaches the test hosts that stand for the internet, and no address outside the sealed network", () => {
        // A listener on the internet stand-in, in the test hosts' namespace.
        const [host] = NETWORK.INTERNET_HOSTS.split(" ");
        const listener = run("sh", [
            "-c",
            `nsenter --net=/var/run/netns/${NETWORK.NETNS_PREFIX}hosts socat TCP-LISTEN:443,bind=${host},reuseaddr,fork SYSTEM:'echo internet-stand-in' >/dev/null 2>&1 </dev/null & echo $!`,
        ]);
        const pid = listener.stdout.trim();
        try {
            expect(
                eventually(
                    () => tcpConnects(ns, "client-1", host, 443),
                    (r) => r.connected,
                    10,
                ).output,
            ).to.equal("internet-stand-in");
            // No route leads out: asked of the kernel's routing tables (`ip route get` sends
            // nothing), for an address outside the sealed network, in every namespace the nodes use.
            for (const netns of ["fabric", "node-1", "node-2", "hosts"]) {
                const route = run("nsenter", [
                    `--net=/var/run/netns/${NETWORK.NETNS_PREFIX}${netns}`,
                    "ip",
                    "route",
                    "get",
                    "8.8.8.8",
                ]);
                if (netns === "fabric") {
                    expect(route.status, `${netns}: ${route.output}`).to.not.equal(0);
                    expect(route.output).to.match(/unreachable/i);
                } else {
                    // Nodes and test hosts route everything to the fabric, which routes it nowhere.
                    expect(route.stdout, netns).to.match(/via 10\.250\.[01]\.1 /);
                }
            }
            const forward = ok("nsenter", [
                `--net=/var/run/netns/${NETWORK.NETNS_PREFIX}fabric`,
                "iptables",
                "-S",
                "FORWARD",
            ]).stdout;
            expect(forward)
                .to.contain(
                    `-A FORWARD -d ${NETWORK.FORWARDER_ADDR}/32 -o uplink -p tcp -m tcp --dport ${NETWORK.API_FORWARD_PORT} -j ACCEPT`,
                )
                .and.contain("-A FORWARD -o uplink -j DROP")
                .and.contain("-A FORWARD -i uplink -j DROP");
        } finally {
            run("kill", [pid]);
        }
    });
});
