// One factory per kind, each returning an object every policy accepts, so a test breaks exactly
// one field and expects exactly one policy to object.
import { Container, K8sObject, kindKeyOf, Labels, PodSpec, podTemplateOf } from "../../policy/lib/k8s";
import { checkSubjects } from "../../policy/checker/engine";
import { resolvePolicies } from "../../policy/checker/config";
import { configOf } from "../../policy/lib/pulumi";
import { RULES } from "../../policy/policies";
import { ResourceContext, ResourceRule, StackFinding, StackRule } from "../../policy/lib/rule";

export const NS = "ab-eval-flow";
export const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
export const TRIAL: Labels = { "abevalflow/role": "trial" };
export const LITELLM: Labels = { "app.kubernetes.io/name": "litellm" };

export function container(name = "app", image = `quay.io/abevalflow/app:v1.0.0@${DIGEST}`): Container {
    return {
        name,
        image,
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        },
        livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
        readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    };
}

function podSpec(): PodSpec {
    return { serviceAccountName: "app", automountServiceAccountToken: false, containers: [container()] };
}

function meta(name: string) {
    return { name, namespace: NS, labels: { "app.kubernetes.io/name": name } };
}

export function pod(name = "app"): K8sObject {
    return { apiVersion: "v1", kind: "Pod", metadata: meta(name), spec: podSpec() };
}

function templated(apiVersion: string, kind: string, name: string, extra: Record<string, unknown> = {}): K8sObject {
    const labels = { "app.kubernetes.io/name": name };
    return {
        apiVersion,
        kind,
        metadata: meta(name),
        spec: { ...extra, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() } },
    };
}

export function deployment(name = "app", replicas = 1): K8sObject {
    return templated("apps/v1", "Deployment", name, { replicas });
}

/** OpenShift's DeploymentConfig (apps.openshift.io/v1): its selector is a plain label map. */
export function deploymentConfig(name = "app"): K8sObject {
    const labels = { "app.kubernetes.io/name": name };
    return {
        apiVersion: "apps.openshift.io/v1",
        kind: "DeploymentConfig",
        metadata: meta(name),
        spec: { replicas: 1, selector: labels, template: { metadata: { labels }, spec: podSpec() } },
    };
}

export const statefulSet = (name = "app"): K8sObject =>
    templated("apps/v1", "StatefulSet", name, { serviceName: name });
export const daemonSet = (name = "app"): K8sObject => templated("apps/v1", "DaemonSet", name);
export const replicaSet = (name = "app"): K8sObject => templated("apps/v1", "ReplicaSet", name);

export function job(name = "app"): K8sObject {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: meta(name),
        spec: { template: { spec: { ...podSpec(), restartPolicy: "Never" } } },
    };
}

export function cronJob(name = "app"): K8sObject {
    return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: meta(name),
        spec: {
            schedule: "0 3 * * *",
            jobTemplate: { spec: { template: { spec: { ...podSpec(), restartPolicy: "Never" } } } },
        },
    };
}

/** Every workload kind the pack knows, each compliant. */
export const WORKLOADS: Record<string, () => K8sObject> = {
    Pod: pod,
    Deployment: deployment,
    DeploymentConfig: deploymentConfig,
    StatefulSet: statefulSet,
    DaemonSet: daemonSet,
    ReplicaSet: replicaSet,
    Job: job,
    CronJob: cronJob,
};

/** The pod spec inside any workload, for editing in place. */
export function podSpecOf(workload: K8sObject): PodSpec {
    const template = podTemplateOf(workload);
    if (template === undefined) {
        throw new Error(`${String(workload.kind)} is not a workload`);
    }
    return template.spec;
}

export function firstContainer(workload: K8sObject): Container {
    const first = podSpecOf(workload).containers?.[0];
    if (first === undefined) {
        throw new Error("the workload has no container");
    }
    return first;
}

export function role(rules: Record<string, unknown>[], name = "reader"): K8sObject {
    return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: NS }, rules };
}

export function clusterRole(rules: Record<string, unknown>[], name = "viewer"): K8sObject {
    return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
}

