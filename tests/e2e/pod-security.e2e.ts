// The pack's Pod Security verdicts beside the real API server's. For a sample of the upstream
// fixtures (third_party/pod-security-admission/: a few per check, admitted and refused, at both
// levels), each pod is created with `kubectl create --dry-run=server` in a namespace labelled
// `pod-security.kubernetes.io/enforce: <level>` and no enforce-version (so "latest", what
// policy/lib/podSecurity.ts implements): the API server must admit exactly the pods the pack
// passes and refuse the others with exactly the message the pack composes, reasons and details in
// the same order. The same pod as a Deployment's template, which admission only warns about
// (`warn: <level>`), must draw a warning exactly when the pack, reading it through its own
// podTemplateOf, objects; and at restricted the rule itself must fire on it, naming each control.
//
// Nothing is stored: every create is a server-side dry run. The kube-apiserver is the pinned
// KUBERNETES_VERSION, with its default admission plugins and feature gates.
import { expect } from "chai";
import { K8sObject, podTemplateOf } from "../../policy/lib/k8s";
import {
    admissionMessage,
    evaluatePodSecurity,
    forbiddenDetail,
    PodSecurityViolation,
} from "../../policy/lib/podSecurity";
import { restrictedSecurityContext } from "../../policy/policies/restricted-security-context";
import { Fixture, Level, LEVELS, loadFixtures } from "../../scripts/pod-security/vendor";
import { eventually } from "./nodes";
import { ok, requireCluster, run } from "./support";

/** Fixtures taken per level, upstream check and verdict (all when a check has fewer). */
const PER_CHECK = 2;
const NAMESPACE_PREFIX = "abevalflow-e2e-pss";

/** A few fixtures per (level, check, verdict), in file order, so every control is exercised both ways where upstream has both. */
function sample(fixtures: readonly Fixture[]): Fixture[] {
    const taken = new Map<string, number>();
    return fixtures.filter((f) => {
        const key = `${f.level}/${f.check}/${f.verdict}`;
        const n = taken.get(key) ?? 0;
        taken.set(key, n + 1);
        return n < PER_CHECK;
    });
}

const namespaceOf = (level: Level): string => `${NAMESPACE_PREFIX}-${level}`;
/** Upstream names its files after check ids, which hold underscores; a pod name may not. */
const podName = (f: Fixture): string => f.name.toLowerCase().replace(/_/g, "-");

/** The fixture's annotations, where it has any (the AppArmor ones). */
const annotationsOf = (f: Fixture) => (f.pod.metadata?.annotations ? { annotations: f.pod.metadata.annotations } : {});

function podManifest(f: Fixture): K8sObject {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: podName(f), namespace: namespaceOf(f.level), ...annotationsOf(f) },
        spec: f.pod.spec ?? {},
    };
}

function deploymentManifest(f: Fixture): K8sObject {
    const labels = { "abevalflow.e2e/fixture": podName(f) };
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: podName(f), namespace: namespaceOf(f.level) },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: { metadata: { labels, ...annotationsOf(f) }, spec: f.pod.spec ?? {} },
        },
    };
}

/** What the pack finds in an object's pod, read as the pack reads that kind. */
function packViolations(level: Level, obj: K8sObject): PodSecurityViolation[] {
    const pod = podTemplateOf(obj);
    if (pod === undefined) {
        throw new Error(`${String(obj.kind)} carries no pod for the pack`);
    }
    return evaluatePodSecurity(level, { annotations: pod.annotations, spec: pod.spec });
}

/** JSON, not YAML: kubectl reads YAML 1.1, where some of a fixture's strings would change type. */
function dryRunCreate(obj: K8sObject) {
    return run("kubectl", ["create", "--dry-run=server", "-o", "name", "-f", "-"], { input: JSON.stringify(obj) });
}

