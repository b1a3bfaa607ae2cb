// The Pod Security Standards, baseline and restricted, as Kubernetes' Pod Security admission
// enforces them in a namespace labelled `pod-security.kubernetes.io/enforce: <level>` without an
// `enforce-version` label ("latest"). Mirrored control by control from the admission's own
// definition, k8s.io/pod-security-admission policy/check_*.go, at the module version matching the
// project's kube-apiserver; each control carries the upstream check id and produces the upstream
// forbidden reason and detail, word for word, so a message here reads as the API server's refusal
// would and the e2e suite can compare the two. Held to the upstream fixtures by
// tests/policy/pod-security-fixtures.spec.ts (third_party/pod-security-admission/).
//
// Only the latest version is implemented: older versions differ (seccomp annotations before
// v1.19, fewer safe sysctls, no Windows exemptions before v1.25, ...) and nothing here pins one.
import { ContainerField, isRecord, list } from "./k8s";

/**
 * The Kubernetes minor whose rules these are: what "latest" means on the project's
 * kube-apiserver (KUBERNETES_VERSION in scripts/toolchain/versions.env, which the fixture test
 * holds this to, as it holds the vendored fixtures' module version).
 */
export const POD_SECURITY_VERSION = "v1.34";

export type PodSecurityLevel = "baseline" | "restricted";
export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ["baseline", "restricted"];

export type ControlId =
    | "appArmorProfile"
    | "capabilities_baseline"
    | "hostNamespaces"
    | "hostPathVolumes"
    | "hostPorts"
    | "hostProbesAndHostLifecycle"
    | "privileged"
    | "procMount"
    | "seLinuxOptions"
    | "seccompProfile_baseline"
    | "sysctls"
    | "windowsHostProcess"
    | "allowPrivilegeEscalation"
    | "capabilities_restricted"
    | "restrictedVolumes"
    | "runAsNonRoot"
    | "runAsUser"
    | "seccompProfile_restricted";

/** One violated control: the upstream check id, its forbidden reason and its forbidden detail. */
export interface PodSecurityViolation {
    control: ControlId;
    reason: string;
    detail: string;
}

/** What a control reads: the pod's annotations and spec, as written (every field may be junk). */
export interface PodSecurityInput {
    annotations?: unknown;
    spec?: unknown;
}

// ---------------------------------------------------------------------------------------------
// The lists of the standard, each written once.

/** capabilities_baseline: what a container may add at baseline (the container runtimes' default set). */
export const BASELINE_ADDABLE_CAPABILITIES: readonly string[] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/** capabilities_restricted: what a container may add at restricted, having dropped ALL. */
export const RESTRICTED_ADDABLE_CAPABILITIES: readonly string[] = ["NET_BIND_SERVICE"];

/** capabilities_restricted: the entry `capabilities.drop` must hold. */
const DROP_ALL = "ALL";

/**
 * Every inline volume source of core/v1 VolumeSource, and whether restricted allows it. Order
 * matters: a refused volume is named by its first refused source in this order, as upstream's
 * switch does. hostPath is the one source baseline refuses (hostPathVolumes).
 */
export const VOLUME_SOURCES: readonly { source: string; restricted: "allowed" | "refused" }[] = [
    ...[
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ].map((source) => ({ source, restricted: "allowed" as const })),
    ...[
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "fc",
        "azureFile",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "storageos",
    ].map((source) => ({ source, restricted: "refused" as const })),
];

/** sysctls: the "safe" sysctls, namespaced per pod and isolated from other pods (v1.32's list). */
export const SAFE_SYSCTLS: readonly string[] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/** seLinuxOptions: the SELinux types a pod or container may ask for ("" is unset); user and role may not be set. */
export const ALLOWED_SELINUX_TYPES: readonly string[] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/** appArmorProfile and the seccomp controls: the profile types that keep the runtime's confinement. */
export const ALLOWED_PROFILE_TYPES: readonly string[] = ["RuntimeDefault", "Localhost"];

