// The prerequisite an operator creates before the first `pulumi up` of a litellm-mode stack that
// names its Vertex key Secret (docs/operations.md): the Namespace, and in it the Secret with a
// service-account JSON under the key the proxy reads. For the local cluster only: the key is a
// throwaway generated here (an RSA key of no account), since the sealed network reaches no
// Google endpoint anyway. Objects that exist already are left as they are.
// Usage: ts-node vertex-secret.ts [--when-namespace-appears] NAMESPACE SECRET_NAME [KUBECTL_ARGS...]
//   --when-namespace-appears  create nothing until the Namespace exists (the program makes it),
//                             then the Secret; gives up after 15 minutes
//   KUBECTL_ARGS              e.g. --context local
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import { LITELLM } from "../../components/names";

export interface Kubectl {
    command: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
}

function kubectl(k: Kubectl, args: string[], input?: string): { status: number; output: string } {
    const r = spawnSync(k.command, [...k.args, ...args], {
        input,
        encoding: "utf8",
        env: { ...process.env, ...k.env },
    });
    return { status: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function must(k: Kubectl, args: string[], input?: string): void {
    const r = kubectl(k, args, input);
    if (r.status !== 0) {
        throw new Error(`${k.command} ${args.join(" ")} failed: ${r.output}`);
    }
}

/**
 * A service-account JSON of no account, in the form the proxy (and npm run migrate) accept.
 * tokenUri: where google-auth asks for tokens; a test points it at a test host of the sealed network.
 */
export function throwawayServiceAccount(tokenUri = "https://oauth2.googleapis.com/token"): string {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    return JSON.stringify({
        type: "service_account",
        project_id: "abevalflow-local",
        private_key_id: crypto.randomBytes(20).toString("hex"),
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: "local-throwaway@abevalflow-local.iam.gserviceaccount.com",
        client_id: "0",
        token_uri: tokenUri,
    });
}

/**
 * Creates the Namespace and the Secret when missing; returns whether it created the Secret.
 * Nothing is sent to a cluster that does not answer or, with `clusterId`, is not the stack's
 * own (kube-system's uid): the stack's own guard then says so, as on any cluster. tokenUri:
 * the key's token endpoint (throwawayServiceAccount).
 */
export function ensureVertexSecret(
    namespace: string,
    secretName: string,
    k: Kubectl = { command: process.env.KUBECTL || "kubectl", args: [] },
    clusterId = "",
    tokenUri?: string,
): boolean {
    const uid = kubectl(k, ["get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}"]);
    if (uid.status !== 0 || (clusterId !== "" && uid.output !== clusterId)) {
        return false;
    }
    if (kubectl(k, ["get", "namespace", namespace]).status !== 0) {
        must(k, ["create", "namespace", namespace]);
    }
    if (kubectl(k, ["get", "secret", secretName, "-n", namespace]).status === 0) {
        return false;
    }
    const secret = {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: { name: secretName, namespace, labels: { "abevalflow.local/throwaway": "true" } },
        data: { [LITELLM.credentialsKey]: Buffer.from(throwawayServiceAccount(tokenUri)).toString("base64") },
    };
    must(k, ["create", "-f", "-"], JSON.stringify(secret));
    return true;
}

/** Waits for the Namespace (never creating it), then creates the Secret when missing. */
export async function vertexSecretWhenNamespaceAppears(
    namespace: string,
    secretName: string,
    k: Kubectl,
    clusterId = "",
    timeoutMs = 15 * 60_000,
): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (kubectl(k, ["get", "namespace", namespace]).status !== 0) {
        if (Date.now() > deadline) {
            return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return ensureVertexSecret(namespace, secretName, k, clusterId);
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const waiting = argv[0] === "--when-namespace-appears";
    const [namespace, secretName, ...args] = waiting ? argv.slice(1) : argv;
    if (!namespace || !secretName) {
        console.error(
            "usage: ts-node vertex-secret.ts [--when-namespace-appears] NAMESPACE SECRET_NAME [KUBECTL_ARGS...]",
        );
        process.exit(2);
    }
    const k = { command: process.env.KUBECTL || "kubectl", args };
    const clusterId = process.env.ABEVALFLOW_CLUSTER_ID ?? "";
    (waiting
        ? vertexSecretWhenNamespaceAppears(namespace, secretName, k, clusterId)
        : Promise.resolve(ensureVertexSecret(namespace, secretName, k, clusterId))
    )
        .then((created) => {
            if (created) {
                console.error(`created Secret ${namespace}/${secretName} with a throwaway service-account key`);
            }
        })
        .catch((e: unknown) => {
            console.error(`vertex-secret: ${e instanceof Error ? e.message : String(e)}`);
            process.exitCode = 1;
        });
}
