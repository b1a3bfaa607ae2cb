// npm run audit -- <stack> [--json]
//
// Checks the stack's live namespace for what undoes the stack's promises without being the
// program's, so that neither `pulumi refresh` nor the policy pack sees it (check.ts): a
// NetworkPolicy that selects trial pods, rights of the pipeline beyond its Role, asked of the
// authorizer, and the admission policy missing or unbound. Reads only; needs the rights to read
// the namespace's policies and bindings and to impersonate the pipeline's ServiceAccount (a
// cluster administrator has them; docs/operations.md, section 5). Exit 0 nothing found, 1
// findings (each printed), 2 usage or the cluster could not be read.
import * as path from "path";
import { trialAdmissionName } from "../../components/admission";
import { AbevalflowConfig } from "../../components/config";
import { pipelineRoleRules } from "../../components/rbac";
import { checkCluster, checkStack, failureMessage, kubectlForStack, stackValues, UsageError } from "../migrate/cli";
import { Kubectl } from "../migrate/kube";
import { stackProgram } from "../engine/program-run";
import { manifestsOf } from "../render/manifests";
import { audit, Finding, LabelSelector, LiveNamespace, ResourceRule } from "./check";

const USAGE = "usage: npm run audit -- <stack> [--json]";
/** A ServiceAccount name no binding names: the authorizer's answer for it is what every account of the namespace may do. */
const UNBOUND_ACCOUNT = "abevalflow-audit-unbound";

interface Binding {
    metadata: { name: string; namespace?: string };
    roleRef: { kind: string; name: string };
    subjects?: { kind: string; name: string; namespace?: string }[];
}

/** What the authorizer lets a ServiceAccount do in the namespace (a SelfSubjectRulesReview made as that account). */
function rulesOf(kubectl: Kubectl, namespace: string, account: string): ResourceRule[] {
    const review = { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } };
    // --validate=false: kubectl would validate the review as the impersonated account, which may not read the schema.
    const out = JSON.parse(
        kubectl.ok(
            [
                "create",
                "--validate=false",
                "-f",
                "-",
                "-o",
                "json",
                "--as",
                `system:serviceaccount:${namespace}:${account}`,
            ],
            JSON.stringify(review),
        ),
    ) as {
        status: { resourceRules?: ResourceRule[]; incomplete?: boolean; evaluationError?: string };
    };
    if (out.status.incomplete) {
        throw new UsageError(
            `the authorizer's answer for ${account} is incomplete (${out.status.evaluationError ?? "no reason given"}); the pipeline's rights cannot be audited here`,
        );
    }
    return out.status.resourceRules ?? [];
}

export function readLive(
    kubectl: Kubectl,
    config: AbevalflowConfig,
    declaredPolicies: string[],
    programBindings: string[],
): LiveNamespace {
    const ns = config.namespace;
    const account = config.pipeline.serviceAccountName;
    const policies = JSON.parse(kubectl.ok(["get", "networkpolicies.networking.k8s.io", "-n", ns, "-o", "json"])) as {
        items: { metadata: { name: string }; spec: { podSelector?: LabelSelector } }[];
    };
    // The ClusterRoles the program binds the pipeline to, as the cluster has them (absent on a cluster without them).
    const clusterRoles = [
        "system:image-builder",
        ...(config.pipeline.sccClusterRole ? [config.pipeline.sccClusterRole] : []),
    ];
    const clusterRoleRules = clusterRoles.flatMap((name) => {
        const r = kubectl.run(["get", "clusterrole", name, "-o", "json"]);
        return r.status === 0 ? ((JSON.parse(r.stdout) as { rules?: ResourceRule[] }).rules ?? []) : [];
    });
    const names = (subjects: Binding["subjects"]) =>
        (subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === account && (s.namespace ?? ns) === ns);
    const roleBindings = (
        JSON.parse(kubectl.ok(["get", "rolebindings.rbac.authorization.k8s.io", "-n", ns, "-o", "json"])) as {
            items: Binding[];
        }
    ).items;
    const clusterBindings = (
        JSON.parse(kubectl.ok(["get", "clusterrolebindings.rbac.authorization.k8s.io", "-o", "json"])) as {
            items: Binding[];
        }
    ).items;
    const foreignBindings = [
        ...roleBindings
            .filter((b) => names(b.subjects) && !programBindings.includes(b.metadata.name))
            .map((b) => `RoleBinding ${ns}/${b.metadata.name} (${b.roleRef.kind} ${b.roleRef.name})`),
        ...clusterBindings
            .filter((b) => names(b.subjects))
            .map((b) => `ClusterRoleBinding ${b.metadata.name} (${b.roleRef.kind} ${b.roleRef.name})`),
    ];
    let admission: LiveNamespace["admission"];
    if (config.admission.enabled) {
        const name = trialAdmissionName(ns);
        const get = <T>(kind: string): T | undefined => {
            const r = kubectl.run(["get", kind, name, "-o", "json"]);
            return r.status === 0 ? (JSON.parse(r.stdout) as { spec: T }).spec : undefined;
        };
        const binding = get<{
            policyName?: string;
            validationActions?: string[];
            matchResources?: { namespaceSelector?: LabelSelector };
        }>("validatingadmissionpolicybindings.admissionregistration.k8s.io");
        admission = {
            name,
            policy: get<{ failurePolicy?: string }>("validatingadmissionpolicies.admissionregistration.k8s.io"),
            binding: binding && {
                policyName: binding.policyName,
                validationActions: binding.validationActions,
                namespaceLabels: binding.matchResources?.namespaceSelector?.matchLabels,
            },
        };
    }
    return {
        namespace: ns,
        trialPodLabels: config.trial.podLabels,
        declaredPolicies,
        livePolicies: policies.items.map((p) => ({ name: p.metadata.name, podSelector: p.spec.podSelector })),
        pipelineRules: rulesOf(kubectl, ns, account),
        baselineRules: rulesOf(kubectl, ns, UNBOUND_ACCOUNT),
        grantedRules: [...(pipelineRoleRules(config.pipeline) as ResourceRule[]), ...clusterRoleRules],
        foreignBindings,
        admission,
    };
}