/** appArmorProfile: the deprecated per-container annotation, still read, and the values it may hold. */
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const APPARMOR_ANNOTATION_RUNTIME_DEFAULT = "runtime/default";
const APPARMOR_ANNOTATION_LOCALHOST_PREFIX = "localhost/";
const APPARMOR_ANNOTATION_UNCONFINED = "unconfined";

/** procMount: the one value allowed besides unset. */
const DEFAULT_PROC_MOUNT = "Default";

// ---------------------------------------------------------------------------------------------
// The pod as the controls see it.

type Rec = Record<string, unknown>;

export interface VisitedContainer {
    /** The container's name, or `containers[0]` for one without a usable name (never valid, still reported). */
    name: string;
    field: ContainerField;
    raw: Rec;
    /** As the API server stores it on create (withAnnotatedAppArmor); undefined where Go would see nil. */
    sc: Rec | undefined;
}

export interface PodView {
    annotations: Record<string, string>;
    spec: Rec;
    /** The pod-level securityContext; undefined where Go would see nil. */
    sc: Rec | undefined;
    /** Init, regular, then ephemeral containers: upstream's visitContainers order, which its messages list names in. */
    containers: VisitedContainer[];
    /** spec.os.name is windows: restricted exempts such pods from the Linux-only controls (since v1.25). */
    windows: boolean;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;
const recordOf = (value: unknown): Rec | undefined => (isRecord(value) ? value : undefined);
/** A Go string field: unset is "". Anything else is shown as written. */
const text = (value: unknown): string =>
    typeof value === "string" ? value : present(value) ? JSON.stringify(value) : "";

function podView(input: PodSecurityInput): PodView {
    const spec = recordOf(input.spec) ?? {};
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(recordOf(input.annotations) ?? {})) {
        if (typeof value === "string") {
            annotations[key] = value;
        }
    }
    const windows = recordOf(spec.os)?.name === "windows";
    const podSc = recordOf(spec.securityContext);
    const containers: VisitedContainer[] = [];
    for (const field of ["initContainers", "containers", "ephemeralContainers"] as const) {
        list(spec[field] as unknown[] | undefined).forEach((entry, index) => {
            const raw = recordOf(entry) ?? {};
            const name = typeof raw.name === "string" && raw.name !== "" ? raw.name : `${field}[${index}]`;
            const own = recordOf(raw.securityContext);
            const sc = windows
                ? own
                : withAnnotatedAppArmor(own, annotations[APPARMOR_ANNOTATION_PREFIX + name], podSc);
            containers.push({ name, field, raw, sc });
        });
    }
    return { annotations, spec, sc: podSc, containers, windows };
}

/**
 * A container's securityContext as the API server stores it on create: a deprecated AppArmor
 * annotation `unconfined` is copied into the container's appArmorProfile when the container sets
 * none and the pod's is not already Unconfined (the pod strategy's applyAppArmorVersionSkew, skipped
 * for Windows pods), so admission then names the container too. The annotation's other values
 * become allowed types, which change nothing here. Applied to templates as well: the pods made
 * from them are created so.
 */
function withAnnotatedAppArmor(
    sc: Rec | undefined,
    annotation: string | undefined,
    podSc: Rec | undefined,
): Rec | undefined {
    const podProfile = recordOf(podSc?.appArmorProfile);
    const podUnconfined =
        podProfile !== undefined &&
        podProfile.type === "Unconfined" &&
        !present(podProfile.localhostProfile) &&
        Object.keys(podProfile).every((key) => key === "type" || key === "localhostProfile");
    if (annotation !== APPARMOR_ANNOTATION_UNCONFINED || present(sc?.appArmorProfile) || podUnconfined) {
        return sc;
    }
    return { ...sc, appArmorProfile: { type: "Unconfined" } };
}

