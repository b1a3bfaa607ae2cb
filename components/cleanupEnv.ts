// The environment of the cleanup program (cleanup/cleanup.js): one entry per variable it
// reads, saying what the CronJob sets it to from the stack's configuration and what the
// program accepts. The cleanup component builds the CronJob's env from it and
// docs/cleanup.md's table is generated from it (npm run docs). The names are cleanup.js's own
// ENV (the table must have an entry for each), and tests/cleanup-env.spec.ts holds the
// program's reads, minimums and defaults to the entries.
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import type * as CleanupProgram from "../cleanup/cleanup";
import { CleanupConfig, findProjectFile, Labels } from "./config";
import { SCHEMA } from "./configKeys";
import { CLEANUP } from "./names";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The file the CronJob runs, and its key in the script's ConfigMap. */
export const CLEANUP_SCRIPT_KEY = "cleanup.js";

/** cleanup/cleanup.js beside Pulumi.yaml: the one copy of the program, which the CronJob runs. */
export function cleanupScriptPath(): string {
    return path.join(path.dirname(findProjectFile()), "cleanup", CLEANUP_SCRIPT_KEY);
}

// The names come from the very file the CronJob runs, loaded from the project folder also when
// this module runs compiled from bin/ (the build does not copy plain JavaScript).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time, not a module specifier
const { ALL_KINDS, ENV, selectorString } = require(cleanupScriptPath()) as typeof CleanupProgram;

/** Where the job's pod mounts the dead-letter volume. */
export const DEAD_LETTER_MOUNT = "/dead-letter";

/** What Kubernetes sets in every pod and cleanup.js reads by these names to find the API server. */
export const POD_ENV = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] as const;

export type CleanupEnvName = (typeof ENV)[keyof typeof ENV] | (typeof POD_ENV)[number];

export interface CleanupEnvInputs {
    readonly config: CleanupConfig;
    readonly trialPodLabels: Labels;
}

export interface CleanupEnvSpec {
    /** Where the CronJob's value comes from (Markdown): a stack key, or why the CronJob sets none. */
    readonly setBy: string;
    /** The CronJob's entry without its name; absent, or undefined for a configuration, where the CronJob leaves the variable unset. */
    readonly value?: (inputs: CleanupEnvInputs) => Omit<EnvVar, "name"> | undefined;
    /** What the program accepts (Markdown), besides `min` and `defaultValue`. */
    readonly form: string;
    /** For an integer: the least value the program accepts. */
    readonly min?: number;
    /** What the program does when the variable is unset: the same as with this value. */
    readonly defaultValue?: string;
}

const code = (text: string): string => `\`${text}\``;

type CleanupSchema = typeof SCHEMA.cleanup;
/** The cleanup settings that are one stack key each (not a group, such as resources). */
type KeyField = {
    [F in keyof CleanupSchema]: CleanupSchema[F] extends { readonly name: string; readonly land: unknown } ? F : never;
}[keyof CleanupSchema];

/** A variable the CronJob sets to the value of one cleanup stack key. */
function fromKey(field: KeyField, spec: Omit<CleanupEnvSpec, "setBy" | "value">): CleanupEnvSpec {
    return {
        setBy: code(SCHEMA.cleanup[field].name),
        value: ({ config }) => ({ value: String(config[field]) }),
        ...spec,
    };
}

const NOT_SET = "(not set by the CronJob)";
const OUTSIDE_A_POD = "(not set in a pod)";
const BY_KUBERNETES = "(set by Kubernetes in every pod)";
const SELECTOR_FORM = "`key=value[,key=value…]`";

