// npm run migrate -- <stack> [--apply] [--json] [--keep Kind/name]...
//
// Reads the stack's namespace on the stack's cluster and prints what the first `pulumi up`
// needs done to the objects already there (plan.ts); with --apply it does exactly that, in an
// order that never leaves trial pods without a default-deny. Safe to run again: what is done
// is recognised and skipped. Exit 0 done (or nothing to do), 1 refused with nothing changed
// (or a step failed: what ran stays done, run again), 2 usage.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { wrongCluster } from "../../components/cluster";
import { AbevalflowConfig, committedStacks, ConfigValidationError } from "../../components/config";
import { FIELD_MANAGER, KIND_RESOURCES, LITELLM } from "../../components/names";
import { stackConfig, stackProgram } from "../engine/program-run";
import { manifestsOf } from "../render/manifests";
import { Kubectl, KubectlError, resourceOf } from "./kube";
import { legacyObjects } from "./legacy";
import {
    changes,
    executionOrder,
    handOver,
    KubeObject,
    needsHandOver,
    Plan,
    planMigration,
    Step,
    StorageClassInfo,
} from "./plan";

const USAGE = "usage: npm run migrate -- <stack> [--apply] [--json] [--keep Kind/name]...";

export class UsageError extends Error {}

export interface Args {
    stack: string;
    apply: boolean;
    json: boolean;
    keep: Set<string>;
    help: boolean;
}

export function parseArgs(argv: readonly string[], projectDir: string): Args {
    const args: Args = { stack: "", apply: false, json: false, keep: new Set(), help: false };
    // --keep=X is --keep X.
    const words = argv.flatMap((a) => (a.startsWith("--keep=") ? ["--keep", a.slice("--keep=".length)] : [a]));
    for (let i = 0; i < words.length; i++) {
        const a = words[i];
        if (a === "--help" || a === "-h") {
            return { ...args, help: true };
        } else if (a === "--apply") {
            args.apply = true;
        } else if (a === "--json") {
            args.json = true;
        } else if (a === "--keep") {
            const value = words[++i];
            if (!value || !/^[A-Z][A-Za-z]*\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
                throw new UsageError(
                    `--keep needs Kind/name, e.g. --keep ConfigMap/team-notes; got ${value === undefined ? "nothing" : JSON.stringify(value)}`,
                );
            }
            args.keep.add(value);
        } else if (a.startsWith("-")) {
            throw new UsageError(`unknown option ${a}`);
        } else if (args.stack) {
            throw new UsageError(`one stack at a time; got ${args.stack} and ${a}`);
        } else {
            args.stack = a;
        }
    }
    if (!args.stack) {
        throw new UsageError("which stack? give its name (the X of Pulumi.X.yaml)");
    }
    checkStack(args.stack, projectDir);
    return args;
}

/** Refuses a stack without a Pulumi.<stack>.yaml, naming the ones there are. */
export function checkStack(stack: string, projectDir: string): void {
    const stacks = committedStacks(projectDir);
    if (!stacks.includes(stack)) {
        throw new UsageError(
            `unknown stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml in ${projectDir}; stacks here: ${stacks.join(", ")}`,
        );
    }
}

/** kubectl as the stack deploys: KUBECONFIG, with the stack's kubeContext. */
export function kubectlForStack(config: AbevalflowConfig, kubectlBin: string): Kubectl {
    return new Kubectl(kubectlBin, config.cluster.context);
}

/** Stops unless the context reaches the stack's cluster (abevalflow:clusterId), as the program does. */
export function checkCluster(kubectl: Kubectl, config: AbevalflowConfig, log: (s: string) => void): void {
    const expected = config.cluster.id;
    if (expected === undefined) {
        // As the program: kube-system is read only to compare it with the stack's clusterId.
        log(
            `warning: the stack names no cluster (abevalflow:clusterId); going on with whichever ${kubectl.target} reaches`,
        );
        return;
    }
    let uid: string;
    try {
        uid = kubectl.ok(["get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}"]).trim();
    } catch (e) {
        throw new KubectlError(`cannot read the cluster through ${kubectl.target}: ${(e as Error).message}`);
    }
    if (uid !== expected) {
        throw new KubectlError(
            `${wrongCluster(expected, kubectl.target, uid)}. Select the right context (abevalflow:kubeContext) or stack.`,
        );
    }
}

export interface Reading {
    plan: Plan;
    live: KubeObject[];
}

/**
 * The stack's configuration: the stack file as it is, or, when it holds secrets, as the
 * Pulumi CLI decrypts it (the backend and passphrase or key the stack's `pulumi up` uses).
 */
export function stackValues(stack: string, projectDir: string): Record<string, unknown> {
    const file = stackConfig(stack);
    if (!Object.values(file).some((v) => v !== null && typeof v === "object" && "secure" in v)) {
        return file;
    }
    const r = spawnSync("pulumi", ["config", "--show-secrets", "--json", "-s", stack, "--cwd", projectDir], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error || r.status !== 0) {
        throw new UsageError(
            `stack ${stack} holds secrets, and \`pulumi config --show-secrets -s ${stack}\` could not decrypt them ` +
                `(log in to the stack's backend and give its passphrase or key): ${r.error?.message ?? r.stderr.trim()}`,
        );
    }
    const entries = JSON.parse(r.stdout) as Record<string, { value?: string; objectValue?: unknown }>;
    return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.objectValue ?? v.value]));
}