export function formatFindings(stack: string, target: string, live: LiveNamespace, findings: Finding[]): string {
    const lines = [`audit of stack ${stack}: namespace ${live.namespace} through ${target}`];
    for (const check of ["network-policies", "pipeline-rights", "admission-policy"] as const) {
        const mine = findings.filter((f) => f.check === check);
        if (check === "admission-policy" && !live.admission) {
            lines.push(
                `  skip  ${check}: the stack has admissionPolicy false (docs/operations.md, section 5, says what is then unchecked)`,
            );
        } else if (mine.length === 0) {
            lines.push(`  ok    ${check}`);
        }
        lines.push(...mine.map((f) => `  FAIL  ${check}: ${f.problem}`));
    }
    return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
    const projectDir = path.resolve(__dirname, "..", "..");
    const json = argv.includes("--json");
    const rest = argv.filter((a) => a !== "--json");
    if (rest.includes("--help") || rest.includes("-h")) {
        console.log(
            `${USAGE}\n\nChecks the stack's live namespace for what undoes its promises without being the program's:\n` +
                "NetworkPolicies that select trial pods, rights of the pipeline beyond its Role, the admission policy missing or\n" +
                "unbound. Reads only. Exit 0 nothing found, 1 findings, 2 usage or the cluster could not be read.",
        );
        return 0;
    }
    const unknown = rest.filter((a) => a.startsWith("-"));
    if (unknown.length > 0 || rest.length !== 1) {
        console.error(
            `${unknown.length > 0 ? `unknown option ${unknown[0]}` : rest.length === 0 ? "which stack? give its name (the X of Pulumi.X.yaml)" : `one stack at a time; got ${rest.join(" and ")}`}\n${USAGE}`,
        );
        return 2;
    }
    const stack = rest[0];
    try {
        checkStack(stack, projectDir);
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    const log = (s: string) => process.stderr.write(`[audit] ${s}\n`);
    const values = stackValues(stack, projectDir);
    const run = await stackProgram(values);
    const config = run.config;
    const kubectl = kubectlForStack(config, process.env.KUBECTL ?? "kubectl");
    checkCluster(kubectl, config, log);
    const desired = manifestsOf(run) as { kind: string; metadata: { name: string } }[];
    const live = readLive(
        kubectl,
        config,
        desired.filter((m) => m.kind === "NetworkPolicy").map((m) => m.metadata.name),
        desired.filter((m) => m.kind === "RoleBinding").map((m) => m.metadata.name),
    );
    const findings = audit(live);
    if (json) {
        process.stdout.write(`${JSON.stringify({ stack, namespace: live.namespace, findings }, null, 2)}\n`);
    } else {
        process.stdout.write(`${formatFindings(stack, kubectl.target, live, findings)}\n`);
    }
    log(findings.length === 0 ? "nothing found" : `${findings.length} finding(s)`);
    return findings.length === 0 ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            process.stderr.write(`[audit] ${failureMessage(e)}\n`);
            process.exit(2);
        },
    );
}
