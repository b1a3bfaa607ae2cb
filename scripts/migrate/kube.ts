// kubectl as the migration's client: it already speaks every way a platform engineer logs in
// (OpenShift OAuth tokens, exec plugins, client certificates) through their own kubeconfig,
// which a client library would have to reimplement. KUBECTL=oc works as well.
import { spawnSync } from "child_process";
import { clusterTarget } from "../../components/cluster";
import { KIND_RESOURCES } from "../../components/names";
import { KubeObject } from "./plan";

/** kubectl's name of each kind the migration reads, hands over or deletes ("deployments.apps"). */
export const RESOURCES: Readonly<Record<string, string>> = Object.fromEntries(
    Object.entries(KIND_RESOURCES).map(([kind, k]) => [kind, k.group ? `${k.resource}.${k.group}` : k.resource]),
);

export class KubectlError extends Error {}

export class Kubectl {
    /** Uses KUBECONFIG; context: the stack's kubeContext, undefined for the current one. */
    constructor(
        readonly bin: string,
        readonly context: string | undefined,
    ) {}

    /** Where the commands go, for messages (the same words as the program's cluster check). */
    get target(): string {
        return clusterTarget(this.context);
    }

    run(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
        const full = [...(this.context ? ["--context", this.context] : []), ...args];
        const r = spawnSync(this.bin, full, {
            encoding: "utf8",
            input,
            maxBuffer: 256 * 1024 * 1024,
            timeout: 5 * 60_000,
        });
        if (r.error) {
            const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
            throw new KubectlError(
                missing
                    ? `${this.bin} is not on PATH (set KUBECTL to the client to use, e.g. KUBECTL=oc)`
                    : `${this.bin}: ${r.error.message}`,
            );
        }
        return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "").trim() };
    }

    ok(args: string[], input?: string): string {
        const r = this.run(args, input);
        if (r.status !== 0) {
            // The command's first words name it; the rest (a patch, a manifest) would bury the error.
            const command = args.join(" ");
            throw new KubectlError(
                `${this.bin} ${command.length > 120 ? `${command.slice(0, 120)}…` : command} (${this.target}) failed: ${r.stderr || `exit ${r.status}`}`,
            );
        }
        return r.stdout;
    }

    /** kubectl hides managedFields unless asked, and the plan reads them. */
    json<T>(args: string[]): T {
        return JSON.parse(this.ok([...args, "-o", "json", "--show-managed-fields"])) as T;
    }

    /** The object, or undefined when it does not exist. */
    find(kind: string, name: string, namespace?: string): KubeObject | undefined {
        const r = this.run([
            "get",
            resourceOf(kind),
            name,
            ...(namespace ? ["-n", namespace] : []),
            "-o",
            "json",
            "--show-managed-fields",
        ]);
        if (r.status !== 0) {
            if (/NotFound|not found/.test(r.stderr)) {
                return undefined;
            }
            throw new KubectlError(`${this.bin} get ${kind}/${name} (${this.target}) failed: ${r.stderr}`);
        }
        return withoutData(JSON.parse(r.stdout) as KubeObject);
    }

    /** Every object of these kinds in the namespace, Secret and ConfigMap contents dropped. */
    list(kinds: readonly string[], namespace: string): KubeObject[] {
        if (kinds.length === 0) {
            return [];
        }
        const list = this.json<{ items: KubeObject[] }>(["get", kinds.map(resourceOf).join(","), "-n", namespace]);
        return list.items.map(withoutData);
    }
}

export function resourceOf(kind: string): string {
    const resource = RESOURCES[kind];
    if (!resource) {
        throw new KubectlError(
            `the migration has no resource for kind ${kind}: add it to KIND_RESOURCES in components/names.ts`,
        );
    }
    return resource;
}

// The plan needs names, types and fields, never the values a Secret or ConfigMap holds.
function withoutData(o: KubeObject): KubeObject {
    const { data: _data, stringData: _stringData, binaryData: _binaryData, ...rest } = o;
    return rest;
}
