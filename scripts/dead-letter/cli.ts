// npm run dead-letter -- <stack> [list | show <entry>] [--json]
//
// Reads the failed runs' records the cleanup job keeps on the dead-letter claim, through a
// short-lived pod that mounts the claim read-only with the cleanup pod's own image and security
// context (so it reads as the writer's user), prints what it found and deletes the pod. `list`
// (the default) prints one line per record: its entry (pipelineruns/<day written>/<run>-<uid>)
// and its files with their sizes; `show <entry>` prints the record's PipelineRun and TaskRuns.
// Exit 0 done, 1 no such entry, 2 usage, or the cluster or the claim could not be read.
import * as crypto from "crypto";
import * as path from "path";
import { CLEANUP, VOLUMES } from "../../components/names";
import { checkCluster, checkStack, failureMessage, kubectlForStack, stackValues, UsageError } from "../migrate/cli";
import { Kubectl } from "../migrate/kube";
import { stackProgram } from "../engine/program-run";
import { manifestsOf } from "../render/manifests";

const USAGE = "usage: npm run dead-letter -- <stack> [list | show <entry>] [--json]";
const MOUNT = "/dead-letter";
/** Pods the program names start with the cleanup's prefix, which no trial pod prefix may overlap (config.ts). */
const READER_PREFIX = `${CLEANUP.name}-reader-`;

export interface RecordFile {
    path: string;
    bytes: number;
    /** Only for the entry asked for with `show`. */ content?: string;
}
export interface DeadLetterEntry {
    entry: string;
    files: RecordFile[];
}

interface PodSpec {
    securityContext?: Record<string, unknown>;
    containers: { image: string; securityContext?: Record<string, unknown> }[];
}

/**
 * The reader's program (run by node, which the cleanup image has): walks the mount and prints
 * one JSON line, the entries with their files, or the one entry's files with their content.
 */
export function readerScript(show: string | undefined, root = MOUNT): string {
    return (
        `const fs=require("fs"),p=require("path");const root=${JSON.stringify(root)};` +
        `const show=${JSON.stringify(show ?? null)};const entries=[];` +
        "const walk=(d)=>{let list;try{list=fs.readdirSync(d,{withFileTypes:true});}catch(e){if(e.code==='ENOENT')return;throw e;}" +
        "const files=list.filter((e)=>e.isFile());" +
        "if(files.some((f)=>f.name==='pipelinerun.json')){const entry=p.relative(root,d);" +
        "entries.push({entry,files:files.map((f)=>({path:f.name,bytes:fs.statSync(p.join(d,f.name)).size," +
        "...(show===entry?{content:fs.readFileSync(p.join(d,f.name),'utf8')}:{})}))});}" +
        "for(const e of list.filter((e)=>e.isDirectory()&&!e.name.startsWith('.')))walk(p.join(d,e.name));};" +
        "walk(p.join(root,'pipelineruns'));" +
        "entries.sort((a,b)=>a.entry.localeCompare(b.entry));console.log(JSON.stringify(entries));"
    );
}

/** The reader pod: the cleanup pod's image and security contexts, the claim mounted read-only, no token, no network use. */
export function readerPod(
    namespace: string,
    name: string,
    cleanupPod: PodSpec,
    script: string,
): Record<string, unknown> {
    const [cleanup] = cleanupPod.containers;
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name,
            namespace,
            labels: { "app.kubernetes.io/part-of": "abevalflow", "app.kubernetes.io/component": "dead-letter-reader" },
        },
        spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            securityContext: cleanupPod.securityContext,
            containers: [
                {
                    name: "reader",
                    image: cleanup.image,
                    command: ["node", "-e", script],
                    securityContext: cleanup.securityContext,
                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                    volumeMounts: [{ name: "dead-letter", mountPath: MOUNT, readOnly: true }],
                },
            ],
            volumes: [
                { name: "dead-letter", persistentVolumeClaim: { claimName: VOLUMES.deadLetter, readOnly: true } },
            ],
        },
    };
}

