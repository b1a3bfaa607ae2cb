// Passes the program's objects through a real API server (server-side dry run), so the
// analyzer reads them as the cluster would store them: defaults filled in (a port's
// protocol, policyTypes), the Namespace name label added by the server, and anything the
// server would reject rejected here. Representative pods stay as written: they stand for
// pods this program does not create, and a bare control plane could not admit them anyway
// (no default ServiceAccount without a controller manager).
import { spawnSync } from "child_process";
import { Manifest, ManifestSet, NAMESPACE_NAME_LABEL } from "./manifests";

/** A namespace every API server has, where namespaced objects are dry-run created. */
const DRY_RUN_NAMESPACE = "default";

function kubectl(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("kubectl", args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    if (r.error) {
        throw new Error(`kubectl ${args.join(" ")}: ${r.error.message}`);
    }
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Drops what the server adds for its own bookkeeping; keeps what shapes connectivity. */
function clean(stored: Manifest): Manifest {
    const {
        uid: _uid,
        resourceVersion: _rv,
        creationTimestamp: _ct,
        managedFields: _mf,
        generation: _g,
        ...metadata
    } = stored.metadata as Manifest["metadata"] & Record<string, unknown>;
    const { status: _status, ...rest } = stored;
    return { ...rest, metadata };
}

function dryRunCreate(m: Manifest): Manifest {
    const namespaced = m.metadata.namespace !== undefined;
    const sent = namespaced ? { ...m, metadata: { ...m.metadata, namespace: DRY_RUN_NAMESPACE } } : m;
    const r = kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], JSON.stringify(sent));
    if (r.status !== 0) {
        if (m.kind === "Namespace" && /AlreadyExists/.test(r.stderr)) {
            // Another suite deployed it already: what the server stored is the answer.
            const got = kubectl(["get", "namespace", m.metadata.name, "-o", "json"]);
            if (got.status === 0) {
                return clean(JSON.parse(got.stdout) as Manifest);
            }
        }
        throw new Error(
            `the API server refused ${m.kind} ${m.metadata.namespace ?? ""}/${m.metadata.name}: ${r.stderr.trim()}`,
        );
    }
    const stored = clean(JSON.parse(r.stdout) as Manifest);
    return namespaced ? { ...stored, metadata: { ...stored.metadata, namespace: m.metadata.namespace } } : stored;
}

/** Whether kubectl reaches an API server with the ambient KUBECONFIG. */
export function apiServerAvailable(): boolean {
    if (!process.env.KUBECONFIG) {
        return false;
    }
    try {
        return kubectl(["get", "--raw", "/readyz"]).status === 0;
    } catch {
        return false;
    }
}

/**
 * The set with every object the program produced replaced by the API server's version of
 * it. Namespaces the program does not create keep the name label the server would add.
 */
export function storedByApiServer(set: ManifestSet): ManifestSet {
    const recorded = new Map<Manifest, Manifest>();
    const manifests = set.manifests.map((m) => {
        const original = set.recorded.get(m);
        if (!original) {
            return m;
        }
        const stored = dryRunCreate(original);
        recorded.set(stored, original);
        if (m.kind === "Namespace" && stored.metadata.labels?.[NAMESPACE_NAME_LABEL] !== m.metadata.name) {
            throw new Error(`the API server did not label Namespace ${m.metadata.name} with ${NAMESPACE_NAME_LABEL}`);
        }
        return stored;
    });
    return { ...set, manifests, recorded };
}
