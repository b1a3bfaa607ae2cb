// npm run deployer -- <stack> rbac [--user NAME | --group NAME]
// npm run deployer -- <stack> kubeconfig --out FILE [--duration DURATION]
//
// `rbac` prints what a cluster administrator applies once so that `pulumi up` of the stack can
// run as a deploy identity rather than as an administrator (rights.ts derives it from the
// program's objects for the stack's configuration): the namespace, the ServiceAccount
// abevalflow-deployer in it (unless --user or --group names another subject), a Role there and
// a ClusterRole for the cluster-scoped part, with their bindings. Reads no cluster.
//
// `kubeconfig` mints a token of that ServiceAccount for CI and writes a kubeconfig holding it
// and the current context's cluster. The token is bound to a new Secret in the namespace
// (abevalflow-deployer-token-<time>): deleting that Secret revokes this token and no other, and
// the token expires after DURATION (default 720h, at least 10m; the API server may cap it lower,
// and the expiry printed is the token's own). Needs the right to create Secrets in the namespace
// and serviceaccounts/token for the ServiceAccount (a cluster administrator has both).
// Exit 0 done, 2 usage or the cluster refused.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DEPLOYER } from "../../components/names";
import { checkStack, failureMessage, kubectlForStack, stackValues, UsageError } from "../migrate/cli";
import { stackProgram } from "../engine/program-run";
import { defaultSubject, deployerManifests, deployerRights, Subject } from "./rights";

const USAGE = [
    "usage: npm run deployer -- <stack> rbac [--user NAME | --group NAME]",
    "       npm run deployer -- <stack> kubeconfig --out FILE [--duration DURATION]",
].join("\n");
export const DEFAULT_TOKEN_DURATION = "720h";
/** The API server's smallest token lifetime (TokenRequest expirationSeconds >= 600). */
const MIN_TOKEN_SECONDS = 600;
export const TOKEN_SECRET_PREFIX = `${DEPLOYER.name}-token-`;

export type Command =
    | { stack: string; command: "rbac"; subject?: { kind: "User" | "Group"; name: string } }
    | { stack: string; command: "kubeconfig"; out: string; duration: string }
    | { command: "help" };

/** A Go duration as kubectl takes it ("720h", "1h30m", "45m"), in seconds; undefined when it is not one. */
export function durationSeconds(value: string): number | undefined {
    if (!/^(\d+h)?(\d+m)?(\d+s)?$/.test(value) || value === "") {
        return undefined;
    }
    const part = (unit: string) => Number(new RegExp(`(\\d+)${unit}`).exec(value)?.[1] ?? 0);
    return part("h") * 3600 + part("m") * 60 + part("s");
}

export function parseDeployerArgs(argv: readonly string[], projectDir: string): Command {
    if (argv.includes("--help") || argv.includes("-h")) {
        return { command: "help" };
    }
    const words = argv.flatMap((a) =>
        /^--[a-z]+=/.test(a) ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a],
    );
    const options = new Map<string, string>();
    const positional: string[] = [];
    for (let i = 0; i < words.length; i++) {
        const w = words[i];
        if (!w.startsWith("-")) {
            positional.push(w);
            continue;
        }
        if (!["--user", "--group", "--out", "--duration"].includes(w)) {
            throw new UsageError(`unknown option ${w}`);
        }
        const value = words[++i];
        if (value === undefined || value === "" || value.startsWith("-")) {
            throw new UsageError(`${w} needs a value; got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
        }
        options.set(w, value);
    }
    const [stack, command, ...extra] = positional;
    if (!stack) {
        throw new UsageError("which stack? give its name (the X of Pulumi.X.yaml)");
    }
    checkStack(stack, projectDir);
    if (command !== "rbac" && command !== "kubeconfig") {
        throw new UsageError(
            `which command? rbac or kubeconfig; got ${command === undefined ? "nothing" : JSON.stringify(command)}`,
        );
    }
    if (extra.length > 0) {
        throw new UsageError(`unexpected ${extra.map((e) => JSON.stringify(e)).join(" ")}`);
    }
    const allowed = command === "rbac" ? ["--user", "--group"] : ["--out", "--duration"];
    const misplaced = [...options.keys()].filter((o) => !allowed.includes(o));
    if (misplaced.length > 0) {
        throw new UsageError(`${misplaced[0]} is not an option of ${command} (its options: ${allowed.join(", ")})`);
    }
    if (command === "rbac") {
        if (options.has("--user") && options.has("--group")) {
            throw new UsageError("one subject: --user or --group, not both");
        }
        const user = options.get("--user");
        const group = options.get("--group");
        return {
            stack,
            command,
            subject: user ? { kind: "User", name: user } : group ? { kind: "Group", name: group } : undefined,
        };
    }
    const out = options.get("--out");
    if (!out) {
        throw new UsageError("kubeconfig needs --out FILE: the token is written to a file, never printed");
    }
    const duration = options.get("--duration") ?? DEFAULT_TOKEN_DURATION;
    const seconds = durationSeconds(duration);
    if (seconds === undefined || seconds < MIN_TOKEN_SECONDS) {
        throw new UsageError(
            `--duration ${JSON.stringify(duration)}: expected hours, minutes and seconds such as 720h or 1h30m, at least 10m (the API server's minimum)`,
        );
    }
    return { stack, command, out, duration };
}

interface ClusterEntry {
    name: string;
    cluster: Record<string, unknown>;
}

/** The token's own expiry (its `exp` claim), as an ISO date. */
export function tokenExpiry(token: string): string {
    const payload = token.split(".")[1];
    if (!payload) {
        throw new UsageError("the API server returned something that is not a token");
    }
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: number };
    if (typeof claims.exp !== "number") {
        throw new UsageError("the token has no expiry (exp); refusing to write a token that never expires");
    }
    return new Date(claims.exp * 1000).toISOString();
}

