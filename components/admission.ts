// Admission of the pods the pipeline creates. Its Role may create pods, and the API server
// would otherwise let such a pod mount any Secret of the namespace, run as any of its
// ServiceAccounts (the cleanup's, whose token can delete) or carry no trial labels and so
// escape every egress policy. A ValidatingAdmissionPolicy, bound to the pipeline namespace and
// matching only requests made with the pipeline's own token, holds those pods to the trial
// baseline. Both objects are cluster-scoped, so their names carry the namespace.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AbevalflowConfig, Labels } from "./config";
import { CLEANUP, LITELLM, PART_OF, PATCH_FIELD_MANAGER, PATCH_FORCE } from "./names";

/** Cluster-scoped, so one per pipeline namespace: `abevalflow-trial-pods-<namespace>`. */
export function trialAdmissionName(namespace: string): string {
    return `abevalflow-trial-pods-${namespace}`;
}

/** The label that the API server puts on every Namespace, with its name as value. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The program's own pods, by the labels their Services and NetworkPolicies select them with. */
const OWN_PODS: readonly (readonly [string, Labels])[] = [
    ["the LiteLLM proxy", LITELLM.podLabels],
    ["the cleanup job", CLEANUP.podLabels],
];

export interface TrialAdmissionArgs {
    /** The pipeline namespace: the binding matches pods there only, and both objects are named after it. */
    readonly namespace: string;
    /** The ServiceAccount the pipeline runs as: only requests made with its token are checked. */
    readonly pipelineServiceAccount: string;
    /** Labels (key=value) every pod the pipeline creates must carry, so the trial egress and ingress policies select it. */
    readonly trialPodLabels: Labels;
    /** ServiceAccounts those pods may run as; a pod that names none runs as `default`. */
    readonly serviceAccounts: readonly string[];
    /** The only Secrets those pods may reference: secret and projected volumes, env secretKeyRef, envFrom secretRef. */
    readonly secretNames: readonly string[];
    /** The only PersistentVolumeClaims those pods may mount; never the dead-letter claim. */
    readonly claimNames: readonly string[];
    /** Every pod the pipeline creates is named with it, and the pipeline may exec into, attach to and port-forward to only such pods. */
    readonly podNamePrefix: string;
    /** What both objects wait for: they are not in the namespace, so they do not wait for it, but for the check that the cluster is the stack's own. */
    readonly clusterVerified?: pulumi.Input<pulumi.Resource[]>;
}

/** The arguments a stack's configuration gives: in litellm mode the trial pods may also read the proxy's master key. */
export function trialAdmissionArgs(cfg: AbevalflowConfig): Omit<TrialAdmissionArgs, "clusterVerified"> {
    const secretNames = [...cfg.admission.secretNames, ...(cfg.litellm ? [LITELLM.masterKeySecret] : [])];
    return {
        namespace: cfg.namespace,
        pipelineServiceAccount: cfg.pipeline.serviceAccountName,
        trialPodLabels: cfg.trial.podLabels,
        serviceAccounts: [...new Set(cfg.admission.serviceAccounts)],
        secretNames: [...new Set(secretNames)],
        claimNames: [...new Set(cfg.admission.claimNames)],
        podNamePrefix: cfg.admission.podNamePrefix,
    };
}

// ---------------------------------------------------------------------------------------
// The policy as data: CEL built from the arguments, so the tests and the docs read the same.

/** A CEL string literal (JSON's escapes are a subset of CEL's). */
const str = (s: string): string => JSON.stringify(s);
const list = (items: readonly string[]): string => `[${items.map(str).join(", ")}]`;
const map = (labels: Labels): string =>
    `{${Object.entries(labels)
        .map(([k, v]) => `${str(k)}: ${str(v)}`)
        .join(", ")}}`;
const pairs = (labels: Labels): string =>
    Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
/** The field if it is set, else `fallback`. */
const orElse = (field: string, fallback: string): string => `(has(${field}) ? ${field} : ${fallback})`;

/** One named rule: what it requires (the static message), its check and the message that names the offence. */
export interface AdmissionRule {
    readonly name: string;
    readonly requirement: string;
    readonly expression: string;
    readonly messageExpression: string;
}