export const CLEANUP_ENV = {
    [ENV.namespace]: {
        setBy: "(the pod's own namespace, from the downward API)",
        value: () => ({ valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }),
        form: "DNS label; unset: the ServiceAccount's namespace",
    },
    [ENV.trialPodSelector]: {
        setBy: code(SCHEMA.trial.podLabels.name),
        value: ({ trialPodLabels }) => ({ value: selectorString(trialPodLabels) }),
        form: `${SELECTOR_FORM}, never empty`,
    },
    [ENV.trialPodMaxAgeHours]: fromKey("trialPodMaxAgeHours", {
        form: "finished trial pods older than this many hours go",
        min: 1,
    }),
    [ENV.pipelineRunMaxAgeHours]: fromKey("pipelineRunMaxAgeHours", {
        form: "PipelineRuns completed longer ago than this many hours go",
        min: 1,
    }),
    [ENV.pipelineRunKeepRecent]: fromKey("pipelineRunKeepRecent", {
        form: "completed PipelineRuns kept whatever their age",
        min: 0,
    }),
    [ENV.imageStreamMaxAgeHours]: fromKey("imageStreamMaxAgeHours", {
        form: "ImageStreams whose newest image is older than this many hours go",
        min: 1,
    }),
    // Always set, so an empty selector is the CronJob's choice, not an accident: no ImageStream is pruned.
    [ENV.imageStreamSelector]: fromKey("imageStreamSelector", {
        form: `${SELECTOR_FORM}, or empty: no ImageStream is pruned`,
        defaultValue: "",
    }),
    [ENV.deadLetterDir]: {
        setBy: `${code(DEAD_LETTER_MOUNT)} when ${code(SCHEMA.cleanup.deadLetter.name)} is true`,
        value: ({ config }) => (config.deadLetter ? { value: DEAD_LETTER_MOUNT } : undefined),
        form: "absolute path of a writable directory, or empty: no dead letter",
        defaultValue: "",
    },
    [ENV.deadLetterRetentionDays]: {
        ...fromKey("deadLetterRetentionDays", { form: `required with ${code(ENV.deadLetterDir)}`, min: 1 }),
        value: ({ config }) => (config.deadLetter ? { value: String(config.deadLetterRetentionDays) } : undefined),
    },
    [ENV.dryRun]: fromKey("dryRun", { form: "`true` or `false`", defaultValue: "false" }),
    [ENV.concurrency]: fromKey("concurrency", { form: "deletes (and TaskRun lists) in flight", min: 1 }),
    [ENV.kinds]: {
        setBy: NOT_SET,
        form: "comma-separated subset of the kinds to prune",
        defaultValue: ALL_KINDS.join(","),
    },
    [ENV.requestTimeoutSeconds]: {
        setBy: NOT_SET,
        form: "seconds one API request may take from sending to its last byte, so a server that trickles its answer cannot hold the run",
        min: 1,
        defaultValue: "60",
    },
    [ENV.cronJobName]: {
        setBy: `${code(CLEANUP.name)}, the CronJob itself`,
        value: () => ({ value: CLEANUP.name }),
        form: "the CronJob each run leaves an Event on; empty: no Event",
        defaultValue: "",
    },
    [ENV.lastRunConfigMap]: {
        setBy: `${code(CLEANUP.lastRunConfigMap)}, which \`pulumi up\` creates without data`,
        value: () => ({ value: CLEANUP.lastRunConfigMap }),
        form: "the ConfigMap each run patches its record into (the last run, and the last runs); empty: no record",
        defaultValue: "",
    },
    [ENV.apiUrl]: {
        setBy: OUTSIDE_A_POD,
        form: `the API server's URL (\`https://host:port\`); unset: from ${code(POD_ENV[0])} and ${code(POD_ENV[1])}`,
    },
    [ENV.token]: { setBy: OUTSIDE_A_POD, form: `a bearer token; unset: read from ${code(ENV.tokenFile)}` },
    [ENV.tokenFile]: { setBy: OUTSIDE_A_POD, form: "a file holding the token; unset: the ServiceAccount's token" },
    [ENV.caFile]: {
        setBy: OUTSIDE_A_POD,
        form: "a file holding the API server's CA certificates; unset: the ServiceAccount's CA",
    },
    [ENV.insecure]: {
        setBy: OUTSIDE_A_POD,
        form: `\`true\`: no check of the server's certificate, instead of ${code(ENV.caFile)}`,
        defaultValue: "false",
    },
    [POD_ENV[0]]: {
        setBy: BY_KUBERNETES,
        form: `the \`kubernetes\` Service's address, used when ${code(ENV.apiUrl)} is unset`,
    },
    [POD_ENV[1]]: { setBy: BY_KUBERNETES, form: "that Service's port", defaultValue: "443" },
} satisfies Record<CleanupEnvName, CleanupEnvSpec>;

/** The CronJob's env: every variable the table gives a value for this configuration, in the table's order. */
export function cleanupEnv(config: CleanupConfig, trialPodLabels: Labels): EnvVar[] {
    return Object.entries(CLEANUP_ENV).flatMap(([name, spec]: [string, CleanupEnvSpec]) => {
        const entry = spec.value?.({ config, trialPodLabels });
        return entry === undefined ? [] : [{ name, ...entry }];
    });
}

/** docs/cleanup.md's cell for what the program accepts. */
export function formText(spec: CleanupEnvSpec): string {
    return [
        ...(spec.min === undefined ? [] : [`integer ≥ ${spec.min}`]),
        spec.form,
        ...(spec.defaultValue === undefined
            ? []
            : [spec.defaultValue === "" ? "unset: as empty" : `unset: ${code(spec.defaultValue)}`]),
    ].join("; ");
}
