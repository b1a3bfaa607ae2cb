import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ROLL_ANNOTATIONS } from "../components/litellm";
import { LITELLM } from "../components/names";
import { sha256 } from "../components/podSpec";
import { field, LLM_MODES, named, ofType, RecordedResource, runProgram, stackConfig, withMode } from "./harness";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

interface Probe {
    httpGet: { path: string; port: string };
}
interface Container {
    image: string;
    args: string[];
    ports: { name: string; containerPort: number }[];
    env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    startupProbe: Probe;
    livenessProbe: Probe;
    readinessProbe: Probe;
    securityContext: Record<string, unknown>;
    resources: { requests: object; limits: object };
    volumeMounts: { name: string; mountPath: string }[];
    lifecycle: { preStop: { sleep: { seconds: number } } };
}
interface PodSpec {
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    containers: Container[];
    volumes: { name: string; emptyDir?: object; secret?: { secretName: string }; configMap?: { name: string } }[];
    topologySpreadConstraints: { topologyKey: string; whenUnsatisfiable: string; nodeTaintsPolicy?: string }[];
    terminationGracePeriodSeconds: number;
}

const podSpec = (d: RecordedResource): PodSpec => field(d, "spec", "template", "spec") as PodSpec;
const container = (d: RecordedResource): Container => podSpec(d).containers[0];
const configOf = (run: Awaited<ReturnType<typeof runProgram>>) =>
    (field(named(run, CONFIGMAP, LITELLM.configMap), "data") as Record<string, string>)[LITELLM.configFile];

