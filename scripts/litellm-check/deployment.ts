// What the real proxy is started with, read from the objects the program recorded (the
// Deployment, its ConfigMap and Service), not from the constants that produced them, so a
// port or path that drifted between them shows up here.
import * as YAML from "yaml";
import { ProgramRun, RecordedResource } from "../engine/program-run";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SERVICE = "kubernetes:core/v1:Service";

interface HttpGetProbe {
    httpGet?: { path?: string; port?: number | string };
}
interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
}
interface Container {
    name: string;
    image: string;
    args?: string[];
    ports?: { name?: string; containerPort: number; protocol?: string }[];
    env?: EnvVar[];
    volumeMounts?: { name: string; mountPath: string }[];
    startupProbe?: HttpGetProbe;
    livenessProbe?: HttpGetProbe;
    readinessProbe?: HttpGetProbe;
}
interface Volume {
    name: string;
    configMap?: { name?: string };
    secret?: { secretName?: string };
    emptyDir?: unknown;
}
interface PodSpec {
    containers: Container[];
    volumes?: Volume[];
}

export interface ProbeFacts {
    kind: "startup" | "liveness" | "readiness";
    path: string;
    port: number;
}

export interface ProxyFacts {
    deploymentName: string;
    namespace: string;
    image: string;
    /** x.y.z from the image tag vX.Y.Z. */
    version: string;
    /** The container's args, as the Deployment gives them. */
    args: string[];
    /** The config file path in the container (the --config argument). */
    configPath: string;
    /** The config text the container reads at configPath. */
    configText: string;
    /** The other files of the config's ConfigMap, by name: they sit beside config.yaml (the proxy's hooks). */
    configSiblings: Record<string, string>;
    /** The port the proxy is told to listen on (--port). */
    port: number;
    probes: ProbeFacts[];
    /** Ports the Service sends traffic to, resolved against the container's ports. */
    serviceTargetPorts: number[];
    /** Plain env values, and the names of env vars filled from Secrets. */
    env: { plain: Record<string, string>; fromSecrets: string[] };
    /** Container paths that are volumes; local runs put a scratch directory there. */
    mountPaths: { path: string; volume: Volume }[];
    /** model_name of every model_list entry in the generated config. */
    configuredModels: string[];
    /** Where each inconsistency between these objects was found; empty when none. */
    problems: string[];
}

/** "ghcr.io/berriai/litellm:v1.84.10@sha256:..." -> "1.84.10". */
export function litellmVersionOf(image: string): string {
    const tag = /:v(\d+\.\d+\.\d+)(?:@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!tag) {
        throw new Error(
            `cannot tell the LiteLLM version of image "${image}": expected a release tag vX.Y.Z (the PyPI package is installed at that version)`,
        );
    }
    return tag[1];
}

function metadataName(r: RecordedResource): string | undefined {
    return (r.inputs.metadata as { name?: string } | undefined)?.name;
}

