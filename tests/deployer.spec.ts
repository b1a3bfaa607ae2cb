// The deploy identity's rights (scripts/deployer/rights.ts) against what the program registers
// and reads, for every configuration that adds a kind, a cluster-scoped object, a read or a
// binding: RBAC's own rules decide whether each call `pulumi up` makes, and each Role or binding
// it writes (the escalation check), is granted. The e2e suite (tests/e2e/deployer.e2e.ts)
// deploys dev and prod with these rights on the nodes.
import { expect } from "chai";
import { durationSeconds, parseDeployerArgs, tokenExpiry } from "../scripts/deployer/cli";
import { defaultSubject, deployerManifests, deployerRights, kindOf, PolicyRule } from "../scripts/deployer/rights";
import { UsageError } from "../scripts/migrate/cli";
import { REPO_ROOT } from "../scripts/engine/workspace";
import { stackProgram } from "../scripts/engine/program-run";
import { field, LLM_MODES, stackConfig, withMode } from "./harness";

const UID = "6f0d1c2e-0000-4000-8000-000000000001";

/** RBAC's rule: some rule names the group, resource and verb, and the name when it lists names. */
function grants(rules: PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
    return rules.some(
        (r) =>
            r.apiGroups.includes(group) &&
            r.resources.includes(resource) &&
            r.verbs.includes(verb) &&
            (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))),
    );
}

/** Every (group, resource, verb, name) a rule grants is granted by `by`. */
function uncovered(rule: PolicyRule, by: PolicyRule[]): string[] {
    return rule.apiGroups.flatMap((g) =>
        rule.resources.flatMap((res) =>
            rule.verbs.flatMap((v) =>
                (rule.resourceNames ?? [undefined])
                    .filter((n) => !grants(by, g, res, v, n))
                    .map((n) => `${v} ${g}/${res}${n ? `/${n}` : ""}`),
            ),
        ),
    );
}

const run = stackProgram;

/** Each configuration that changes what the program registers or reads. */
const VARIANTS: [string, () => Record<string, unknown>][] = [
    ...["dev", "prod"].flatMap((stack) =>
        LLM_MODES.map((mode): [string, () => Record<string, unknown>] => [
            `${stack} ${mode}`,
            () => withMode(stack, mode),
        ]),
    ),
    [
        "dev, cluster pinned, namespace not managed",
        () => withMode("dev", "litellm", { clusterId: UID, manageNamespace: false }),
    ],
    [
        "dev without admission policy, preview identity, API server read",
        () =>
            withMode("dev", "litellm", {
                admissionPolicy: false,
                previewIdentity: false,
                apiServerCidrs: ["10.0.0.1/32"],
            }),
    ],
    [
        "dev, the pipeline deletes claims, no SCC binding",
        () => withMode("dev", "direct-api", { pipelineManagesPvcs: true, pipelineSccClusterRole: "" }),
    ],
    [
        "dev, inline Vertex key",
        () =>
            withMode("dev", "litellm", {
                litellmVertexCredentials: JSON.stringify({
                    type: "service_account",
                    project_id: "p",
                    private_key: "k",
                    client_email: "e@p.iam.gserviceaccount.com",
                }),
                litellmVertexCredentialsSecretName: "",
            }),
    ],
];

