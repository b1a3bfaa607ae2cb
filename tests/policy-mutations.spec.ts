// The pack against the program's own resources: the dev and prod stacks in every llmMode,
// recorded under mocks, pass; then one defect at a time (each resource-level defect of the
// review and more) is put back, and exactly the intended policy must object to it.
import { expect } from "chai";
import devConfig from "../policy/config/dev.json";
import prodConfig from "../policy/config/prod.json";
import { resolvePolicies, ResolvedPolicy } from "../policy/checker/config";
import { checkSubjects, Subject, Violation } from "../policy/checker/engine";
import { isRecord, K8sObject, nameOf, podTemplateOf } from "../policy/lib/k8s";
import { objectOf } from "../policy/lib/pulumi";
import { RULES } from "../policy/policies";
import { LLM_MODES, RecordedResource, runProgram, withMode } from "./harness";

type Mode = (typeof LLM_MODES)[number];
type StackName = "dev" | "prod";

const POLICIES: Record<StackName, ResolvedPolicy[]> = {
    dev: resolvePolicies(RULES, devConfig, "policy/config/dev.json"),
    prod: resolvePolicies(RULES, prodConfig, "policy/config/prod.json"),
};

/** What the engine would see: the Kubernetes resources with their `protect` option, nothing more. */
function subjectsOf(resources: RecordedResource[]): Subject[] {
    return resources.flatMap((recorded) => {
        const object = objectOf(recorded.type, recorded.inputs);
        return object === undefined ? [] : [{ object, context: { protect: recorded.opts.protect === true } }];
    });
}

/** A mutable copy of one stack, with lookups by kind and metadata.name. */
class Stack {
    readonly subjects: Subject[];
    constructor(original: Subject[]) {
        this.subjects = original.map(({ object, context }) => ({
            object: structuredClone(object),
            context: { ...context },
        }));
    }
    find(kind: string, name: string): Subject {
        const found = this.subjects.find((s) => s.object.kind === kind && nameOf(s.object) === name);
        if (found === undefined) {
            throw new Error(
                `the stack has no ${kind} ${name}: ${this.subjects.map((s) => `${String(s.object.kind)}/${nameOf(s.object)}`).join(", ")}`,
            );
        }
        return found;
    }
    has(kind: string, name: string): boolean {
        return this.subjects.some((s) => s.object.kind === kind && nameOf(s.object) === name);
    }
    object(kind: string, name: string): K8sObject {
        return this.find(kind, name).object;
    }
    remove(kind: string, name: string): void {
        this.subjects.splice(this.subjects.indexOf(this.find(kind, name)), 1);
    }
    add(object: K8sObject): void {
        this.subjects.push({ object });
    }
}

// Paths into the objects the program registers, for the mutations below.
function spec(obj: K8sObject): Record<string, unknown> {
    if (!isRecord(obj.spec)) {
        throw new Error(`${nameOf(obj)} has no spec`);
    }
    return obj.spec;
}
function egress(np: K8sObject, index: number): Record<string, unknown> {
    const rules = spec(np).egress;
    if (!Array.isArray(rules) || !isRecord(rules[index])) {
        throw new Error(`${nameOf(np)} has no egress[${index}]`);
    }
    return rules[index];
}
function podOf(workload: K8sObject) {
    const pod = podTemplateOf(workload)?.spec;
    if (pod?.containers?.[0] === undefined) {
        throw new Error(`${nameOf(workload)} has no container`);
    }
    return { pod, container: pod.containers[0] };
}
function trialAllowName(mode: Mode): string {
    return `trial-egress-${mode}`;
}

interface Mutation {
    defect: string;
    policy: string;
    /** The kind and name the intended policy must point at. */
    target: (mode: Mode) => [string, string];
    modes?: readonly Mode[];
    stacks?: readonly StackName[];
    /** Whether the program registers what the mutation needs (slices still being added). */
    applies?: (stack: Stack) => boolean;
    mutate: (stack: Stack, mode: Mode) => void;
}

const LITELLM_ONLY = ["litellm"] as const;
const DEPLOYMENT: [string, string] = ["Deployment", "litellm"];
const CLEANUP_JOB: [string, string] = ["CronJob", "abevalflow-cleanup"];
const hasCleanup = (stack: Stack) => stack.has(...CLEANUP_JOB);
const CLEANUP_ALLOW: [string, string] = ["NetworkPolicy", "cleanup-egress-allow"];
const hasCleanupEgress = (stack: Stack) => stack.has(...CLEANUP_ALLOW);