// Upstream's message helpers (policy/helpers.go), so the details read exactly as the API server's.
const joinQuote = (items: readonly string[]): string => (items.length === 0 ? "" : `"${items.join('", "')}"`);
const pluralize = (singular: string, plural: string, count: number): string => (count === 1 ? singular : plural);
/** A Go sets.String's List(): unique and sorted bytewise. */
const sortedSet = (items: Iterable<string>): string[] => [...new Set(items)].sort(byteOrder);
function byteOrder(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
const containersPhrase = (names: readonly string[]): string =>
    `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;

export interface Finding {
    reason: string;
    detail: string;
}

export interface Control {
    id: ControlId;
    level: PodSecurityLevel;
    /** The baseline control this restricted one replaces at restricted (upstream's OverrideCheckIDs). */
    overrides?: ControlId;
    /** What it requires, for the docs. */
    summary: string;
    check(pod: PodView): Finding | undefined;
}

// ---------------------------------------------------------------------------------------------
// Baseline.

const appArmorProfile: Control = {
    id: "appArmorProfile",
    level: "baseline",
    summary:
        "AppArmor profile type, pod or container, is `RuntimeDefault` or `Localhost`; the deprecated " +
        "`container.apparmor.security.beta.kubernetes.io/*` annotations are empty, `runtime/default` or `localhost/*`",
    check(pod) {
        const badSetters: string[] = [];
        const badValues = new Set<string>();
        const badType = (sc: Rec | undefined): string | undefined => {
            if (!present(sc?.appArmorProfile)) {
                return undefined;
            }
            const type = text(recordOf(sc?.appArmorProfile)?.type);
            return ALLOWED_PROFILE_TYPES.includes(type) ? undefined : type;
        };
        const podType = badType(pod.sc);
        if (podType !== undefined) {
            badSetters.push("pod");
            badValues.add(podType);
        }
        const badContainers: string[] = [];
        for (const c of pod.containers) {
            const type = badType(c.sc);
            if (type !== undefined) {
                badContainers.push(c.name);
                badValues.add(type);
            }
        }
        if (badContainers.length > 0) {
            badSetters.push(containersPhrase(badContainers));
        }
        const forbiddenAnnotations = Object.entries(pod.annotations)
            .filter(
                ([key, value]) =>
                    key.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
                    !(
                        value === "" ||
                        value === APPARMOR_ANNOTATION_RUNTIME_DEFAULT ||
                        value.startsWith(APPARMOR_ANNOTATION_LOCALHOST_PREFIX)
                    ),
            )
            .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
            .sort(byteOrder);
        const badValueList = [...sortedSet(badValues), ...forbiddenAnnotations];
        if (forbiddenAnnotations.length > 0) {
            badSetters.push(pluralize("annotation", "annotations", forbiddenAnnotations.length));
        }
        if (badSetters.length === 0) {
            return undefined;
        }
        return {
            reason: pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValueList.length),
            detail: `${badSetters.join(" and ")} must not set AppArmor profile type to ${joinQuote(badValueList)}`,
        };
    },
};

const capabilitiesBaseline: Control = {
    id: "capabilities_baseline",
    level: "baseline",
    summary: `\`capabilities.add\` holds only the runtime's default set: ${BASELINE_ADDABLE_CAPABILITIES.join(", ")}`,
    check(pod) {
        const badContainers: string[] = [];
        const nonDefault = new Set<string>();
        for (const c of pod.containers) {
            if (c.sc === undefined || !present(c.sc.capabilities)) {
                continue;
            }
            const added = list(recordOf(c.sc.capabilities)?.add as unknown[] | undefined).map(text);
            const bad = added.filter((cap) => !BASELINE_ADDABLE_CAPABILITIES.includes(cap));
            bad.forEach((cap) => nonDefault.add(cap));
            if (bad.length > 0) {
                badContainers.push(c.name);
            }
        }
        if (badContainers.length === 0) {
            return undefined;
        }
        return {
            reason: "non-default capabilities",
            detail:
                `${containersPhrase(badContainers)} must not include ${joinQuote(sortedSet(nonDefault))} ` +
                "in securityContext.capabilities.add",
        };
    },
};

const hostNamespaces: Control = {
    id: "hostNamespaces",
    level: "baseline",
    summary: "`hostNetwork`, `hostPID` and `hostIPC` unset or false",
    check(pod) {
        const shared = (["hostNetwork", "hostPID", "hostIPC"] as const)
            .filter((field) => pod.spec[field] === true)
            .map((field) => `${field}=true`);
        return shared.length === 0 ? undefined : { reason: "host namespaces", detail: shared.join(", ") };
    },
};

const hostPathVolumes: Control = {
    id: "hostPathVolumes",
    level: "baseline",
    summary: "no `hostPath` volume",
    check(pod) {
        const names = volumesOf(pod)
            .filter((v) => present(v.hostPath))
            .map((v) => text(v.name));
        return names.length === 0
            ? undefined
            : {
                  reason: "hostPath volumes",
                  detail: `${pluralize("volume", "volumes", names.length)} ${joinQuote(names)}`,
              };
    },
};

const hostPorts: Control = {
    id: "hostPorts",
    level: "baseline",
    summary: "no container port sets `hostPort` (0 is unset)",
    check(pod) {
        // The API server defaults a hostNetwork pod's hostPort to its containerPort before admission
        // (SetDefaults_Pod, regular and init containers only); the ports it then refuses are those.
        // A workload's template is not defaulted so, but the pods made from it are, and those are
        // what enforcement refuses.
        const defaulted = pod.spec.hostNetwork === true;
        const badContainers: string[] = [];
        const ports = new Set<string>();
        for (const c of pod.containers) {
            let valid = true;
            for (const port of list(c.raw.ports as unknown[] | undefined).map((p) => recordOf(p) ?? {})) {
                const unset = !present(port.hostPort) || port.hostPort === 0;
                const hostPort =
                    unset && defaulted && c.field !== "ephemeralContainers" ? port.containerPort : port.hostPort;
                if (present(hostPort) && hostPort !== 0) {
                    valid = false;
                    ports.add(text(hostPort));
                }
            }
            if (!valid) {
                badContainers.push(c.name);
            }
        }
        if (badContainers.length === 0) {
            return undefined;
        }
        const portList = sortedSet(ports);
        return {
            reason: "hostPort",
            detail:
                `${containersPhrase(badContainers)} ${pluralize("uses", "use", badContainers.length)} ` +
                `${pluralize("hostPort", "hostPorts", portList.length)} ${portList.join(", ")}`,
        };
    },
};

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const LIFECYCLE_HANDLERS = ["postStart", "preStop"] as const;

/** The non-empty `host` of a probe's or lifecycle handler's httpGet and tcpSocket actions. */
function handlerHosts(handler: unknown): string[] {
    const h = recordOf(handler);
    return [recordOf(h?.httpGet)?.host, recordOf(h?.tcpSocket)?.host].map(text).filter((host) => host !== "");
}

const hostProbesAndHostLifecycle: Control = {
    id: "hostProbesAndHostLifecycle",
    level: "baseline",
    summary: "probes' and lifecycle hooks' `httpGet.host` and `tcpSocket.host` unset or empty",
    check(pod) {
        const badContainers = new Set<string>();
        const hosts = new Set<string>();
        for (const c of pod.containers) {
            const lifecycle = recordOf(c.raw.lifecycle);
            const found = [
                ...PROBES.flatMap((probe) => handlerHosts(c.raw[probe])),
                ...LIFECYCLE_HANDLERS.flatMap((hook) => handlerHosts(lifecycle?.[hook])),
            ];
            if (found.length > 0) {
                badContainers.add(c.name);
                found.forEach((host) => hosts.add(host));
            }
        }
        if (badContainers.size === 0) {
            return undefined;
        }
        const names = sortedSet(badContainers);
        const hostList = sortedSet(hosts);
        return {
            reason: "probe or lifecycle host",
            detail:
                `${containersPhrase(names)} ${pluralize("uses", "use", names.length)} ` +
                `${pluralize("probe or lifecycle host", "probe or lifecycle hosts", hostList.length)} ${joinQuote(hostList)}`,
        };
    },
};

const privileged: Control = {
    id: "privileged",
    level: "baseline",
    summary: "`securityContext.privileged` unset or false",
    check(pod) {
        const bad = pod.containers.filter((c) => c.sc?.privileged === true).map((c) => c.name);
        return bad.length === 0
            ? undefined
            : { reason: "privileged", detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` };
    },
};

const procMount: Control = {
    id: "procMount",
    level: "baseline",
    // Upstream waives this for a pod with hostUsers: false only behind the alpha feature gate
    // UserNamespacesPodSecurityStandards, off by default in v1.34; so not waived here either.
    summary: "`securityContext.procMount` unset or `Default`",
    check(pod) {
        const badContainers: string[] = [];
        const types = new Set<string>();
        for (const c of pod.containers) {
            if (c.sc === undefined || !present(c.sc.procMount)) {
                continue;
            }
            const value = text(c.sc.procMount);
            if (value !== DEFAULT_PROC_MOUNT) {
                badContainers.push(c.name);
                types.add(value);
            }
        }
        if (badContainers.length === 0) {
            return undefined;
        }
        return {
            reason: "procMount",
            detail: `${containersPhrase(badContainers)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`,
        };
    },
};

const seLinuxOptions: Control = {
    id: "seLinuxOptions",
    level: "baseline",
    summary:
        "`seLinuxOptions.type`, pod or container, is one of " +
        `${ALLOWED_SELINUX_TYPES.map((t) => (t === "" ? "unset" : `\`${t}\``)).join(", ")}; ` +
        "`seLinuxOptions.user` and `.role` unset",
    check(pod) {
        const badTypes = new Set<string>();
        let setUser = false;
        let setRole = false;
        const valid = (sc: Rec | undefined): boolean => {
            if (!present(sc?.seLinuxOptions)) {
                return true;
            }
            const opts = recordOf(sc?.seLinuxOptions) ?? {};
            let ok = true;
            const type = text(opts.type);
            if (!ALLOWED_SELINUX_TYPES.includes(type)) {
                ok = false;
                badTypes.add(type);
            }
            if (text(opts.user) !== "") {
                ok = false;
                setUser = true;
            }
            if (text(opts.role) !== "") {
                ok = false;
                setRole = true;
            }
            return ok;
        };
        const badSetters: string[] = [];
        if (!valid(pod.sc)) {
            badSetters.push("pod");
        }
        const badContainers = pod.containers.filter((c) => !valid(c.sc)).map((c) => c.name);
        if (badContainers.length > 0) {
            badSetters.push(containersPhrase(badContainers));
        }
        if (badSetters.length === 0) {
            return undefined;
        }
        const badData: string[] = [];
        if (badTypes.size > 0) {
            badData.push(`${pluralize("type", "types", badTypes.size)} ${joinQuote(sortedSet(badTypes))}`);
        }
        if (setUser) {
            badData.push("user may not be set");
        }
        if (setRole) {
            badData.push("role may not be set");
        }
        return {
            reason: "seLinuxOptions",
            detail: `${badSetters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${badData.join("; ")}`,
        };
    },
};

/** The seccomp profile type a securityContext sets, when it sets one that is not allowed. */
function badSeccompType(sc: Rec | undefined): string | undefined {
    if (!present(sc?.seccompProfile)) {
        return undefined;
    }
    const type = text(recordOf(sc?.seccompProfile)?.type);
    return ALLOWED_PROFILE_TYPES.includes(type) ? undefined : type;
}

/**
 * Both seccomp controls: a profile, where set, is RuntimeDefault or Localhost; restricted also
 * requires one on every container, its own or the pod's.
 */
function seccompFinding(pod: PodView, required: boolean): Finding | undefined {
    const badSetters: string[] = [];
    const badValues = new Set<string>();
    const podType = badSeccompType(pod.sc);
    if (podType !== undefined) {
        badSetters.push("pod");
        badValues.add(podType);
    }
    const podSet = podType === undefined && present(pod.sc?.seccompProfile);
    const explicitlyBad: string[] = [];
    const implicitlyBad: string[] = [];
    for (const c of pod.containers) {
        const type = badSeccompType(c.sc);
        if (type !== undefined) {
            explicitlyBad.push(c.name);
            badValues.add(type);
        } else if (!present(c.sc?.seccompProfile) && !podSet) {
            implicitlyBad.push(c.name);
        }
    }
    if (explicitlyBad.length > 0) {
        badSetters.push(containersPhrase(explicitlyBad));
    }
    if (badSetters.length > 0) {
        return {
            reason: "seccompProfile",
            detail: `${badSetters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}`,
        };
    }
    if (required && implicitlyBad.length > 0) {
        return {
            reason: "seccompProfile",
            detail:
                `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to ` +
                '"RuntimeDefault" or "Localhost"',
        };
    }
    return undefined;
}

const seccompProfileBaseline: Control = {
    id: "seccompProfile_baseline",
    level: "baseline",
    summary: "`seccompProfile.type`, pod or container, where set, is `RuntimeDefault` or `Localhost`",
    check: (pod) => seccompFinding(pod, false),
};

const sysctls: Control = {
    id: "sysctls",
    level: "baseline",
    summary: `\`securityContext.sysctls\` names only safe sysctls: ${SAFE_SYSCTLS.join(", ")}`,
    check(pod) {
        const forbidden = list(pod.sc?.sysctls as unknown[] | undefined)
            .map((s) => text(recordOf(s)?.name))
            .filter((name) => !SAFE_SYSCTLS.includes(name));
        return forbidden.length === 0 ? undefined : { reason: "forbidden sysctls", detail: forbidden.join(", ") };
    },
};

const windowsHostProcess: Control = {
    id: "windowsHostProcess",
    level: "baseline",
    summary: "`windowsOptions.hostProcess`, pod or container, unset or false",
    check(pod) {
        const hostProcess = (sc: Rec | undefined): boolean => recordOf(sc?.windowsOptions)?.hostProcess === true;
        const setters: string[] = [];
        if (hostProcess(pod.sc)) {
            setters.push("pod");
        }
        const bad = pod.containers.filter((c) => hostProcess(c.sc)).map((c) => c.name);
        if (bad.length > 0) {
            setters.push(containersPhrase(bad));
        }
        return setters.length === 0
            ? undefined
            : {
                  reason: "hostProcess",
                  detail: `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
              };
    },
};

// ---------------------------------------------------------------------------------------------
// Restricted.

const allowPrivilegeEscalation: Control = {
    id: "allowPrivilegeEscalation",
    level: "restricted",
    summary: "`securityContext.allowPrivilegeEscalation: false` on every container (Windows pods exempt)",
    check(pod) {
        if (pod.windows) {
            return undefined;
        }
        const bad = pod.containers.filter((c) => c.sc?.allowPrivilegeEscalation !== false).map((c) => c.name);
        return bad.length === 0
            ? undefined
            : {
                  reason: "allowPrivilegeEscalation != false",
                  detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
              };
    },
};

const capabilitiesRestricted: Control = {
    id: "capabilities_restricted",
    level: "restricted",
    overrides: "capabilities_baseline",
    summary:
        `\`capabilities.drop\` includes \`${DROP_ALL}\`; ` +
        `\`capabilities.add\` holds at most ${RESTRICTED_ADDABLE_CAPABILITIES.join(", ")} ` +
        "(Windows pods exempt)",
    check(pod) {
        if (pod.windows) {
            return undefined;
        }
        const missingDropAll: string[] = [];
        const addingForbidden: string[] = [];
        const forbidden = new Set<string>();
        for (const c of pod.containers) {
            if (c.sc === undefined || !present(c.sc.capabilities)) {
                missingDropAll.push(c.name);
                continue;
            }
            const capabilities = recordOf(c.sc.capabilities) ?? {};
            if (!list(capabilities.drop as unknown[] | undefined).includes(DROP_ALL)) {
                missingDropAll.push(c.name);
            }
            const bad = list(capabilities.add as unknown[] | undefined)
                .map(text)
                .filter((cap) => !RESTRICTED_ADDABLE_CAPABILITIES.includes(cap));
            bad.forEach((cap) => forbidden.add(cap));
            if (bad.length > 0) {
                addingForbidden.push(c.name);
            }
        }
        const details: string[] = [];
        if (missingDropAll.length > 0) {
            details.push(
                `${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["${DROP_ALL}"]`,
            );
        }
        if (addingForbidden.length > 0) {
            details.push(
                `${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbidden))} ` +
                    "in securityContext.capabilities.add",
            );
        }
        return details.length === 0 ? undefined : { reason: "unrestricted capabilities", detail: details.join("; ") };
    },
};

const restrictedVolumes: Control = {
    id: "restrictedVolumes",
    level: "restricted",
    overrides: "hostPathVolumes",
    summary:
        "volumes only of the types " +
        VOLUME_SOURCES.filter((v) => v.restricted === "allowed")
            .map((v) => `\`${v.source}\``)
            .join(", "),
    check(pod) {
        const badVolumes: string[] = [];
        const badTypes = new Set<string>();
        for (const volume of volumesOf(pod)) {
            const set = VOLUME_SOURCES.filter((v) => present(volume[v.source]));
            if (set.some((v) => v.restricted === "allowed")) {
                continue;
            }
            const refused = set.find((v) => v.restricted === "refused");
            // A volume with no source at all is an emptyDir: the API server defaults it so before
            // admission. One with only fields this version does not know is "unknown", as upstream
            // names a source it cannot classify.
            if (refused === undefined && Object.keys(volume).every((key) => key === "name" || !present(volume[key]))) {
                continue;
            }
            badVolumes.push(text(volume.name));
            badTypes.add(refused?.source ?? "unknown");
        }
        if (badVolumes.length === 0) {
            return undefined;
        }
        const types = sortedSet(badTypes);
        return {
            reason: "restricted volume types",
            detail:
                `${pluralize("volume", "volumes", badVolumes.length)} ${joinQuote(badVolumes)} ` +
                `${pluralize("uses", "use", badVolumes.length)} ` +
                `${pluralize("restricted volume type", "restricted volume types", types.length)} ${joinQuote(types)}`,
        };
    },
};

const runAsNonRoot: Control = {
    id: "runAsNonRoot",
    level: "restricted",
    // Like procMount, waived upstream for hostUsers: false pods only behind an alpha feature gate.
    summary: "`runAsNonRoot: true` on the pod or on every container, and false nowhere",
    check(pod) {
        const badSetters: string[] = [];
        let podNonRoot = false;
        if (present(pod.sc?.runAsNonRoot)) {
            if (pod.sc?.runAsNonRoot === true) {
                podNonRoot = true;
            } else {
                badSetters.push("pod");
            }
        }
        const explicitlyBad: string[] = [];
        const implicitlyBad: string[] = [];
        for (const c of pod.containers) {
            if (present(c.sc?.runAsNonRoot)) {
                if (c.sc?.runAsNonRoot !== true) {
                    explicitlyBad.push(c.name);
                }
            } else if (!podNonRoot) {
                implicitlyBad.push(c.name);
            }
        }
        if (explicitlyBad.length > 0) {
            badSetters.push(containersPhrase(explicitlyBad));
        }
        if (badSetters.length > 0) {
            return {
                reason: "runAsNonRoot != true",
                detail: `${badSetters.join(" and ")} must not set securityContext.runAsNonRoot=false`,
            };
        }
        if (implicitlyBad.length > 0) {
            return {
                reason: "runAsNonRoot != true",
                detail: `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
            };
        }
        return undefined;
    },
};

const runAsUser: Control = {
    id: "runAsUser",
    level: "restricted",
    summary: "`runAsUser`, pod or container, is not 0",
    check(pod) {
        const setters: string[] = [];
        if (pod.sc?.runAsUser === 0) {
            setters.push("pod");
        }
        const bad = pod.containers.filter((c) => c.sc?.runAsUser === 0).map((c) => c.name);
        if (bad.length > 0) {
            setters.push(containersPhrase(bad));
        }
        return setters.length === 0
            ? undefined
            : { reason: "runAsUser=0", detail: `${setters.join(" and ")} must not set runAsUser=0` };
    },
};

const seccompProfileRestricted: Control = {
    id: "seccompProfile_restricted",
    level: "restricted",
    overrides: "seccompProfile_baseline",
    summary:
        "`seccompProfile.type` `RuntimeDefault` or `Localhost` on the pod or on every container, " +
        "and nothing else anywhere (Windows pods exempt)",
    check: (pod) => (pod.windows ? undefined : seccompFinding(pod, true)),
};

function volumesOf(pod: PodView): Rec[] {
    return list(pod.spec.volumes as unknown[] | undefined).map((v) => recordOf(v) ?? {});
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/** Every control of the standard at the latest version. */
export const CONTROLS: readonly Control[] = [
    appArmorProfile,
    capabilitiesBaseline,
    hostNamespaces,
    hostPathVolumes,
    hostPorts,
    hostProbesAndHostLifecycle,
    privileged,
    procMount,
    seLinuxOptions,
    seccompProfileBaseline,
    sysctls,
    windowsHostProcess,
    allowPrivilegeEscalation,
    capabilitiesRestricted,
    restrictedVolumes,
    runAsNonRoot,
    runAsUser,
    seccompProfileRestricted,
];

export function controlById(id: ControlId): Control {
    const control = CONTROLS.find((c) => c.id === id);
    if (control === undefined) {
        throw new Error(`no Pod Security control ${id}`);
    }
    return control;
}

/**
 * The controls a level runs, in the order upstream evaluates and reports them (baseline ids
 * sorted, then restricted ids sorted): baseline's own; restricted's plus baseline's, less the
 * baseline controls a restricted one replaces.
 */
export function controlsFor(level: PodSecurityLevel): Control[] {
    const ordered = (l: PodSecurityLevel) =>
        CONTROLS.filter((c) => c.level === l).sort((a, b) => byteOrder(a.id, b.id));
    if (level === "baseline") {
        return ordered("baseline");
    }
    const restricted = ordered("restricted");
    const replaced = new Set(restricted.map((c) => c.overrides));
    return [...ordered("baseline").filter((c) => !replaced.has(c.id)), ...restricted];
}

/** The violated controls of a pod, at a level or for an explicit list of controls, in report order. */
export function evaluatePodSecurity(
    levelOrControls: PodSecurityLevel | readonly Control[],
    pod: PodSecurityInput,
): PodSecurityViolation[] {
    const controls = typeof levelOrControls === "string" ? controlsFor(levelOrControls) : levelOrControls;
    const view = podView(pod);
    const violations: PodSecurityViolation[] = [];
    for (const control of controls) {
        const finding = control.check(view);
        if (finding !== undefined) {
            violations.push({ control: control.id, ...finding });
        }
    }
    return violations;
}

/** Upstream's AggregateCheckResult.ForbiddenDetail: `reason (detail), reason (detail)`. */
export function forbiddenDetail(violations: readonly PodSecurityViolation[]): string {
    return violations.map((v) => (v.detail === "" ? v.reason : `${v.reason} (${v.detail})`)).join(", ");
}

/** The text of the API server's refusal of such a pod in a namespace enforcing `level` at latest. */
export function admissionMessage(level: PodSecurityLevel, violations: readonly PodSecurityViolation[]): string {
    return `violates PodSecurity "${level}:latest": ${forbiddenDetail(violations)}`;
}