export async function readPlan(
    args: Args,
    kubectlBin: string,
    log: (s: string) => void,
    projectDir: string,
): Promise<Reading & { kubectl: Kubectl; config: AbevalflowConfig }> {
    // The cluster check is the migration's own (checkCluster, against the real cluster); the
    // mocks that render the program's objects answer the program's with the stack's own uid.
    const values = stackValues(args.stack, projectDir);
    const run = await stackProgram(values);
    const config = run.config;
    const desired = manifestsOf(run) as KubeObject[];
    const kubectl = kubectlForStack(config, kubectlBin);
    checkCluster(kubectl, config, log);
    const legacy = legacyObjects(config);
    // Every namespaced kind the program knows, in every mode: an object applied by hand that the
    // stack does not have is reported (or refused) whatever its kind, never passed over.
    const kinds = Object.entries(KIND_RESOURCES)
        .filter(([, k]) => k.namespaced)
        .map(([kind]) => kind)
        .sort();
    const liveNamespace = kubectl.find("Namespace", config.namespace);
    const live = liveNamespace ? kubectl.list(kinds, config.namespace) : [];
    const classes = kubectl.run(["get", "storageclasses.storage.k8s.io", "-o", "json"]);
    const storageClasses =
        classes.status === 0
            ? (
                  JSON.parse(classes.stdout) as {
                      items: {
                          metadata: { name: string };
                          allowVolumeExpansion?: boolean;
                          volumeBindingMode?: string;
                      }[];
                  }
              ).items.map((c): StorageClassInfo => ({
                  name: c.metadata.name,
                  allowVolumeExpansion: c.allowVolumeExpansion,
                  volumeBindingMode: c.volumeBindingMode,
              }))
            : `kubectl get storageclasses failed: ${classes.stderr || `exit ${classes.status}`}`;
    const requiredSecrets =
        config.llmMode === "litellm" && config.litellm?.vertexCredentialsSecretName
            ? [config.litellm.vertexCredentialsSecretName]
            : [];
    // The one value the plan looks into, the key the proxy will read, read apart from `live`.
    const requiredSecretKeys: Record<string, string | undefined> = {};
    for (const name of requiredSecrets.filter((n) => live.some((o) => o.kind === "Secret" && o.metadata.name === n))) {
        const secret = JSON.parse(kubectl.ok(["get", "secret", name, "-n", config.namespace, "-o", "json"])) as {
            data?: Record<string, string>;
        };
        const encoded = secret.data?.[LITELLM.credentialsKey];
        requiredSecretKeys[name] = encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
    }
    const plan = planMigration({
        namespace: config.namespace,
        desired,
        liveNamespace,
        live,
        legacy,
        storageClasses,
        keep: args.keep,
        requiredSecrets,
        requiredSecretKeys,
    });
    return { plan, live, kubectl, config };
}

const VERB: Record<Step["action"], string> = {
    "create-first": "create first",
    adopt: "adopt",
    replace: "replace",
    delete: "delete",
    keep: "keep",
};

export function formatPlan(plan: Plan, stack: string, target: string, order: Step[]): string {
    const lines = [`migration plan for stack ${stack}: namespace ${plan.namespace} through ${target}`];
    if (!plan.namespaceExists) {
        lines.push(`  namespace ${plan.namespace} does not exist: nothing to migrate; pulumi up creates everything`);
        return lines.join("\n");
    }
    const width = Math.max(0, ...order.map((s) => `${s.kind}/${s.name}`.length));
    for (const s of order) {
        const action = s.action === "adopt" && !s.transfer ? "adopt as is" : VERB[s.action];
        lines.push(`  ${action.padEnd(13)} ${`${s.kind}/${s.name}`.padEnd(width)}  ${s.reason}`);
    }
    if (order.length === 0) {
        lines.push("  no object here predates the program: nothing to do");
    }
    for (const p of plan.problems) {
        lines.push(`  cannot plan   ${p}`);
    }
    for (const p of plan.prerequisites) {
        lines.push(`  first         ${p}`);
    }
    for (const n of plan.notes) {
        lines.push(`  note          ${n}`);
    }
    return lines.join("\n");
}