const MUTATIONS: Mutation[] = [
    // The review's resource-level defects, one by one.
    {
        defect: "floating LiteLLM tag main-latest",
        policy: "pinned-images",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).container.image = "ghcr.io/berriai/litellm:main-latest";
        },
    },
    {
        defect: "unpinned CLI image on the cleanup job",
        policy: "pinned-images",
        target: () => CLEANUP_JOB,
        applies: hasCleanup,
        mutate: (s) => {
            podOf(s.object(...CLEANUP_JOB)).container.image =
                "registry.redhat.io/openshift-pipelines/pipelines-cli-tkn-rhel9:latest";
        },
    },
    {
        defect: "pipeline ServiceAccount on the proxy",
        policy: "dedicated-service-account",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).pod.serviceAccountName = "pipeline";
        },
    },
    {
        defect: "unscoped secrets get",
        policy: "scoped-secret-access",
        target: () => ["Role", "pipeline-trial-manager"],
        mutate: (s) => {
            const rules = s.object("Role", "pipeline-trial-manager").rules as Record<string, unknown>[];
            for (const rule of rules.filter((r) => (r.resources as string[]).includes("secrets"))) {
                delete rule.resourceNames;
            }
        },
    },
    {
        defect: "allow policy without its default-deny",
        policy: "default-deny-plus-allow",
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s) => s.remove("NetworkPolicy", "trial-egress-default-deny"),
    },
    {
        defect: "DNS to every namespace",
        policy: "default-deny-plus-allow",
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            egress(s.object("NetworkPolicy", trialAllowName(m)), 0).to = [{ namespaceSelector: {} }];
        },
    },
    {
        defect: "allow policy annotated INSTEAD OF default-deny",
        policy: "default-deny-plus-allow",
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            const np = s.object("NetworkPolicy", trialAllowName(m));
            np.metadata = {
                ...np.metadata,
                annotations: { "abevalflow/note": "Apply this policy INSTEAD OF default-deny." },
            };
        },
    },
    {
        defect: "LiteLLM probed on /health",
        policy: "deployment-probes",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).container.livenessProbe = { httpGet: { path: "/health", port: "http" } };
        },
    },
    {
        defect: "cleanup script passing an age to --keep",
        policy: "prune-by-age",
        target: () => ["CronJob", "abevalflow-cleanup"],
        applies: hasCleanup,
        mutate: (s) => {
            podOf(s.object(...CLEANUP_JOB)).container.command = [
                "/bin/sh",
                "-c",
                'tkn pipelinerun delete --keep="${PIPELINERUN_AGE_DAYS}" -f',
            ];
        },
    },
    // More of the same families.
    {
        defect: "LiteLLM tag without its digest",
        policy: "pinned-images",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            const { container } = podOf(s.object(...DEPLOYMENT));
            container.image = String(container.image).split("@")[0];
        },
    },
    {
        defect: "secrets list next to get",
        policy: "scoped-secret-access",
        target: () => ["Role", "pipeline-trial-manager"],
        mutate: (s) => {
            const rules = s.object("Role", "pipeline-trial-manager").rules as Record<string, unknown>[];
            rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["list"] });
        },
    },
    {
        defect: "ClusterRoleBinding of edit to the pipeline",
        policy: "scoped-secret-access",
        target: () => ["ClusterRoleBinding", "pipeline-edit"],
        mutate: (s) =>
            s.add({
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: "pipeline-edit" },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
                subjects: [
                    {
                        kind: "ServiceAccount",
                        name: "pipeline",
                        namespace: String(s.object("Role", "pipeline-trial-manager").metadata?.namespace),
                    },
                ],
            }),
    },
    {
        defect: "pipeline bound to the admin ClusterRole",
        policy: "scoped-secret-access",
        target: () => ["RoleBinding", "pipeline-trial-manager"],
        mutate: (s) => {
            s.object("RoleBinding", "pipeline-trial-manager").roleRef = {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: "admin",
            };
        },
    },
    {
        defect: "proxy without its default-deny",
        policy: "default-deny-plus-allow",
        modes: LITELLM_ONLY,
        target: () => ["NetworkPolicy", "litellm-proxy"],
        mutate: (s) => s.remove("NetworkPolicy", "litellm-default-deny"),
    },
    {
        defect: "a second mode allow policy for trial pods",
        policy: "default-deny-plus-allow",
        target: () => ["NetworkPolicy", "trial-egress-extra"],
        mutate: (s, m) => {
            const copy = structuredClone(s.object("NetworkPolicy", trialAllowName(m)));
            copy.metadata = { ...copy.metadata, name: "trial-egress-extra" };
            s.add(copy);
        },
    },
    {
        defect: "DNS to any destination",
        policy: "default-deny-plus-allow",
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            delete egress(s.object("NetworkPolicy", trialAllowName(m)), 0).to;
        },
    },
    {
        defect: "0.0.0.0/0 on every port for trial pods",
        policy: "default-deny-plus-allow",
        modes: ["direct-api"],
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            delete egress(s.object("NetworkPolicy", trialAllowName(m)), 1).ports;
        },
    },
    {
        defect: "0.0.0.0/0 on every port for the proxy",
        policy: "default-deny-plus-allow",
        modes: LITELLM_ONLY,
        target: () => ["NetworkPolicy", "litellm-proxy"],
        mutate: (s) => {
            delete egress(s.object("NetworkPolicy", "litellm-proxy"), 1).ports;
        },
    },
    {
        defect: "default-deny turned into an allow",
        policy: "default-deny-plus-allow",
        target: () => ["NetworkPolicy", "trial-egress-default-deny"],
        mutate: (s) => {
            spec(s.object("NetworkPolicy", "trial-egress-default-deny")).egress = [{ to: [{ podSelector: {} }] }];
        },
    },
    {
        defect: "metadata endpoint reachable from the internet rule",
        policy: "egress-excepts-internal",
        modes: ["direct-api"],
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            const block = (
                egress(s.object("NetworkPolicy", trialAllowName(m)), 1).to as { ipBlock: { except: string[] } }[]
            )[0].ipBlock;
            block.except = block.except.filter((cidr) => cidr !== "169.254.0.0/16");
        },
    },
    {
        defect: "DNS on port 53 only",
        policy: "dns-egress-ports",
        target: (m) => ["NetworkPolicy", trialAllowName(m)],
        mutate: (s, m) => {
            egress(s.object("NetworkPolicy", trialAllowName(m)), 0).ports = [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ];
        },
    },
    {
        defect: "proxy without a readiness probe",
        policy: "deployment-probes",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            delete podOf(s.object(...DEPLOYMENT)).container.readinessProbe;
        },
    },
    {
        defect: "proxy allowed to escalate privileges",
        policy: "restricted-security-context",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).container.securityContext = {
                ...podOf(s.object(...DEPLOYMENT)).container.securityContext,
                allowPrivilegeEscalation: true,
            };
        },
    },
    {
        defect: "proxy on the host network",
        policy: "restricted-security-context",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).pod.hostNetwork = true;
        },
    },
    {
        defect: "proxy without limits",
        policy: "resource-requests-limits",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            const { container } = podOf(s.object(...DEPLOYMENT));
            container.resources = { requests: container.resources?.requests };
        },
    },
    {
        defect: "proxy mounting an API token it never uses",
        policy: "no-token-automount",
        modes: LITELLM_ONLY,
        target: () => DEPLOYMENT,
        mutate: (s) => {
            podOf(s.object(...DEPLOYMENT)).pod.automountServiceAccountToken = true;
        },
    },
    {
        defect: "HA proxy without its PodDisruptionBudget",
        policy: "replicated-deployment-pdb",
        modes: LITELLM_ONLY,
        stacks: ["prod"],
        target: () => DEPLOYMENT,
        mutate: (s) => s.remove("PodDisruptionBudget", "litellm"),
    },
    {
        defect: "PodDisruptionBudget that blocks drains",
        policy: "replicated-deployment-pdb",
        modes: LITELLM_ONLY,
        stacks: ["prod"],
        target: () => ["PodDisruptionBudget", "litellm"],
        mutate: (s) => {
            spec(s.object("PodDisruptionBudget", "litellm")).maxUnavailable = 0;
        },
    },
    {
        defect: "workspace claim neither protected nor marked retained",
        policy: "pvc-retained",
        target: () => ["PersistentVolumeClaim", "abevalflow-workspace"],
        mutate: (s) => {
            const claim = s.find("PersistentVolumeClaim", "abevalflow-workspace");
            claim.context = { protect: false };
            delete claim.object.metadata?.annotations?.["helm.sh/resource-policy"];
        },
    },
    {
        defect: "quota without its LimitRange",
        policy: "quota-has-limitrange",
        target: () => ["ResourceQuota", "abevalflow-quota"],
        mutate: (s) => s.remove("LimitRange", "abevalflow-container-defaults"),
    },
    // The cleanup job's egress: its token can delete, so its pods reach DNS and the API server only.
    {
        defect: "cleanup allow policy without its default-deny",
        policy: "default-deny-plus-allow",
        target: () => CLEANUP_ALLOW,
        applies: hasCleanupEgress,
        mutate: (s) => s.remove("NetworkPolicy", "cleanup-egress-default-deny"),
    },
    {
        defect: "cleanup API-server rule open to every destination and port",
        policy: "default-deny-plus-allow",
        target: () => CLEANUP_ALLOW,
        applies: hasCleanupEgress,
        mutate: (s) => {
            const rule = egress(s.object(...CLEANUP_ALLOW), 1);
            delete rule.to;
            delete rule.ports;
        },
    },
    {
        defect: "cleanup API-server rule widened to a private network",
        policy: "egress-excepts-internal",
        target: () => CLEANUP_ALLOW,
        applies: hasCleanupEgress,
        mutate: (s) => {
            egress(s.object(...CLEANUP_ALLOW), 1).to = [{ ipBlock: { cidr: "10.0.0.0/8" } }];
        },
    },
];