function argValue(args: string[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
}

/** The LiteLLM Deployment of a run (the one whose container runs `--config`), or undefined. */
export function findProxyDeployment(run: ProgramRun): RecordedResource | undefined {
    return run.resources
        .filter((r) => r.type === DEPLOYMENT)
        .find((r) => {
            const spec = (r.inputs.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
            return spec?.containers.some((c) => (c.args ?? []).includes("--config")) ?? false;
        });
}

export function proxyFacts(run: ProgramRun): ProxyFacts {
    const deployment = findProxyDeployment(run);
    if (!deployment) {
        throw new Error(`the program deploys no LiteLLM proxy in llmMode ${run.config.llmMode}`);
    }
    const problems: string[] = [];
    const depName = metadataName(deployment) as string;
    const namespace = (deployment.inputs.metadata as { namespace?: string }).namespace ?? "";
    const spec = deployment.inputs.spec as {
        selector?: { matchLabels?: Record<string, string> };
        template: { spec: PodSpec };
    };
    const pod = spec.template.spec;
    const container = pod.containers.find((c) => (c.args ?? []).includes("--config")) as Container;
    const args = container.args ?? [];

    const containerPort = (ref: number | string | undefined, where: string): number => {
        if (typeof ref === "number") {
            return ref;
        }
        const named = (container.ports ?? []).find((p) => p.name === ref);
        if (!named) {
            problems.push(`${where}: port "${ref}" is not a named port of container ${container.name}`);
            return NaN;
        }
        return named.containerPort;
    };

    const portArg = Number(argValue(args, "--port"));
    if (!Number.isInteger(portArg)) {
        problems.push(`Deployment ${depName}: container args have no numeric --port (${JSON.stringify(args)})`);
    }
    const declaredPorts = (container.ports ?? []).map((p) => p.containerPort);
    if (!declaredPorts.includes(portArg)) {
        problems.push(`Deployment ${depName}: --port ${portArg} is not a containerPort (${declaredPorts.join(", ")})`);
    }

    const probes: ProbeFacts[] = [];
    for (const [kind, probe] of [
        ["startup", container.startupProbe],
        ["liveness", container.livenessProbe],
        ["readiness", container.readinessProbe],
    ] as const) {
        if (!probe?.httpGet?.path) {
            problems.push(`Deployment ${depName}: no httpGet ${kind} probe`);
            continue;
        }
        const port = containerPort(probe.httpGet.port, `${kind} probe`);
        if (!Number.isNaN(port) && port !== portArg) {
            problems.push(`Deployment ${depName}: ${kind} probe targets port ${port}, the proxy listens on ${portArg}`);
        }
        probes.push({ kind, path: probe.httpGet.path, port });
    }

    // The Service that selects these pods must send traffic to the port the proxy listens on.
    const selector = spec.selector?.matchLabels ?? {};
    const services = run.resources
        .filter((r) => r.type === SERVICE && (r.inputs.metadata as { namespace?: string }).namespace === namespace)
        .filter((r) => {
            const sel = (r.inputs.spec as { selector?: Record<string, string> }).selector ?? {};
            return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => selector[k] === v);
        });
    if (services.length === 0) {
        problems.push(`no Service selects the pods of Deployment ${depName}`);
    }
    const serviceTargetPorts = services.flatMap((s) =>
        ((s.inputs.spec as { ports?: { port: number; targetPort?: number | string }[] }).ports ?? []).map((p) =>
            containerPort(p.targetPort ?? p.port, `Service ${metadataName(s)} targetPort`),
        ),
    );
    for (const port of serviceTargetPorts) {
        if (!Number.isNaN(port) && port !== portArg) {
            problems.push(`a Service sends traffic to port ${port}, the proxy listens on ${portArg}`);
        }
    }

    // --config must name a file that a mounted ConfigMap provides.
    const configPath = argValue(args, "--config") ?? "";
    const mounts = (container.volumeMounts ?? []).map((m) => ({
        path: m.mountPath,
        volume: (pod.volumes ?? []).find((v) => v.name === m.name),
    }));
    const mountPaths = mounts.filter((m): m is { path: string; volume: Volume } => m.volume !== undefined);
    const configMount = mountPaths.find((m) => configPath.startsWith(`${m.path}/`) && m.volume.configMap);
    let configText = "";
    let configSiblings: Record<string, string> = {};
    if (!configMount) {
        problems.push(`Deployment ${depName}: --config ${configPath} is not inside a mounted ConfigMap`);
    } else {
        const key = configPath.slice(configMount.path.length + 1);
        const cm = run.resources.find(
            (r) => r.type === CONFIG_MAP && metadataName(r) === configMount.volume.configMap?.name,
        );
        const data = (cm?.inputs.data as Record<string, string> | undefined) ?? {};
        if (typeof data[key] !== "string") {
            problems.push(
                `ConfigMap ${configMount.volume.configMap?.name} has no key ${key} (the file --config names)`,
            );
        } else {
            configText = data[key];
            configSiblings = Object.fromEntries(Object.entries(data).filter(([k]) => k !== key));
        }
    }

    const env = { plain: {} as Record<string, string>, fromSecrets: [] as string[] };
    for (const e of container.env ?? []) {
        if (e.valueFrom?.secretKeyRef) {
            env.fromSecrets.push(e.name);
        } else if (typeof e.value === "string") {
            env.plain[e.name] = e.value;
        }
    }

    const parsedConfig = (configText ? YAML.parse(configText) : {}) as {
        model_list?: { model_name?: string }[];
    } | null;
    const configuredModels = (parsedConfig?.model_list ?? []).map((m) => String(m.model_name));

    let version = "";
    try {
        version = litellmVersionOf(container.image);
    } catch (err) {
        problems.push((err as Error).message);
    }
    return {
        deploymentName: depName,
        namespace,
        image: container.image,
        version,
        args,
        configPath,
        configText,
        configSiblings,
        port: portArg,
        probes,
        serviceTargetPorts,
        env,
        mountPaths,
        configuredModels,
        problems,
    };
}