/** Carries out the plan's changes in order; each step re-reads its object, so a second run skips what is done. */
export function applyPlan(kubectl: Kubectl, plan: Plan, order: Step[], log: (s: string) => void): number {
    const pending = new Set(changes(plan));
    const todo = order.filter((s) => pending.has(s));
    let n = 0;
    for (const step of todo) {
        n++;
        const namespace = step.kind === "Namespace" ? undefined : plan.namespace;
        const where = namespace ? ["-n", namespace] : [];
        const label = `[${n}/${todo.length}] ${VERB[step.action]} ${step.kind}/${step.name}`;
        if (step.action === "create-first" && step.manifest) {
            kubectl.ok(
                ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-f", "-"],
                JSON.stringify(step.manifest),
            );
        } else if (step.action === "adopt") {
            const live = kubectl.find(step.kind, step.name, namespace);
            if (!live) {
                log(`${label}: gone since the plan was read; nothing to hand over (pulumi up creates it)`);
                continue;
            }
            if (!needsHandOver(live)) {
                log(`${label}: already handed over`);
                continue;
            }
            const fields = handOver(live, new Date().toISOString().replace(/\.\d+Z$/, "Z"));
            // The test makes the patch fail rather than overwrite a change made since the read.
            const patch = [
                { op: "test", path: "/metadata/resourceVersion", value: live.metadata.resourceVersion },
                { op: "replace", path: "/metadata/managedFields", value: fields },
            ];
            const r = kubectl.run([
                "patch",
                resourceOf(step.kind),
                step.name,
                ...where,
                "--type=json",
                "-p",
                JSON.stringify(patch),
            ]);
            if (r.status !== 0) {
                const now = kubectl.find(step.kind, step.name, namespace);
                throw new KubectlError(
                    now?.metadata.resourceVersion !== live.metadata.resourceVersion
                        ? `${step.kind}/${step.name} changed while the migration ran (resourceVersion ${live.metadata.resourceVersion} -> ${now?.metadata.resourceVersion ?? "deleted"}); nothing of it was overwritten`
                        : `handing over the field managers of ${step.kind}/${step.name} (${kubectl.target}) failed: ${r.stderr}`,
                );
            }
        } else if (step.action === "replace" || step.action === "delete") {
            kubectl.ok([
                "delete",
                resourceOf(step.kind),
                step.name,
                ...where,
                "--ignore-not-found",
                "--wait=true",
                "--timeout=120s",
            ]);
        }
        log(`${label}: done`);
    }
    return todo.length;
}

async function main(argv: string[]): Promise<number> {
    const log = (s: string) => process.stderr.write(`[migrate] ${s}\n`);
    let args: Args;
    const projectDir = path.resolve(__dirname, "..", "..");
    try {
        args = parseArgs(argv, projectDir);
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (args.help) {
        console.log(
            `${USAGE}\n\nPlans the first deploy of the stack over the objects already in its namespace, and with --apply\n` +
                "carries the plan out (docs/operations.md, section 4). Exit 0 done or nothing to do, 1 refused with nothing changed\n" +
                "(or a step failed: run again to finish), 2 usage.",
        );
        return 0;
    }
    const { plan, live, kubectl, config } = await readPlan(args, process.env.KUBECTL ?? "kubectl", log, projectDir);
    const order = executionOrder(plan, live);
    if (args.json) {
        process.stdout.write(
            `${JSON.stringify({ stack: args.stack, ...plan, steps: order.map(({ manifest: _m, ...s }) => s) }, null, 2)}\n`,
        );
    } else {
        process.stdout.write(`${formatPlan(plan, args.stack, kubectl.target, order)}\n`);
    }
    if (plan.problems.length > 0) {
        log(`refused: ${plan.problems.length} object(s) cannot be planned (above); nothing was changed`);
        return 1;
    }
    const pending = changes(plan).length;
    if (args.apply && plan.prerequisites.length > 0 && pending > 0) {
        log(`refused: ${plan.prerequisites.join("; ")}; nothing was changed`);
        return 1;
    }
    if (!args.apply) {
        log(pending === 0 ? "nothing to change" : `dry run: ${pending} change(s); run again with --apply to make them`);
        return 0;
    }
    if (pending === 0) {
        log("nothing to change");
    } else {
        try {
            applyPlan(kubectl, plan, order, log);
        } catch (e) {
            log(
                `${(e as Error).message}\nstopped; the steps above stay done and the migration can be run again to finish`,
            );
            return 1;
        }
    }
    // The policy config is the stack's, as the workflow passes it (policy/config/<stack>.json).
    const policyConfig = `policy/config/${args.stack}.json`;
    log(
        `migrated; now run: pulumi up -s ${args.stack} --policy-pack policy --policy-pack-config ${policyConfig}` +
            (fs.existsSync(path.join(projectDir, policyConfig))
                ? ""
                : ` (${policyConfig} does not exist yet: start from policy/config/${config.environment}.json)`),
    );
    return 0;
}

/** The one message a failure ends with, in the migration's words. */
export function failureMessage(e: Error): string {
    if (e instanceof ConfigValidationError) {
        return `stack configuration invalid (${e.problems.length} problem${e.problems.length === 1 ? "" : "s"}):\n${e.problems.map((p) => `  - ${p}`).join("\n")}`;
    }
    return `${e instanceof KubectlError || e instanceof UsageError ? "" : "error: "}${e.message}`;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            process.stderr.write(`[migrate] ${failureMessage(e)}\n[migrate] nothing was changed\n`);
            process.exit(1);
        },
    );
}