/** The reason the API server gave for refusing, or a failure saying the refusal came from elsewhere. */
function refusal(output: string): string {
    const forbidden = /is forbidden: (.*)$/m.exec(output);
    if (forbidden === null) {
        const invalid = /is invalid: .*$/m.exec(output);
        throw new Error(
            invalid
                ? `the API server refused the pod before Pod Security admission (validation): ${invalid[0]}`
                : `the API server's answer names no refusal: ${output}`,
        );
    }
    return forbidden[1];
}

describe("Pod Security admission at latest: the API server's verdicts equal the pack's", function () {
    this.timeout(10 * 60_000);
    const fixtures = sample(loadFixtures());

    before(() => {
        requireCluster();
        for (const level of LEVELS) {
            const ns = namespaceOf(level);
            ok("kubectl", ["apply", "-f", "-"], {
                input: JSON.stringify({
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: {
                        name: ns,
                        labels: {
                            "pod-security.kubernetes.io/enforce": level,
                            "pod-security.kubernetes.io/warn": level,
                        },
                    },
                }),
            });
            // ServiceAccount admission refuses a pod whose account does not exist yet, before Pod Security sees it.
            const sa = eventually(
                () => run("kubectl", ["get", "serviceaccount", "default", "-n", ns, "-o", "name"]),
                (r) => r.status === 0,
                60,
            );
            expect(
                sa.status,
                `the controller-manager created no default ServiceAccount in ${ns}: ${sa.output}`,
            ).to.equal(0);
        }
    });

    after(() => {
        run("kubectl", ["delete", "namespace", ...LEVELS.map(namespaceOf), "--ignore-not-found", "--wait=false"]);
    });

    for (const f of fixtures) {
        describe(`${f.level} ${f.verdict}/${f.name}`, () => {
            it("a Pod: admitted or refused with the pack's message", () => {
                const pod = podManifest(f);
                const violations = packViolations(f.level, pod);
                expect(
                    violations.length === 0 ? "pass" : "fail",
                    `the pack's verdict on ${f.name}: ${forbiddenDetail(violations)}`,
                ).to.equal(f.verdict);
                const r = dryRunCreate(pod);
                if (violations.length === 0) {
                    expect(r.status, `admitted by the pack, refused by the API server: ${r.output}`).to.equal(0);
                    return;
                }
                expect(
                    r.status,
                    `refused by the pack (${forbiddenDetail(violations)}), admitted by the API server`,
                ).to.not.equal(0);
                expect(refusal(r.output)).to.equal(admissionMessage(f.level, violations));
            });

            it("the same pod as a Deployment's template: warned about exactly when the pack objects", () => {
                const deployment = deploymentManifest(f);
                const violations = packViolations(f.level, deployment);
                const r = dryRunCreate(deployment);
                expect(r.status, `a Deployment is only warned about: ${r.output}`).to.equal(0);
                const warnings = r.stderr.split("\n").filter((line) => line.includes("would violate PodSecurity"));
                // Verdicts only: the pack reads a template as its pods will be created (a hostNetwork
                // pod's hostPorts defaulted, an `unconfined` AppArmor annotation copied into the
                // container), while the warning is about the template as written. Neither changes
                // a verdict, only which containers a message names.
                const said = `the pack says: ${forbiddenDetail(violations) || "nothing"}; the API server: ${warnings.join("; ")}`;
                expect(warnings.length > 0 ? "warned" : "silent", said).to.equal(
                    violations.length > 0 ? "warned" : "silent",
                );
                const prefix = `Warning: would violate PodSecurity "${f.level}:latest": `;
                expect(
                    warnings.every((w) => w.startsWith(prefix)),
                    said,
                ).to.equal(true);
                if (f.level === "restricted") {
                    const problems = restrictedSecurityContext.check(
                        deployment,
                        restrictedSecurityContext.defaults,
                        {},
                    );
                    expect(problems.map((p) => /^Pod Security (\S+):/.exec(p)?.[1])).to.deep.equal(
                        violations.map((v) => v.control),
                    );
                }
            });
        });
    }
});