/** Runs the reader pod to completion and returns what it printed; the pod is deleted whatever happens. */
export function readDeadLetter(
    kubectl: Kubectl,
    namespace: string,
    cleanupPod: PodSpec,
    show: string | undefined,
    log: (s: string) => void,
    timeoutSeconds = 180,
): DeadLetterEntry[] {
    const name = `${READER_PREFIX}${crypto.randomBytes(3).toString("hex")}`;
    kubectl.ok(["create", "-f", "-"], JSON.stringify(readerPod(namespace, name, cleanupPod, readerScript(show))));
    try {
        log(`reading the claim ${VOLUMES.deadLetter} through pod ${namespace}/${name}`);
        const done = kubectl.run([
            "wait",
            "-n",
            namespace,
            `pod/${name}`,
            "--for=jsonpath={.status.phase}=Succeeded",
            `--timeout=${timeoutSeconds}s`,
        ]);
        const output = kubectl.run(["logs", "-n", namespace, name]);
        if (done.status !== 0) {
            const phase = kubectl.run([
                "get",
                "pod",
                name,
                "-n",
                namespace,
                "-o",
                'jsonpath={.status.phase}: {.status.conditions[?(@.type=="PodScheduled")].message}',
            ]);
            throw new UsageError(
                `the reader pod did not finish within ${timeoutSeconds}s (${phase.stdout.trim() || done.stderr}); ${output.stdout || output.stderr}`.trim(),
            );
        }
        return JSON.parse(output.stdout) as DeadLetterEntry[];
    } finally {
        kubectl.run(["delete", "pod", name, "-n", namespace, "--wait=false", "--ignore-not-found"]);
    }
}

function size(bytes: number): string {
    return bytes < 1024
        ? `${bytes} B`
        : bytes < 1024 * 1024
          ? `${(bytes / 1024).toFixed(1)} KB`
          : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function main(argv: string[]): Promise<number> {
    const projectDir = path.resolve(__dirname, "..", "..");
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(
            `${USAGE}\n\nLists (list) or prints (show <entry>) the failed runs' records on the stack's dead-letter claim,\n` +
                "read through a short-lived pod that mounts the claim read-only. Exit 0 done, 1 no such entry, 2 usage or the claim\n" +
                "could not be read.",
        );
        return 0;
    }
    const json = argv.includes("--json");
    const words = argv.filter((a) => a !== "--json");
    const unknown = words.filter((a) => a.startsWith("-"));
    const [stack, command = "list", entry, ...extra] = words;
    if (
        unknown.length > 0 ||
        !stack ||
        !["list", "show"].includes(command) ||
        (command === "show") !== (entry !== undefined) ||
        extra.length > 0
    ) {
        console.error(
            `${
                unknown.length > 0
                    ? `unknown option ${unknown[0]}`
                    : !stack
                      ? "which stack? give its name (the X of Pulumi.X.yaml)"
                      : !["list", "show"].includes(command)
                        ? `unknown command ${JSON.stringify(command)}`
                        : command === "show" && entry === undefined
                          ? "show which entry? give one that list prints"
                          : "too many arguments"
            }\n${USAGE}`,
        );
        return 2;
    }
    try {
        checkStack(stack, projectDir);
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    const log = (s: string) => process.stderr.write(`[dead-letter] ${s}\n`);
    const run = await stackProgram(stackValues(stack, projectDir));
    const config = run.config;
    if (!config.cleanup.deadLetter) {
        console.error(`stack ${stack} keeps no dead letter (abevalflow:cleanupDeadLetter is false)`);
        return 2;
    }
    const kubectl = kubectlForStack(config, process.env.KUBECTL ?? "kubectl");
    checkCluster(kubectl, config, log);
    const cron = manifestsOf(run).find((m) => m.kind === "CronJob") as unknown as
        { spec: { jobTemplate: { spec: { template: { spec: PodSpec } } } } } | undefined;
    if (!cron) {
        throw new UsageError(`stack ${stack} renders no cleanup CronJob`);
    }
    const entries = readDeadLetter(kubectl, config.namespace, cron.spec.jobTemplate.spec.template.spec, entry, log);
    if (command === "show") {
        const found = entries.find((e) => e.entry === entry);
        if (!found) {
            console.error(
                `no record ${JSON.stringify(entry)} on the claim; ${entries.length} there (npm run dead-letter -- ${stack} list)`,
            );
            return 1;
        }
        if (json) {
            process.stdout.write(
                `${JSON.stringify(Object.fromEntries(found.files.map((f) => [f.path, JSON.parse(f.content ?? "null")])), null, 2)}\n`,
            );
        } else {
            for (const f of found.files) {
                process.stdout.write(
                    `--- ${found.entry}/${f.path} (${size(f.bytes)})\n${JSON.stringify(JSON.parse(f.content ?? "null"), null, 2)}\n`,
                );
            }
        }
        return 0;
    }
    if (json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    } else {
        for (const e of entries) {
            process.stdout.write(`${e.entry}  ${e.files.map((f) => `${f.path} ${size(f.bytes)}`).join(", ")}\n`);
        }
        log(`${entries.length} record(s)`);
    }
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            process.stderr.write(`[dead-letter] ${failureMessage(e)}\n`);
            process.exit(2);
        },
    );
}