function key(v: Violation): string {
    return `${v.policy}|${v.kind}|${v.namespace ?? ""}|${v.name}|${v.message}`;
}

describe("policy pack against the program's own stacks", function () {
    this.timeout(120_000);
    const runs = new Map<string, { resources: RecordedResource[]; subjects: Subject[] }>();

    before(async () => {
        for (const stack of ["dev", "prod"] as const) {
            for (const mode of LLM_MODES) {
                const run = await runProgram(withMode(stack, mode));
                runs.set(`${stack}/${mode}`, { resources: run.resources, subjects: subjectsOf(run.resources) });
            }
        }
    });

    for (const stack of ["dev", "prod"] as const) {
        for (const mode of LLM_MODES) {
            it(`${stack}/${mode}: the unmutated stack passes every policy`, () => {
                const { subjects } = runs.get(`${stack}/${mode}`)!;
                const violations = checkSubjects(subjects, POLICIES[stack]);
                expect(
                    violations.filter((v) => v.enforcementLevel === "mandatory"),
                    "mandatory",
                ).to.deep.equal([]);
                expect(violations).to.deep.equal([]);
            });
        }
    }

    it("applies at least 20 distinct mutations", () => {
        expect(MUTATIONS.length).to.be.at.least(20);
        expect(new Set(MUTATIONS.map((m) => m.defect)).size).to.equal(MUTATIONS.length);
    });

    for (const mutation of MUTATIONS) {
        describe(`${mutation.defect} → ${mutation.policy}`, () => {
            for (const stack of mutation.stacks ?? (["dev", "prod"] as const)) {
                for (const mode of mutation.modes ?? LLM_MODES) {
                    it(`${stack}/${mode}`, function () {
                        const original = runs.get(`${stack}/${mode}`)!.subjects;
                        const mutated = new Stack(original);
                        if (mutation.applies !== undefined && !mutation.applies(mutated)) {
                            // The slice that registers the target is not part of the program yet.
                            this.skip();
                        }
                        const before = new Set(checkSubjects(original, POLICIES[stack]).map(key));
                        mutation.mutate(mutated, mode);
                        const introduced = checkSubjects(mutated.subjects, POLICIES[stack]).filter(
                            (v) => !before.has(key(v)),
                        );
                        const [kind, name] = mutation.target(mode);
                        expect(
                            [...new Set(introduced.map((v) => v.policy))],
                            JSON.stringify(introduced, null, 1),
                        ).to.deep.equal([mutation.policy]);
                        expect(
                            introduced.some((v) => v.kind === kind && v.name === name),
                            `a violation on ${kind}/${name}`,
                        ).to.equal(true);
                        if (stack === "prod") {
                            expect(introduced.every((v) => v.enforcementLevel === "mandatory")).to.equal(true);
                        }
                    });
                }
            }
        });
    }
});