async function main(argv: string[]): Promise<number> {
    const projectDir = path.resolve(__dirname, "..", "..");
    const log = (s: string) => process.stderr.write(`[deployer] ${s}\n`);
    let args: Command;
    try {
        args = parseDeployerArgs(argv, projectDir);
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (args.command === "help") {
        console.log(
            `${USAGE}\n\nrbac: what a cluster administrator applies once so that the stack deploys as abevalflow-deployer (or the\n` +
                "--user or --group given), derived from the program's objects for the stack. kubeconfig: a token of that\n" +
                `ServiceAccount, bound to a new Secret ${TOKEN_SECRET_PREFIX}<time> (delete it to revoke), in a kubeconfig for CI.`,
        );
        return 0;
    }
    const run = await stackProgram(stackValues(args.stack, projectDir));
    const namespace = run.config.namespace;
    if (args.command === "rbac") {
        const subject: Subject = args.subject
            ? { ...args.subject, apiGroup: "rbac.authorization.k8s.io" }
            : defaultSubject(namespace);
        const rights = deployerRights(run);
        const header = [
            `# The deploy identity of stack ${args.stack} (namespace ${namespace}): apply once as a cluster administrator,`,
            `# kubectl apply --server-side -f <this file>. Derived from the program's objects; re-run after a change of the`,
            `# stack's keys or the program and apply again. Cluster-wide rights and why:`,
            ...rights.clusterReasons.map((r) => `#   - ${r}`),
        ];
        process.stdout.write(
            `${header.join("\n")}\n${deployerManifests(rights, subject)
                .map((m) => YAML.stringify(m))
                .join("---\n")}`,
        );
        return 0;
    }
    const kubectl = kubectlForStack(run.config, process.env.KUBECTL ?? "kubectl");
    const secretName = `${TOKEN_SECRET_PREFIX}${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").toLowerCase()}`;
    const secret = {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: {
            name: secretName,
            namespace,
            labels: { "app.kubernetes.io/part-of": "abevalflow", "app.kubernetes.io/component": "deployer-token" },
        },
    };
    kubectl.ok(["create", "-f", "-"], JSON.stringify(secret));
    const token = kubectl
        .ok([
            "create",
            "token",
            DEPLOYER.name,
            "-n",
            namespace,
            "--duration",
            args.duration,
            "--bound-object-kind",
            "Secret",
            "--bound-object-name",
            secretName,
        ])
        .trim();
    const expires = tokenExpiry(token);
    const view = JSON.parse(kubectl.ok(["config", "view", "--minify", "--raw", "-o", "json"])) as {
        clusters: ClusterEntry[];
    };
    const [cluster] = view.clusters;
    if (!cluster) {
        throw new UsageError(`the kubeconfig has no cluster for ${kubectl.target}`);
    }
    const user = `${DEPLOYER.name}@${namespace}`;
    const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [cluster],
        users: [{ name: user, user: { token } }],
        contexts: [
            { name: run.config.cluster.context ?? cluster.name, context: { cluster: cluster.name, user, namespace } },
        ],
        "current-context": run.config.cluster.context ?? cluster.name,
    };
    fs.writeFileSync(args.out, YAML.stringify(kubeconfig), { mode: 0o600 });
    log(`wrote ${args.out}: ServiceAccount ${namespace}/${DEPLOYER.name}, token expires ${expires}`);
    log(`revoke this token alone: kubectl delete secret ${secretName} -n ${namespace}`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            process.stderr.write(`[deployer] ${failureMessage(e)}\n`);
            process.exit(2);
        },
    );
}