describe("litellm slice", () => {
    it("exists only in litellm mode", async () => {
        for (const mode of LLM_MODES.filter((m) => m !== "litellm")) {
            const run = await runProgram(withMode("dev", mode));
            expect(run.resources.map((r) => r.type).filter((t) => t.startsWith("abevalflow:litellm"))).to.deep.equal(
                [],
            );
            expect(ofType(run, DEPLOYMENT).map((r) => r.name)).to.deep.equal([]);
            expect(run.outputs.litellmUrl).to.equal(undefined);
        }
    });

    it("runs under its own ServiceAccount with no token and no bindings", async () => {
        const run = await runProgram(stackConfig("prod"));
        const sa = named(run, "kubernetes:core/v1:ServiceAccount", LITELLM.name);
        expect(field(sa, "automountServiceAccountToken")).to.equal(false);
        const deployment = named(run, DEPLOYMENT, LITELLM.name);
        expect(podSpec(deployment).serviceAccountName).to.equal(LITELLM.name);
        expect(podSpec(deployment).automountServiceAccountToken).to.equal(false);
        const subjects = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").flatMap(
            (b) => field(b, "subjects") as { name: string }[],
        );
        expect(subjects.map((s) => s.name)).to.not.include(LITELLM.name);
    });

    it("generates config.yaml from the typed model list", async () => {
        const run = await runProgram(
            withMode("prod", "litellm", {
                litellmModels: ["gemini-2.5-flash", "smart=gemini-2.5-pro"],
                litellmNumRetries: 4,
            }),
        );
        // What the proxy reads of config.yaml; the test holds each part to its expected value.
        const config = YAML.parse(configOf(run)) as {
            model_list: unknown;
            general_settings: { master_key: unknown };
            litellm_settings: unknown;
        };
        expect(config.model_list).to.deep.equal([
            {
                model_name: "gemini-2.5-flash",
                litellm_params: {
                    model: "vertex_ai/gemini-2.5-flash",
                    vertex_project: "abevalflow-prod",
                    vertex_location: "us-central1",
                    vertex_credentials: "/var/run/secrets/vertex/credentials.json",
                },
            },
            {
                model_name: "smart",
                litellm_params: {
                    model: "vertex_ai/gemini-2.5-pro",
                    vertex_project: "abevalflow-prod",
                    vertex_location: "us-central1",
                    vertex_credentials: "/var/run/secrets/vertex/credentials.json",
                },
            },
        ]);
        expect(config.general_settings.master_key).to.equal("os.environ/LITELLM_MASTER_KEY");
        expect(config.litellm_settings).to.deep.equal({
            drop_params: true,
            num_retries: 4,
            request_timeout: 600,
            callbacks: ["url_guard.proxy_handler_instance"],
            disable_token_counter: true,
        });
    });

    it("mounts the URL guard beside config.yaml, which loads it, and keeps LiteLLM from downloading image URLs itself", async () => {
        const run = await runProgram(stackConfig("dev"));
        const data = field(named(run, "kubernetes:core/v1:ConfigMap", LITELLM.configMap), "data") as Record<
            string,
            string
        >;
        expect(Object.keys(data).sort()).to.deep.equal([LITELLM.configFile, LITELLM.urlGuardFile].sort());
        expect(data[LITELLM.urlGuardFile]).to.equal(
            fs.readFileSync(path.join(__dirname, "..", "litellm", LITELLM.urlGuardFile), "utf8"),
        );
        expect(data[LITELLM.urlGuardFile]).to.contain("proxy_handler_instance = UrlGuard()");
        const env = container(named(run, DEPLOYMENT, LITELLM.name)).env;
        expect(env.find((e) => e.name === "MAX_IMAGE_URL_DOWNLOAD_SIZE_MB")?.value).to.equal("0");
    });

    it("rolls the pods when the config changes, and only then", async () => {
        const checksum = async (extra: Record<string, unknown>) =>
            (
                field(
                    named(await runProgram(withMode("prod", "litellm", extra)), DEPLOYMENT, LITELLM.name),
                    "spec",
                    "template",
                    "metadata",
                    "annotations",
                ) as Record<string, string>
            )["abevalflow/config-sha256"];
        const one = await checksum({ litellmModels: ["gemini-2.5-flash"] });
        expect(one).to.match(/^[0-9a-f]{64}$/);
        expect(await checksum({ litellmModels: ["gemini-2.5-flash"] })).to.equal(one);
        expect(await checksum({ litellmModels: ["gemini-2.5-flash", "gemini-2.5-pro"] })).to.not.equal(one);
    });

    it("rolls the pods when a key they read at start changes: the master key (litellmMasterKeyRotation) or the inline Vertex key", async () => {
        const deploymentAndKey = async (extra: Record<string, unknown>) => {
            const run = await runProgram(withMode("prod", "litellm", extra));
            const deployment = named(run, DEPLOYMENT, LITELLM.name);
            const key = (field(named(run, SECRET, LITELLM.masterKeySecret), "stringData") as Record<string, string>)[
                LITELLM.masterKeyEnv
            ];
            return {
                deployment,
                key,
                annotations: field(deployment, "spec", "template", "metadata", "annotations") as Record<string, string>,
            };
        };
        const before = await deploymentAndKey({});
        expect(before.annotations[ROLL_ANNOTATIONS.masterKey]).to.equal(sha256(before.key));
        // A digest, which reveals nothing of the key: the Deployment's template is not made secret by it.
        expect(before.deployment.secretPaths).to.deep.equal([]);
        expect(JSON.stringify(field(before.deployment, "spec"))).to.not.contain(before.key);
        expect(before.annotations).to.not.have.property(ROLL_ANNOTATIONS.vertexCredentials);
        const rotated = await deploymentAndKey({ litellmMasterKeyRotation: 1 });
        expect(rotated.key).to.not.equal(before.key);
        expect(rotated.annotations[ROLL_ANNOTATIONS.masterKey]).to.equal(sha256(rotated.key));
        expect(rotated.annotations[ROLL_ANNOTATIONS.config]).to.equal(before.annotations[ROLL_ANNOTATIONS.config]);
        expect((await deploymentAndKey({ litellmMasterKeyRotation: 2 })).key).to.not.equal(rotated.key);

        const inline = (privateKey: string) =>
            JSON.stringify({
                type: "service_account",
                project_id: "abevalflow-prod",
                client_email: "a@abevalflow-prod.iam.gserviceaccount.com",
                private_key: privateKey,
            });
        const withKey = async (json: string) =>
            (await deploymentAndKey({ litellmVertexCredentials: json, litellmVertexCredentialsSecretName: "" }))
                .annotations;
        const one = await withKey(inline("one"));
        expect(one[ROLL_ANNOTATIONS.vertexCredentials]).to.equal(sha256(inline("one")));
        expect((await withKey(inline("two")))[ROLL_ANNOTATIONS.vertexCredentials]).to.not.equal(
            one[ROLL_ANNOTATIONS.vertexCredentials],
        );
    });

    it("always sets the master key variable the config refers to, from a generated Secret", async () => {
        const run = await runProgram(stackConfig("dev"));
        const env = container(named(run, DEPLOYMENT, LITELLM.name)).env.find((e) => e.name === LITELLM.masterKeyEnv);
        expect(env?.valueFrom?.secretKeyRef).to.deep.equal({
            name: LITELLM.masterKeySecret,
            key: LITELLM.masterKeyEnv,
        });
        const secret = named(run, SECRET, LITELLM.masterKeySecret);
        expect((field(secret, "stringData") as Record<string, string>)[LITELLM.masterKeyEnv]).to.equal(
            "sk-mock-generated-password",
        );
        expect(secret.secretPaths).to.include("stringData");
        expect(ofType(run, "random:index/randomPassword:RandomPassword")).to.have.length(1);
    });

    it("mounts an existing credentials Secret by name, or creates one from the secret stack value", async () => {
        const existing = await runProgram(stackConfig("dev"));
        const volume = (run: typeof existing) =>
            podSpec(named(run, DEPLOYMENT, LITELLM.name)).volumes.find((v) => v.name === "vertex-credentials");
        expect(volume(existing)?.secret?.secretName).to.equal("vertex-service-account");
        expect(ofType(existing, SECRET).map((s) => field(s, "metadata", "name"))).to.not.include(
            LITELLM.credentialsSecret,
        );

        const json = JSON.stringify({
            type: "service_account",
            project_id: "p",
            private_key: "k",
            client_email: "e@p.iam.gserviceaccount.com",
        });
        const inline = await runProgram(
            withMode("dev", "litellm", { litellmVertexCredentialsSecretName: "", litellmVertexCredentials: json }),
        );
        expect(volume(inline)?.secret?.secretName).to.equal(LITELLM.credentialsSecret);
        const credentials = named(inline, SECRET, LITELLM.credentialsSecret);
        expect((field(credentials, "stringData") as Record<string, string>)[LITELLM.credentialsKey]).to.equal(json);
        expect(credentials.secretPaths).to.include("stringData");
    });

    it("is highly available: replicas from config, spread over nodes, a disruption budget, surge-only rollouts", async () => {
        const run = await runProgram(stackConfig("prod"));
        const deployment = named(run, DEPLOYMENT, LITELLM.name);
        expect(field(deployment, "spec", "replicas")).to.equal(3);
        expect(field(deployment, "spec", "strategy")).to.deep.equal({
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        expect(podSpec(deployment).topologySpreadConstraints.map((t) => t.topologyKey)).to.deep.equal([
            "kubernetes.io/hostname",
        ]);
        // A drained (cordoned, so tainted) node leaves the spread: its replicas can move to the rest.
        expect(podSpec(deployment).topologySpreadConstraints.map((t) => t.nodeTaintsPolicy)).to.deep.equal(["Honor"]);
        const pdb = named(run, "kubernetes:policy/v1:PodDisruptionBudget", LITELLM.name);
        expect(field(pdb, "spec")).to.deep.equal({ maxUnavailable: 1, selector: { matchLabels: LITELLM.podLabels } });
    });

    it("spreads replicas over nodes as a requirement in prod and as a preference in dev", async () => {
        const whenUnsatisfiable = async (stack: string) =>
            podSpec(named(await runProgram(stackConfig(stack)), DEPLOYMENT, LITELLM.name)).topologySpreadConstraints[0]
                .whenUnsatisfiable;
        expect(await whenUnsatisfiable("prod")).to.equal("DoNotSchedule");
        expect(await whenUnsatisfiable("dev")).to.equal("ScheduleAnyway");
    });

    it("lets a stopping proxy finish its longest request: preStop delay, then a grace period past the request timeout", async () => {
        for (const timeout of [600, 45]) {
            const run = await runProgram(withMode("dev", "litellm", { litellmRequestTimeoutSeconds: timeout }));
            const deployment = named(run, DEPLOYMENT, LITELLM.name);
            const spec = podSpec(deployment);
            const lifecycle = container(deployment).lifecycle;
            expect(lifecycle.preStop.sleep.seconds).to.be.within(5, 30);
            expect(spec.terminationGracePeriodSeconds).to.be.greaterThan(lifecycle.preStop.sleep.seconds + timeout);
        }
    });

    it("probes the public health routes, never /health", async () => {
        const c = container(named(await runProgram(stackConfig("dev")), DEPLOYMENT, LITELLM.name));
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/health/liveliness", port: "http" });
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/health/readiness", port: "http" });
        expect(c.startupProbe.httpGet.path).to.equal("/health/liveliness");
    });

    it("serves the configured port on the container, the Service and the policies", async () => {
        const run = await runProgram(withMode("dev", "litellm", { litellmPort: 4100 }));
        const c = container(named(run, DEPLOYMENT, LITELLM.name));
        expect(c.ports).to.deep.equal([{ name: "http", containerPort: 4100, protocol: "TCP" }]);
        expect(c.args).to.deep.equal(["--config", "/etc/litellm/config.yaml", "--port", "4100"]);
        const service = named(run, "kubernetes:core/v1:Service", LITELLM.name);
        expect(field(service, "spec")).to.deep.equal({
            type: "ClusterIP",
            selector: LITELLM.podLabels,
            ports: [{ name: "http", port: 4100, targetPort: "http", protocol: "TCP" }],
        });
        expect(run.outputs.litellmUrl).to.equal("http://litellm.ab-eval-flow-dev.svc:4100");
        const proxy = named(run, NETPOL, "litellm-proxy");
        expect((field(proxy, "spec", "ingress") as { ports: object[] }[])[0].ports).to.deep.equal([
            { protocol: "TCP", port: 4100 },
        ]);
    });

    it("runs restricted with a read-only root filesystem and bounded writable /tmp", async () => {
        const deployment = named(await runProgram(stackConfig("dev")), DEPLOYMENT, LITELLM.name);
        const c = container(deployment);
        expect(c.image).to.match(/@sha256:[0-9a-f]{64}$/);
        expect(c.securityContext).to.deep.include({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
        });
        expect(c.resources.requests).to.have.keys("cpu", "memory");
        expect(c.resources.limits).to.have.keys("cpu", "memory");
        expect(c.volumeMounts.map((m) => m.mountPath)).to.include("/tmp");
        expect(
            c.env.find((e) => e.name === "LITELLM_LOCAL_MODEL_COST_MAP")?.value,
            "start without fetching from the internet",
        ).to.equal("True");
        expect(podSpec(deployment).volumes.find((v) => v.name === "tmp")?.emptyDir).to.deep.equal({ sizeLimit: "1Gi" });
    });

    it("lets only trial and pipeline pods in, and only DNS and public HTTPS out", async () => {
        const run = await runProgram(stackConfig("dev"));
        const proxy = field(named(run, NETPOL, "litellm-proxy"), "spec") as {
            policyTypes: string[];
            ingress: { from: object[] }[];
            egress: { ports: { port: number }[] }[];
        };
        expect(proxy.policyTypes).to.deep.equal(["Ingress", "Egress"]);
        expect(proxy.ingress[0].from).to.deep.equal([
            { podSelector: { matchLabels: { "abevalflow/role": "trial" } } },
            { podSelector: { matchExpressions: [{ key: "tekton.dev/pipelineRun", operator: "Exists" }] } },
        ]);
        expect(proxy.egress.map((rule) => rule.ports.map((p) => p.port))).to.deep.equal([[5353, 5353, 53, 53], [443]]);
        const deny = field(named(run, NETPOL, "litellm-default-deny"), "spec");
        expect(deny).to.deep.equal({
            podSelector: { matchLabels: LITELLM.podLabels },
            policyTypes: ["Ingress", "Egress"],
        });
    });
});