export function roleBinding(
    account: string,
    roleRef = { kind: "Role", name: "reader" },
    name = `${account}-binding`,
): K8sObject {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name, namespace: NS },
        subjects: [{ kind: "ServiceAccount", name: account, namespace: NS }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    };
}

export function clusterRoleBinding(roleName: string, name = `${roleName}-binding`): K8sObject {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name },
        subjects: [{ kind: "ServiceAccount", name: "app", namespace: NS }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    };
}

export function serviceAccount(name: string, automount?: boolean): K8sObject {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name, namespace: NS },
        ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
    };
}

function networkPolicy(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): K8sObject {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
        spec,
    };
}

export function defaultDeny(labels: Labels = TRIAL, name = "trial-egress-default-deny"): K8sObject {
    return networkPolicy(name, { podSelector: { matchLabels: labels }, policyTypes: ["Egress"] });
}

export function dnsRule(): Record<string, unknown> {
    return {
        to: [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
                podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
            },
        ],
        ports: [5353, 53].flatMap((port) => [
            { protocol: "UDP", port },
            { protocol: "TCP", port },
        ]),
    };
}

export function httpsRule(): Record<string, unknown> {
    return {
        to: [
            {
                ipBlock: {
                    cidr: "0.0.0.0/0",
                    except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
                },
            },
        ],
        ports: [{ protocol: "TCP", port: 443 }],
    };
}

/** A compliant allow policy: DNS plus HTTPS to the internet. */
export function allowPolicy(
    labels: Labels = TRIAL,
    name = "trial-egress-direct-api",
    egress = [dnsRule(), httpsRule()],
): K8sObject {
    return networkPolicy(name, { podSelector: { matchLabels: labels }, policyTypes: ["Egress"], egress });
}

/** The egress rules of a NetworkPolicy fixture, for editing in place. */
export function egressOf(np: K8sObject): Record<string, unknown>[] {
    const spec = np.spec as { egress?: Record<string, unknown>[] };
    return spec.egress ?? [];
}

export function pdb(labels: Labels, extra: Record<string, unknown> = { maxUnavailable: 1 }, name = "app"): K8sObject {
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name, namespace: NS },
        spec: { ...extra, selector: { matchLabels: labels } },
    };
}

export function pvc(annotations: Record<string, string> = { "helm.sh/resource-policy": "keep" }): K8sObject {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "workspace", namespace: NS, annotations },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    };
}

export function resourceQuota(
    hard: Record<string, string> = { "requests.cpu": "4", "limits.memory": "8Gi", pods: "10" },
): K8sObject {
    return { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "quota", namespace: NS }, spec: { hard } };
}

export function limitRange(
    entry: Record<string, unknown> = {
        type: "Container",
        defaultRequest: { cpu: "100m", memory: "128Mi" },
        default: { cpu: "500m", memory: "512Mi" },
    },
): K8sObject {
    return {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "defaults", namespace: NS },
        spec: { limits: [entry] },
    };
}

export function configMap(data: Record<string, string>): K8sObject {
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "scripts", namespace: NS }, data };
}

/** Runs a resource rule the way the pack does: defaults under the given config, kinds filtered. */
export function checkResource<C extends object>(
    rule: ResourceRule<C>,
    obj: K8sObject,
    config: Partial<C> = {},
    ctx: ResourceContext = {},
): string[] {
    return rule.kinds.includes(kindKeyOf(obj)) ? rule.check(obj, configOf(rule, config), ctx) : [];
}

export function checkStack<C extends object>(
    rule: StackRule<C>,
    objects: K8sObject[],
    config: Partial<C> = {},
): StackFinding[] {
    return rule.check(objects, configOf(rule, config));
}

const ALL_POLICIES = resolvePolicies(RULES, {}, "(defaults)");

/** The names of every policy of the pack that objects to `objects` taken as one stack, sorted. */
export function firing(objects: K8sObject[], ctx: ResourceContext = {}): string[] {
    const names = checkSubjects(
        objects.map((object) => ({ object, context: ctx })),
        ALL_POLICIES,
    ).map((v) => v.policy);
    return [...new Set(names)].sort();
}