describe("the deploy identity's rights", () => {
    for (const [name, values] of VARIANTS) {
        it(`${name}: every object, read, Role and binding of the program is granted, and no delete of the namespace or a claim`, async () => {
            const program = await run(values());
            const rights = deployerRights(program);
            const missing: string[] = [];
            for (const r of program.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                const kind = kindOf(r.type);
                const objectName = String(field(r, "metadata", "name"));
                const rules = kind.namespaced ? rights.namespaceRules : rights.clusterRules;
                const verbs = [
                    "get",
                    "patch",
                    ...(kind.kind === "Namespace" ? [] : ["create"]),
                    ...(r.opts.retainOnDelete || r.type.endsWith("Patch") ? [] : ["delete"]),
                ];
                missing.push(
                    ...verbs
                        .filter((v) => !grants(rules, kind.group, kind.resource, v, objectName))
                        .map((v) => `${v} ${r.type} ${objectName}`),
                );
                if (kind.kind === "Role" || kind.kind === "ClusterRole") {
                    missing.push(
                        ...(field(r, "rules") as PolicyRule[])
                            .flatMap((rule) => uncovered(rule, rules))
                            .map((m) => `${m} (held for ${kind.kind} ${objectName})`),
                    );
                }
                const ref = field(r, "roleRef") as { kind: string; name: string } | undefined;
                if (
                    kind.kind === "RoleBinding" &&
                    ref?.kind === "ClusterRole" &&
                    !grants(rights.namespaceRules, "rbac.authorization.k8s.io", "clusterroles", "bind", ref.name)
                ) {
                    missing.push(`bind ClusterRole ${ref.name}`);
                }
            }
            for (const read of program.reads) {
                const kind = kindOf(read.type);
                if (!grants(rights.clusterRules, kind.group, kind.resource, "get", read.id.split("/").pop())) {
                    missing.push(`get ${read.type} ${read.id}`);
                }
            }
            expect(missing, missing.join("\n")).to.deep.equal([]);
            const ns = program.config.namespace;
            for (const forbidden of [
                ["", "namespaces", "delete", ns],
                ["", "namespaces", "create"],
                ["", "persistentvolumeclaims", "delete", "abevalflow-workspace"],
            ]) {
                const [group, resource, verb, objectName] = forbidden;
                if (resource === "persistentvolumeclaims" && program.config.pipeline.managesPvcs) {
                    continue;
                }
                expect(
                    grants([...rights.namespaceRules, ...rights.clusterRules], group, resource, verb, objectName),
                    forbidden.join(" "),
                ).to.equal(false);
            }
        });
    }

    it("cluster-wide, nothing kind-wide but the creates RBAC cannot name, the provider's delete watches and the StorageClass read", async () => {
        const rights = deployerRights(await run(withMode("dev", "litellm", { clusterId: UID })));
        const kindWide = rights.clusterRules.filter((r) => r.resourceNames === undefined);
        expect(kindWide.flatMap((r) => r.verbs.map((v) => `${v} ${r.resources.join(",")}`)).sort()).to.deep.equal(
            [
                "create clusterrolebindings,clusterroles",
                "list clusterrolebindings,clusterroles",
                "watch clusterrolebindings,clusterroles",
                "create validatingadmissionpolicies,validatingadmissionpolicybindings",
                "list validatingadmissionpolicies,validatingadmissionpolicybindings",
                "watch validatingadmissionpolicies,validatingadmissionpolicybindings",
                "get storageclasses",
            ].sort(),
        );
        expect(rights.clusterReasons.join("\n"))
            .to.match(/reads Namespace kube-system/)
            .and.to.match(/ValidatingAdmissionPolicy/);
    });

    it("a key that adds cluster rights adds them, and only then", async () => {
        const plain = deployerRights(
            await run(
                withMode("dev", "litellm", {
                    admissionPolicy: false,
                    previewIdentity: false,
                    apiServerCidrs: ["10.0.0.1/32"],
                }),
            ),
        );
        const groups = plain.clusterRules.flatMap((r) => r.resources);
        expect(groups).to.not.include.members(["validatingadmissionpolicies"]);
        expect(groups).to.not.include("clusterroles");
        expect(groups).to.not.include("endpointslices");
        expect(
            plain.clusterRules.filter((r) => r.resources.includes("namespaces")).flatMap((r) => r.resourceNames),
        ).to.not.include("kube-system");
        const full = deployerRights(await run(withMode("dev", "litellm", { clusterId: UID })));
        expect(full.clusterRules.flatMap((r) => r.resources)).to.include.members([
            "validatingadmissionpolicies",
            "clusterroles",
            "endpointslices",
        ]);
    });

    it("the bootstrap: a bare namespace, the ServiceAccount only when it is the subject, both roles bound to the subject", async () => {
        const rights = deployerRights(await run(stackConfig("dev")));
        const sa = deployerManifests(rights, defaultSubject("ab-eval-flow-dev"));
        expect(sa.map((m) => m.kind)).to.deep.equal([
            "Namespace",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ClusterRole",
            "ClusterRoleBinding",
        ]);
        expect(sa[0]).to.deep.equal({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ab-eval-flow-dev" } });
        expect(sa[1].automountServiceAccountToken).to.equal(false);
        const user = deployerManifests(rights, { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" });
        expect(user.map((m) => m.kind)).to.not.include("ServiceAccount");
        for (const binding of user.filter((m) => m.kind.endsWith("Binding"))) {
            expect(binding.subjects).to.deep.equal([
                { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" },
            ]);
        }
    });

    it("a kind the program starts to use without an API resource stops the derivation, naming where to add it", () => {
        expect(() => kindOf("kubernetes:apps/v1:StatefulSet")).to.throw(/StatefulSet.*components\/names.ts/);
    });
});

describe("npm run deployer: arguments", () => {
    const parse = (...argv: string[]) => parseDeployerArgs(argv, REPO_ROOT);
    it("takes rbac with a subject, and kubeconfig with a file and a lifetime", () => {
        expect(parse("dev", "rbac")).to.deep.equal({ stack: "dev", command: "rbac", subject: undefined });
        expect(parse("prod", "rbac", "--group=platform")).to.deep.equal({
            stack: "prod",
            command: "rbac",
            subject: { kind: "Group", name: "platform" },
        });
        expect(parse("dev", "kubeconfig", "--out", "/tmp/k")).to.deep.equal({
            stack: "dev",
            command: "kubeconfig",
            out: "/tmp/k",
            duration: "720h",
        });
        expect(parse("dev", "kubeconfig", "--out", "/tmp/k", "--duration", "1h30m")).to.include({ duration: "1h30m" });
    });
    for (const [argv, message] of [
        [[], /which stack/],
        [["staging", "rbac"], /unknown stack "staging": there is no Pulumi.staging.yaml .*stacks here: .*dev/],
        [["dev"], /which command\? rbac or kubeconfig; got nothing/],
        [["dev", "apply"], /got "apply"/],
        [["dev", "rbac", "--user", "a", "--group", "b"], /one subject/],
        [["dev", "rbac", "--out", "x"], /--out is not an option of rbac/],
        [["dev", "kubeconfig"], /needs --out FILE/],
        [["dev", "kubeconfig", "--out"], /--out needs a value; got nothing/],
        [["dev", "kubeconfig", "--out", "k", "--duration", "5m"], /--duration "5m".*at least 10m/],
        [
            ["dev", "kubeconfig", "--out", "k", "--duration", "30d"],
            /--duration "30d": expected hours, minutes and seconds/,
        ],
        [["dev", "rbac", "--force"], /unknown option --force/],
        [["dev", "rbac", "extra"], /unexpected "extra"/],
    ] as [string[], RegExp][]) {
        it(`refuses ${JSON.stringify(argv)}`, () => {
            expect(() => parse(...argv)).to.throw(UsageError, message);
        });
    }
    it("reads Go durations as kubectl does", () => {
        expect(durationSeconds("720h")).to.equal(2_592_000);
        expect(durationSeconds("1h30m")).to.equal(5400);
        expect(durationSeconds("90s")).to.equal(90);
        expect(durationSeconds("")).to.equal(undefined);
        expect(durationSeconds("1d")).to.equal(undefined);
    });
    it("prints a token's own expiry and refuses a token without one", () => {
        const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.s`;
        expect(tokenExpiry(jwt({ exp: 1_800_000_000 }))).to.equal("2027-01-15T08:00:00.000Z");
        expect(() => tokenExpiry(jwt({ sub: "x" }))).to.throw(/no expiry/);
        expect(() => tokenExpiry("opaque")).to.throw(/not a token/);
    });
});
