// The pack as the Pulumi engine meets it: started by @pulumi/pulumi's run-policy-pack (the
// script the nodejs language host runs), which loads it as `npm run build` compiled it
// (policy/package.json's main), then driven over the analyzer gRPC protocol the engine speaks.
// No Pulumi CLI needed.
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
    AnalyzeDiagnostic,
    AnalyzeRequest,
    AnalyzeResponse,
    AnalyzerInfo,
    AnalyzerResource,
    AnalyzerResourceOptions,
    AnalyzeStackRequest,
    ConfigureAnalyzerRequest,
    EnforcementLevel,
    PolicyConfig,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { RULES } from "../../policy/policies";
import prodConfig from "../../policy/config/prod.json";
import { allowPolicy, deployment, firstContainer, pvc } from "./fixtures";

const ROOT = path.resolve(__dirname, "../..");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [path.join(ROOT, "policy")] });

function startPack(): Promise<{ child: ChildProcess; port: number }> {
    return new Promise((resolve, reject) => {
        // The engine address is only used for logging back; nothing listens on it here.
        const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], {
            cwd: path.join(ROOT, "policy"),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        child.stdout?.once("data", (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
        child.once("exit", (code) =>
            reject(new Error(`the pack exited with ${String(code)} before listening:\n${stderr}`)),
        );
    });
}

function call<Req, Res>(
    method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void,
    req: Req,
): Promise<Res> {
    return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function options(protect = false): AnalyzerResourceOptions {
    return new AnalyzerResourceOptions().setProtect(protect);
}

function urnOf(type: string, name: string): string {
    return `urn:pulumi:prod::abevalflow::${type}::${name}`;
}

/** The properties as the engine sends them: JSON, so undefined fields are dropped as on the wire. */
function struct(props: object): Struct {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Record<string, JavaScriptValue>);
}

function analyzeRequest(type: string, name: string, props: object, protect = false): AnalyzeRequest {
    return new AnalyzeRequest()
        .setType(type)
        .setName(name)
        .setUrn(urnOf(type, name))
        .setProperties(struct(props))
        .setOptions(options(protect));
}

function stackResource(type: string, name: string, props: object): AnalyzerResource {
    return new AnalyzerResource()
        .setType(type)
        .setName(name)
        .setUrn(urnOf(type, name))
        .setProperties(struct(props))
        .setOptions(options());
}

function byPolicy(response: AnalyzeResponse): Map<string, AnalyzeDiagnostic[]> {
    const found = new Map<string, AnalyzeDiagnostic[]>();
    for (const d of response.getDiagnosticsList()) {
        found.set(d.getPolicyname(), [...(found.get(d.getPolicyname()) ?? []), d]);
    }
    return found;
}

describe("the policy pack over the analyzer protocol", function () {
    this.timeout(180_000);
    let pack: { child: ChildProcess; port: number };
    let client: AnalyzerClient;

    before(async () => {
        pack = await startPack();
        client = new AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.child.kill();
    });

    it("announces every rule with its description, remediation, default level and config schema", async () => {
        const info = await call<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        const policies = info.getPoliciesList();
        expect(info.getName()).to.equal("abevalflow");
        expect(policies.map((p) => p.getName())).to.deep.equal(RULES.map((r) => r.name));
        for (const [i, rule] of RULES.entries()) {
            expect(policies[i].getRemediationSteps()).to.equal(rule.remediationSteps);
            expect(policies[i].getEnforcementlevel()).to.equal(
                rule.enforcementLevel === "mandatory" ? EnforcementLevel.MANDATORY : EnforcementLevel.ADVISORY,
            );
            expect(Object.keys(policies[i].getConfigschema()?.getProperties()?.toJavaScript() ?? {})).to.have.members(
                Object.keys(rule.configSchema.properties),
            );
        }
    });

    it("accepts the prod policy config and then reports resource violations at its levels", async () => {
        const request = new ConfigureAnalyzerRequest();
        for (const [name, entry] of Object.entries(prodConfig)) {
            const { enforcementLevel: _level, ...properties } = entry;
            request
                .getPolicyconfigMap()
                .set(
                    name,
                    new PolicyConfig()
                        .setEnforcementlevel(EnforcementLevel.MANDATORY)
                        .setProperties(struct(properties)),
                );
        }
        await call<ConfigureAnalyzerRequest, Empty>(client.configure.bind(client), request);

        const proxy = deployment("litellm", 1);
        firstContainer(proxy).image = "ghcr.io/berriai/litellm:main-latest";
        const response = await call<AnalyzeRequest, AnalyzeResponse>(
            client.analyze.bind(client),
            analyzeRequest("kubernetes:apps/v1:Deployment", "litellm", proxy),
        );
        const pinned = byPolicy(response).get("pinned-images") ?? [];
        expect(pinned).to.have.length(1);
        expect(pinned[0].getEnforcementlevel()).to.equal(EnforcementLevel.MANDATORY);
        expect(pinned[0].getMessage()).to.include("main-latest").and.include("Remediation:");
        expect([...byPolicy(response).keys()]).to.deep.equal(["pinned-images"]);
    });

    it("passes opts.protect through to the PVC rule", async () => {
        const unprotected = await call<AnalyzeRequest, AnalyzeResponse>(
            client.analyze.bind(client),
            analyzeRequest("kubernetes:core/v1:PersistentVolumeClaim", "ws", pvc({})),
        );
        const protectedClaim = await call<AnalyzeRequest, AnalyzeResponse>(
            client.analyze.bind(client),
            analyzeRequest("kubernetes:core/v1:PersistentVolumeClaim", "ws", pvc({}), true),
        );
        expect([...byPolicy(unprotected).keys()]).to.deep.equal(["pvc-retained"]);
        expect(protectedClaim.getDiagnosticsList()).to.deep.equal([]);
    });

    it("runs the stack rules and points each violation at the offending resource", async () => {
        const request = new AnalyzeStackRequest().setResourcesList([
            stackResource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "trial-allow", allowPolicy()),
            stackResource("random:index/randomPassword:RandomPassword", "key", { length: 32 }),
        ]);
        const response = await call<AnalyzeStackRequest, AnalyzeResponse>(client.analyzeStack.bind(client), request);
        const found = byPolicy(response).get("default-deny-plus-allow") ?? [];
        expect(found).to.have.length(1);
        expect(found[0].getUrn()).to.equal(urnOf("kubernetes:networking.k8s.io/v1:NetworkPolicy", "trial-allow"));
    });
});