export interface AdmissionPolicyData {
    readonly matchCondition: string;
    readonly variables: { name: string; expression: string }[];
    readonly rules: AdmissionRule[];
}

/** True for a CONNECT request (exec, attach, port-forward), whose object is no Pod. */
const CONNECT = `request.operation == "CONNECT"`;

/** Whom every rule is about (UPDATE included, should the pipeline ever be allowed to patch pods). */
const WHO = "a pod the pipeline creates or updates";

/** The ways into a running pod's processes and ports. */
export const CONNECT_SUBRESOURCES = ["exec", "attach", "portforward"] as const;

const CONTAINER_LISTS = [
    ["containers", "container"],
    ["initContainers", "init container"],
    ["ephemeralContainers", "ephemeral container"],
] as const;

/** The request's user when the pipeline's token makes it. */
export function pipelineUsername(namespace: string, serviceAccount: string): string {
    return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * The policy's match condition, variables and rules, in the order the API server checks them
 * (it reports the first rule that fails). Each variable that lists offences is a list of
 * strings, so every message names what broke the rule.
 */
export function trialAdmissionPolicy(args: TrialAdmissionArgs): AdmissionPolicyData {
    const allowed = "variables.allowedSecrets";
    const secretName = (ref: string, field = "name") => `(has(${ref}.${field}) ? ${ref}.${field} : "")`;
    const notAllowed = (ref: string, field = "name") => `!(${secretName(ref, field)} in ${allowed})`;
    const badEnv = (e: string) =>
        `has(${e}.valueFrom) && has(${e}.valueFrom.secretKeyRef) && ${notAllowed(`${e}.valueFrom.secretKeyRef`)}`;
    const badEnvFrom = (f: string) => `has(${f}.secretRef) && ${notAllowed(`${f}.secretRef`)}`;
    const badProjected = (s: string) => `has(${s}.secret) && ${notAllowed(`${s}.secret`)}`;
    const containerRefs = (field: string, what: string) => {
        const containers = orElse(`object.spec.${field}`, "[]");
        return (
            `${containers}.filter(c, has(c.env) && c.env.exists(e, ${badEnv("e")}))` +
            `.map(c, ${str(`${what} `)} + c.name + " env " + c.env.filter(e, ${badEnv("e")}).map(e, e.name + " from Secret " + ${secretName("e.valueFrom.secretKeyRef")}).join(", ")) + ` +
            `${containers}.filter(c, has(c.envFrom) && c.envFrom.exists(f, ${badEnvFrom("f")}))` +
            `.map(c, ${str(`${what} `)} + c.name + " envFrom Secret " + c.envFrom.filter(f, ${badEnvFrom("f")}).map(f, ${secretName("f.secretRef")}).join(", Secret "))`
        );
    };
    // One variable per place a Secret can be named, each a list of offences, then their sum.
    const secretRefs = [
        {
            name: "volumeSecretRefs",
            expression: `variables.volumes.filter(v, has(v.secret) && ${notAllowed("v.secret", "secretName")}).map(v, "volume " + v.name + " Secret " + ${secretName("v.secret", "secretName")})`,
        },
        {
            name: "projectedSecretRefs",
            expression:
                `variables.volumes.filter(v, has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, ${badProjected("s")}))` +
                `.map(v, "projected volume " + v.name + " Secret " + v.projected.sources.filter(s, ${badProjected("s")}).map(s, ${secretName("s.secret")}).join(", Secret "))`,
        },
        ...CONTAINER_LISTS.map(([field, what]) => ({
            name: `${field}SecretRefs`,
            expression: containerRefs(field, what),
        })),
    ];
    const ownPods = OWN_PODS.map(
        ([who, labels]) =>
            `(${map(labels)}.all(k, k in variables.labels && variables.labels[k] == ${map(labels)}[k]) ? [${str(`${who} (${pairs(labels)})`)}] : [])`,
    );

    const variables = [
        { name: "labels", expression: orElse("object.metadata.labels", "{}") },
        { name: "trialLabels", expression: map(args.trialPodLabels) },
        {
            name: "missingLabels",
            expression: `variables.trialLabels.filter(k, !(k in variables.labels) || variables.labels[k] != variables.trialLabels[k]).map(k, k + "=" + variables.trialLabels[k])`,
        },
        { name: "ownPodLabels", expression: ownPods.join(" + ") },
        {
            name: "serviceAccount",
            expression: `has(object.spec.serviceAccountName) && object.spec.serviceAccountName != "" ? object.spec.serviceAccountName : "default"`,
        },
        { name: "volumes", expression: orElse("object.spec.volumes", "[]") },
        {
            name: "tokenVolumes",
            expression: `variables.volumes.filter(v, has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.serviceAccountToken))).map(v, v.name)`,
        },
        {
            name: "hostNamespaces",
            expression: ["hostNetwork", "hostPID", "hostIPC"]
                .map((f) => `(has(object.spec.${f}) && object.spec.${f} ? [${str(f)}] : [])`)
                .join(" + "),
        },
        { name: "hostPathVolumes", expression: `variables.volumes.filter(v, has(v.hostPath)).map(v, v.name)` },
        {
            name: "claimRefs",
            expression: `variables.volumes.filter(v, has(v.persistentVolumeClaim) && !(v.persistentVolumeClaim.claimName in ${list(args.claimNames)})).map(v, "volume " + v.name + " claim " + v.persistentVolumeClaim.claimName)`,
        },
        { name: "allowedSecrets", expression: list(args.secretNames) },
        ...secretRefs,
        { name: "secretRefs", expression: secretRefs.map((r) => `variables.${r.name}`).join(" + ") },
    ];

    const accounts = args.serviceAccounts.length === 0 ? "(none: the list is empty)" : args.serviceAccounts.join(", ");
    const secrets = args.secretNames.length === 0 ? "no Secret" : `only the Secrets ${args.secretNames.join(", ")}`;
    const claims =
        args.claimNames.length === 0
            ? "no PersistentVolumeClaim"
            : `only the PersistentVolumeClaims ${args.claimNames.join(", ")}`;
    const rule = (name: string, requirement: string, expression: string, offence: string): AdmissionRule => ({
        name,
        requirement: `rule ${name}: ${requirement}`,
        expression,
        messageExpression: `${str(`rule ${name}: ${requirement}; `)} + ${offence}`,
    });
    // The policy sees two kinds of request: pods (CREATE, UPDATE), whose object is the Pod, and
    // CONNECT to a pod's exec, attach or portforward, whose object is only the options and whose
    // request.name is the pod's. A CONNECT request cannot see the pod's labels, so the pods the
    // pipeline may connect to are told by their name, which the pipeline's creations must carry.
    const podRule = (name: string, requirement: string, expression: string, offence: string): AdmissionRule =>
        rule(name, requirement, `${CONNECT} || (${expression})`, offence);
    const prefix = str(args.podNamePrefix);
    const rules = [
        rule(
            "connect-trial-pods-only",
            `the pipeline may exec into, attach to and port-forward to only the pods it creates, named ${args.podNamePrefix}...`,
            `!(${CONNECT}) || request.name.startsWith(${prefix})`,
            `"it asked for " + request.resource.resource + "/" + request.subResource + " of pod " + request.name`,
        ),
        podRule(
            "trial-labels",
            `${WHO} must carry every trial label (${pairs(args.trialPodLabels)}), so that the trial egress and ingress policies select it`,
            "size(variables.missingLabels) == 0",
            `"missing: " + variables.missingLabels.join(", ")`,
        ),
        podRule(
            "own-pod-labels",
            `${WHO} must not carry all the pod labels of ${OWN_PODS.map(([who, labels]) => `${who} (${pairs(labels)})`).join(" or ")}, which their Services and policies select`,
            "size(variables.ownPodLabels) == 0",
            `"it carries the labels of " + variables.ownPodLabels.join(" and ")`,
        ),
        podRule(
            "trial-pod-name",
            `${WHO} must be named ${args.podNamePrefix}... (trialPodNamePrefix), the only pods it may exec into`,
            `object.metadata.name.startsWith(${prefix})`,
            `"it is named " + object.metadata.name`,
        ),
        podRule(
            "service-account",
            `${WHO} must run as one of the ServiceAccounts ${accounts} (none named means default)`,
            `variables.serviceAccount in ${list(args.serviceAccounts)}`,
            `"it names " + variables.serviceAccount`,
        ),
        podRule(
            "no-token-automount",
            `${WHO} must set automountServiceAccountToken: false`,
            "has(object.spec.automountServiceAccountToken) && object.spec.automountServiceAccountToken == false",
            `(has(object.spec.automountServiceAccountToken) ? "it sets true" : "it leaves it unset, so the token is mounted")`,
        ),
        podRule(
            "no-projected-token",
            `${WHO} must not have a projected serviceAccountToken volume`,
            "size(variables.tokenVolumes) == 0",
            `"volumes with a serviceAccountToken source: " + variables.tokenVolumes.join(", ")`,
        ),
        podRule(
            "no-host-namespaces",
            `${WHO} must not share a host namespace (hostNetwork, hostPID, hostIPC)`,
            "size(variables.hostNamespaces) == 0",
            `"it sets " + variables.hostNamespaces.join(", ")`,
        ),
        podRule(
            "no-host-path",
            `${WHO} must not mount a hostPath volume`,
            "size(variables.hostPathVolumes) == 0",
            `"hostPath volumes: " + variables.hostPathVolumes.join(", ")`,
        ),
        podRule(
            "claim-allow-list",
            `${WHO} may mount ${claims} (ephemeral volumes aside)`,
            "size(variables.claimRefs) == 0",
            `"it mounts " + variables.claimRefs.join(", ")`,
        ),
        podRule(
            "secret-allow-list",
            `${WHO} may reference ${secrets} (in volumes, projected volumes, and env and envFrom of every container)`,
            "size(variables.secretRefs) == 0",
            `"it references " + variables.secretRefs.join("; ")`,
        ),
    ];
    return {
        matchCondition: `request.userInfo.username == ${str(pipelineUsername(args.namespace, args.pipelineServiceAccount))}`,
        variables,
        rules,
    };
}

// ---------------------------------------------------------------------------------------

export class TrialAdmission extends pulumi.ComponentResource {
    readonly policyName: pulumi.Output<string>;
    readonly bindingName: pulumi.Output<string>;

    constructor(name: string, args: TrialAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("abevalflow:security:TrialAdmission", name, {}, opts);
        const objectName = trialAdmissionName(args.namespace);
        // Cluster-scoped: no namespace; the owning namespace is in the name and a label.
        const metadata = {
            name: objectName,
            labels: {
                ...PART_OF,
                "app.kubernetes.io/component": "trial-admission",
                "abevalflow/namespace": args.namespace,
            },
            annotations: { ...PATCH_FORCE, ...PATCH_FIELD_MANAGER },
        };
        const data = trialAdmissionPolicy(args);
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            "trial-pods",
            {
                metadata,
                spec: {
                    // A policy the API server cannot evaluate refuses the pod rather than admitting it.
                    failurePolicy: "Fail",
                    matchConstraints: {
                        resourceRules: [
                            {
                                apiGroups: [""],
                                apiVersions: ["v1"],
                                // UPDATE too, should the pipeline ever get patch: labels could otherwise be
                                // taken off, or an ephemeral container with a Secret added, after CREATE.
                                operations: ["CREATE", "UPDATE"],
                                resources: ["pods", "pods/ephemeralcontainers"],
                            },
                            {
                                apiGroups: [""],
                                apiVersions: ["v1"],
                                // The pipeline's Role grants exec only; attach and port-forward are held too,
                                // should it ever get them.
                                operations: ["CONNECT"],
                                resources: CONNECT_SUBRESOURCES.map((sub) => `pods/${sub}`),
                            },
                        ],
                    },
                    matchConditions: [{ name: "pipeline-service-account", expression: data.matchCondition }],
                    variables: data.variables,
                    validations: data.rules.map((r) => ({
                        expression: r.expression,
                        message: r.requirement,
                        messageExpression: r.messageExpression,
                        reason: "Forbidden",
                    })),
                },
            },
            { parent: this, dependsOn: args.clusterVerified },
        );
        const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            "trial-pods",
            {
                metadata,
                spec: {
                    policyName: policy.metadata.name,
                    validationActions: ["Deny"],
                    matchResources: { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: args.namespace } } },
                },
            },
            { parent: this, dependsOn: args.clusterVerified },
        );
        this.policyName = policy.metadata.name;
        this.bindingName = binding.metadata.name;
        this.registerOutputs({ policyName: this.policyName, bindingName: this.bindingName });
    }
}
