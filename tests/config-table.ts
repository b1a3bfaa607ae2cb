// Values per stack key, each with the program's verdict, and for those the program refuses
// although the API server accepts them, why the program is deliberately stricter. `npm test`
// (tests/config-table.spec.ts) checks the program's column; tests/e2e/config-apiserver.e2e.ts
// sends every value, as the object the program would build, to a real API server and checks
// that it agrees except on the rows marked stricter.
import { KeyName, LLM_MODES, LlmMode } from "../components/configKeys";

export type Verdict = "accept" | "refuse";

export interface Row {
    /** As written in a stack file; integers beyond 2^53 as text, as the engine passes every value. */
    readonly value: unknown;
    readonly program: Verdict;
    /** Set on rows the program refuses and the API server accepts: why the program refuses. */
    readonly stricter?: string;
    /** Other keys this row sets, beside the dev stack's values. */
    readonly with?: Readonly<Record<string, unknown>>;
}

/**
 * Where a key's value meets the API server, which says how the e2e asks it.
 * - objects: in the fields of the objects the program renders. The e2e renders with `standIn`,
 *   takes the objects it appears in, and puts the row's value wherever the stand-in is (exact
 *   fields; inside texts too where `inText`), so that values the program refuses reach the API
 *   server as the program would have sent them.
 * - trialPod: in the published trial baseline, which the pipeline's trial pods are built from:
 *   the e2e builds such a pod from the rendered baseline and the API server judges the pod.
 * - listSelector: cleanup.js sends it as the labelSelector of its list calls; the e2e sends it
 *   as the labelSelector of a list call.
 * - none: the value lands in no object the API server reads (a choice between objects, provider
 *   settings, a secret); the e2e has nothing to send, and says so.
 */
export type Landing =
    | {
          readonly kind: "objects";
          readonly standIn: unknown;
          readonly inText?: boolean;
          readonly derived?: readonly string[];
      }
    | { readonly kind: "trialPod"; readonly standIn: string }
    | { readonly kind: "listSelector" }
    | { readonly kind: "none"; readonly why: string };

export interface KeyTable {
    readonly key: KeyName;
    /** Other keys set for the stand-in and every row (a row's own `with` comes on top). */
    readonly with?: Readonly<Record<string, unknown>>;
    /** The llmMode in which the key lands (litellm, the dev stack's, when absent). */
    readonly mode?: LlmMode;
    readonly lands: Landing;
    readonly rows: readonly Row[];
}

const accept = (value: unknown, withKeys?: Record<string, unknown>): Row => ({
    value,
    program: "accept",
    with: withKeys,
});
const refuse = (value: unknown, withKeys?: Record<string, unknown>): Row => ({
    value,
    program: "refuse",
    with: withKeys,
});
const stricter = (value: unknown, why: string, withKeys?: Record<string, unknown>): Row => ({
    value,
    program: "refuse",
    stricter: why,
    with: withKeys,
});

// Reasons shared by many rows.
const BEYOND_SAFE =
    "beyond 2^53 - 1 a JavaScript number is not the integer written, so the object would get another one";
const MILLIBYTES = "memory in thousandths of a byte (128m is 0.128 bytes) is always a typo for Mi";
const FRACTION_OF_BYTE = "a fraction of a byte is no amount of memory or storage";
const CAPPED = "from 2^63 on the API server caps a binary quantity and cannot count a decimal one in int64";
const TOO_FINE =
    "the API server rounds a quantity finer than 1n up, so the stored value differs from the stack's on every refresh";
const TRIMMED = "the API server trims the spaces and stores another text than the stack's, a change on every refresh";
const DOT = "the API server reads '.' as 0; no stack means that";
const ENV_TEXT = "it reaches the API server only as an environment variable's text; cleanup.js refuses it at its start";
const CONFIG_TEXT = "it reaches the API server only inside the proxy's config.yaml in a ConfigMap; LiteLLM reads it";
const CEL_TEXT = "it reaches the API server only as a string inside the admission policy's CEL, which takes any text";
const NAMESPACE_AS_LABEL =
    "a namespace name (DNS-1123 label); the API server sees it only as a label value in a namespaceSelector";
const DUPLICATE = "an entry listed twice is a typo; the API server keeps both";
const NO_DIGEST = "images are pinned by digest (the pinned-images policy); the API server takes any image reference";
const IMAGE_SPACES =
    "surrounding spaces make a reference no registry serves; the API server takes a workload template's image as it is";
const NEGATIVE_DEFAULT_REQUEST =
    "a negative request: a LimitRange's defaultRequest takes it, and every container without requests would get it";
const SECRET_NAME =
    "no Secret can have this name (a DNS-1123 subdomain), so the proxy would never start; the API server does not check a volume's secretName";
const BEYOND_INT64_APPLY =
    "beyond int64: the API server's server-side apply takes the number (it was measured to), but it is no int32";

/** The same rows with one value marked as refused deliberately, for a field where the API server takes it. */
function withStricter(rows: Row[], value: unknown, why: string): Row[] {
    return rows.map((r) => (r.value === value ? stricter(r.value, why, r.with) : r));
}

/** A cpu quantity with no rule beside it (quota), or a request with the smallest of the stack's cpu limits (500m) above it. */
function cpuRows(request?: { limitKey: string; limit: string; above: string }): Row[] {
    const rows: Row[] = [
        accept("500m"),
        accept("0.25"),
        accept("+100m"),
        accept("1e-1"),
        accept("0"),
        accept("100u"),
        refuse("-1"),
        refuse("1K"),
        refuse("1 core"),
        refuse(""),
        stricter(" 100m", TRIMMED),
        stricter(".", DOT),
        stricter("m", "a suffix without a number, which the API server reads as 0"),
        stricter("0.0000000001", TOO_FINE),
    ];
    if (request) {
        const w = { [request.limitKey]: request.limit };
        rows.push(
            accept(request.limit, w),
            refuse(request.above, w),
            refuse("1E", w),
            refuse("1Ei", w),
            refuse("1e3", w),
        );
    } else {
        rows.push(
            accept("9223372036854775807"),
            accept("1Ei"),
            stricter("9223372036854775808", CAPPED),
            stricter("8Ei", CAPPED),
        );
    }
    return rows;
}

/** A cpu limit, with `request` the stack's request below it: what the API server reads as less than the request it refuses too. */
function cpuLimitRows(request: string, below: string): Row[] {
    return [
        accept(request),
        accept("4"),
        accept("+4"),
        accept("1Ei"),
        accept("9223372036854775807"),
        refuse(below),
        refuse("0"),
        refuse("-1"),
        refuse("1K"),
        refuse("."),
        refuse("0.0000000001"),
        refuse("m"),
        stricter(" 4", TRIMMED),
        stricter("9223372036854775808", CAPPED),
        stricter("8Ei", CAPPED),
    ];
}

/** A memory quantity (whole bytes) with no rule beside it, or a request with the smallest of the stack's memory limits (256Mi) above it. */
function memoryRows(request?: { limitKey: string; limit: string; above: string }): Row[] {
    const rows: Row[] = [
        accept("256Mi"),
        accept("1000000"),
        accept("0.25Gi"),
        accept("1e6"),
        accept("1.5Ki"),
        refuse("-1Mi"),
        refuse("64 gigs"),
        refuse("10GB"),
        refuse("1MiB"),
        stricter("128m", MILLIBYTES),
        stricter("1000m", MILLIBYTES),
        stricter("5u", MILLIBYTES),
        stricter("1.5", FRACTION_OF_BYTE),
        stricter(" 256Mi", TRIMMED),
    ];
    if (request) {
        const w = { [request.limitKey]: request.limit };
        rows.push(
            accept(request.limit, w),
            refuse(request.above, w),
            refuse("1E", w),
            refuse("1Ei", w),
            refuse("1.5e10", w),
        );
    } else {
        rows.push(accept("7Ei"), stricter("8Ei", CAPPED));
    }
    return rows;
}

/** A memory limit, with `request` the stack's request below it. */
function memoryLimitRows(request: string, below: string): Row[] {
    return [
        accept(request),
        accept("4Gi"),
        accept("4294967296"),
        accept("7Ei"),
        refuse(below),
        refuse("0"),
        refuse("-1Gi"),
        refuse("10GB"),
        refuse("128m"),
        refuse("1.5"),
        stricter(" 4Gi", TRIMMED),
        stricter("8Ei", CAPPED),
    ];
}

/** A port of the program's objects (container, Service or NetworkPolicy port: int32, 1 to 65535). */
function portRows(typical: number): Row[] {
    return [
        accept(typical),
        accept(1),
        accept(65535),
        refuse(0),
        refuse(65536),
        refuse(-1),
        refuse("2147483648"),
        refuse("4294967376"),
    ];
}

const NAMED_PORT = "port numbers; a policy port given by name matches only pods that name their port so";

/** A port list landing in NetworkPolicy ports. */
function portListRows(typical: number[]): Row[] {
    return [
        accept(typical),
        accept([...typical, 8443]),
        refuse([0]),
        refuse([65536]),
        refuse([-1]),
        refuse(["4294967376"]),
        stricter(["https"], NAMED_PORT),
        stricter([...typical, typical[0]], DUPLICATE),
    ];
}

/** A name that lands as a DNS-1123 subdomain the API server checks (a Secret, a claim, a class). */
function subdomainRows(typical: string): Row[] {
    return [
        accept(typical),
        accept("a.b-c"),
        accept("x".repeat(253)),
        refuse("x".repeat(254)),
        refuse("Upper"),
        refuse("a_b"),
        refuse("-a"),
        refuse("a."),
    ];
}

/** A label list (key=value entries) landing in selectors; `emptyWhy` for [] (which selects every pod). */
function labelRows(typical: string[], emptyWhy: string): Row[] {
    return [
        accept(typical),
        accept(["role=x", "team=ml"]),
        accept(["example.com/role=trial-1"]),
        accept(["a=" + "v".repeat(63)]),
        refuse(["role=two words"]),
        refuse(["Role_=x"]),
        refuse(["a/b/c=x"]),
        refuse(["role=" + "v".repeat(64)]),
        stricter(["role"], "each entry is key=value; a bare key would select pods with an empty value"),
        stricter(["role=x", "role=y"], "the key is given twice and only one value would select"),
        stricter([], emptyWhy),
    ];
}

/** A name list that reaches the API server only inside CEL text (the admission policy). */
function celNameRows(typical: string[]): Row[] {
    return [
        accept(typical),
        accept([]),
        accept([...typical, "other-name"]),
        stricter(["Upper_Case"], `a DNS-1123 subdomain; ${CEL_TEXT}`),
        stricter(["a b"], `a DNS-1123 subdomain; ${CEL_TEXT}`),
    ];
}

/** An integer read by cleanup.js from an environment variable. */
function envIntRows(typical: number, min: number): Row[] {
    return [
        accept(typical),
        accept(min),
        accept("2147483647"),
        stricter(min - 1, `at least ${min}; ${ENV_TEXT}`),
        stricter("2147483648", `int32; ${ENV_TEXT}`),
        stricter("9223372036854775808", `int32; ${ENV_TEXT}`),
        stricter("1.5", `an integer; ${ENV_TEXT}`),
    ];
}

/** An int32 field of the CronJob or its Job, non-negative for the API server. */
function int32FieldRows(typical: number, min: number): Row[] {
    return [
        accept(typical),
        accept(min),
        accept("2147483647"),
        refuse(-1),
        refuse("2147483648"),
        stricter("9223372036854775808", BEYOND_INT64_APPLY),
        refuse("1.5"),
    ];
}

const BOOL_NONE = (what: string): Landing => ({
    kind: "none",
    why: `true or false choose ${what}; the value itself lands nowhere`,
});
const boolRows = (): Row[] => [accept(true), accept(false), accept("true"), refuse("yes"), refuse(1)];

// A service-account key in JSON form, as the unit tests use (no real key).
const SERVICE_ACCOUNT_JSON = JSON.stringify({
    type: "service_account",
    project_id: "abevalflow-dev",
    client_email: "litellm@abevalflow-dev.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
});
const IMAGE = "registry.example/abevalflow/standin@sha256:" + "a".repeat(64);

function imageRows(typical: string): Row[] {
    return [
        accept(typical),
        accept(IMAGE),
        accept("registry.example:5000/a/b:v1@sha256:" + "0".repeat(64)),
        refuse(""),
        stricter(` ${typical}`, IMAGE_SPACES),
        stricter(typical.replace(/@sha256:.*$/, ""), NO_DIGEST),
        stricter(typical.replace(/@sha256:.*$/, "@sha256:abc"), NO_DIGEST),
        stricter("registry.example/a/b:latest", NO_DIGEST),
    ];
}

function cronRows(): Row[] {
    const deliberately = "the parser Kubernetes uses accepts it, but it is always a mistake here";
    return [
        accept("0 3 * * *"),
        accept("0 3 * * 0-6"),
        accept("0 3 * * sun"),
        accept("0 3 * * Sat"),
        accept("0 3 * * MON-FRI"),
        accept("0 3 * JAN-MAR *"),
        accept("*/15 * * * *"),
        accept("5/15 * * * *"),
        accept("0 3 1,15 * *"),
        accept("0 3 ? * SUN"),
        accept("? ? ? ? ?"),
        accept("0 3 * * +1"),
        accept("0\t3 * * *"),
        accept("  0 3 * * *  "),
        accept("0 3 31 2 *"),
        accept("@daily"),
        accept("@midnight"),
        accept("@hourly"),
        accept("@weekly"),
        accept("@monthly"),
        accept("@yearly"),
        accept("@annually"),
        accept("@every 1h30m"),
        accept("@every 1.5h"),
        accept("@every 60s"),
        refuse("0 3 * * 7"),
        refuse("0 3 * * SUN-7"),
        refuse("0 3 * * MON-SUN"),
        refuse("61 3 * * *"),
        refuse("0 24 * * *"),
        refuse("0 3 0 * *"),
        refuse("0 3 32 * *"),
        refuse("0 3 * 13 *"),
        refuse("0 3 * * 1#2"),
        refuse("0 3 L * *"),
        refuse("0 3 15W * *"),
        refuse("0 0 3 * * *"),
        refuse("0 3 * *"),
        refuse("daily"),
        refuse(" @daily"),
        refuse("@daily "),
        refuse("@reboot"),
        refuse("@Daily"),
        refuse("@every 1d"),
        refuse("@every"),
        refuse("*/0 * * * *"),
        refuse("1-2-3 * * * *"),
        refuse("1/2/3 * * * *"),
        refuse("-1 3 * * *"),
        refuse("TZ=UTC 0 3 * * *"),
        refuse("CRON_TZ=Europe/Berlin 0 3 * * *"),
        refuse(""),
        stricter(
            "@every 30s",
            `an @every period under a minute; Kubernetes runs it, and 0 or a negative one, every second (${deliberately})`,
        ),
        stricter("@every 0", `an @every period under a minute; ${deliberately}`),
        stricter("@every -1h", `a negative @every period, which Kubernetes runs every second; ${deliberately}`),
        stricter("0 3 * * 1,,5", `an empty entry between commas, which the parser drops; ${deliberately}`),
        stricter("0 3 * * ,", `a field of commas alone, which never fires; ${deliberately}`),
        stricter("*-5 3 * * *", `*-5 is read as *, the range ignored; ${deliberately}`),
    ];
}

function timeZoneRows(): Row[] {
    return [
        accept("Etc/UTC"),
        accept("UTC"),
        accept("Europe/Berlin"),
        accept("EST5EDT"),
        accept("Etc/GMT+5"),
        accept("Etc/GMT-14"),
        accept("America/Argentina/ComodRivadavia"),
        accept("America/Port-au-Prince"),
        accept("America/North_Dakota/New_Salem"),
        accept("GMT0"),
        accept("Factory"),
        accept("Zulu"),
        refuse("europe/berlin"),
        refuse("EUROPE/BERLIN"),
        refuse("utc"),
        refuse("Local"),
        refuse("local"),
        refuse("Mars/Olympus"),
        refuse("Europe/Berlin "),
        refuse("Europe//Berlin"),
        refuse("Europe/"),
        refuse("/Europe/Berlin"),
        refuse("../etc/passwd"),
        refuse("Europe/Berlin/Mitte"),
        refuse("America/Argentina/ComodRivadaviaX"),
        refuse(""),
        accept("EST"),
    ];
}

function selectorRows(): Row[] {
    const cleanupReads =
        "cleanup.js reads the selector first, as key=value terms split at commas and trimmed, and refuses this";
    return [
        accept(""),
        accept("a=b"),
        accept("a=b,c=d"),
        accept("a=b, c=d"),
        accept("a=b ,c=d"),
        accept(" a=b "),
        accept("a=b,\tc="),
        accept("example.com/team=ml"),
        accept("in=notin"),
        refuse("a=b,"),
        refuse(",a=b"),
        refuse("a=b c=d"),
        refuse("a b=c"),
        refuse("a=b=c"),
        refuse("a=" + "v".repeat(64)),
        refuse("-a=b"),
        refuse("a=b,,c=d"),
        refuse("a in (b"),
        stricter("a = b", cleanupReads),
        stricter("a==b", cleanupReads),
        stricter("a!=b", cleanupReads),
        stricter("a in (b,c)", cleanupReads),
        stricter("a", cleanupReads),
        stricter("!a", cleanupReads),
        stricter("a=b,a=c", "the key is given twice; cleanup.js would keep only the last value"),
        stricter("  ", "spaces alone: every ImageStream for the API server, none for cleanup.js"),
    ];
}

export const CONFIG_TABLE: readonly KeyTable[] = [
    // --- identity
    {
        key: "namespace",
        lands: { kind: "objects", standIn: "standin-ns", inText: true },
        rows: [
            accept("team-a"),
            accept("1abc"),
            accept("x".repeat(63)),
            refuse("x".repeat(64)),
            refuse("AB_Eval"),
            refuse("-ns"),
            refuse("ns."),
            refuse("a.b"),
            stricter(
                "default",
                "default belongs to the cluster, whose own pods the quota, the policies and the cleanup would reach",
            ),
            stricter("kube-public", "kube-* namespaces belong to the cluster"),
            stricter("openshift-pipelines", "openshift-* namespaces belong to the cluster"),
        ],
    },
    {
        key: "environment",
        lands: {
            kind: "none",
            why: "it decides rules between keys (prod needs 2 proxy replicas) and lands in no object",
        },
        rows: [
            accept("dev"),
            accept("prod", { litellmReplicas: 2 }),
            refuse("staging"),
            refuse("Prod", { litellmReplicas: 2 }),
            refuse("prod", { litellmReplicas: 1 }),
        ],
    },
    {
        key: "llmMode",
        lands: { kind: "none", why: "it chooses which objects exist; its text lands in none" },
        rows: [...LLM_MODES.map((mode) => accept(mode)), refuse("openai"), refuse("LiteLLM")],
    },
    {
        key: "manageNamespace",
        lands: BOOL_NONE("between creating the Namespace and patching its labels"),
        rows: boolRows(),
    },
    {
        key: "kubeContext",
        lands: { kind: "none", why: "it configures the program's kubernetes provider, not an object" },
        rows: [accept(""), accept("prod-admin"), accept("default/api-cluster:6443/admin")],
    },
    {
        key: "clusterId",
        lands: { kind: "none", why: "it is compared with namespace kube-system's uid at deploy time, not sent" },
        rows: [
            accept(""),
            accept("3f2c9a3e-8b1d-4c7e-9f61-2a5d0c4e7b10"),
            refuse("3F2C9A3E-8B1D-4C7E-9F61-2A5D0C4E7B10"),
            refuse("kube-system"),
            refuse("3f2c9a3e"),
        ],
    },
    // --- pod security admission: the levels land in the Namespace's labels, which PodSecurity admission checks.
    // The other two levels are privileged, so that the stand-in is this key's label alone.
    ...(["podSecurityEnforce", "podSecurityWarn", "podSecurityAudit"] as const).map((key): KeyTable => ({
        key,
        lands: { kind: "objects", standIn: "restricted" },
        with: Object.fromEntries(
            ["podSecurityEnforce", "podSecurityWarn", "podSecurityAudit"]
                .filter((k) => k !== key)
                .map((k) => [k, "privileged"]),
        ),
        rows: [
            accept("privileged"),
            accept("baseline"),
            accept("restricted"),
            refuse("strict"),
            refuse("Baseline"),
            refuse(""),
        ],
    })),
    { key: "podSecurityLabelSync", lands: BOOL_NONE("the text of a Namespace label"), rows: boolRows() },
    // --- quota and container defaults
    {
        key: "quotaPods",
        lands: { kind: "objects", standIn: 4711 },
        rows: [
            accept(1),
            accept(50),
            accept("9007199254740991"),
            refuse(-1),
            refuse("fifty"),
            refuse("1.5"),
            stricter(0, "a namespace without pods runs nothing"),
            stricter("9007199254740992", BEYOND_SAFE),
        ],
    },
    { key: "quotaRequestsCpu", lands: { kind: "objects", standIn: "6700m" }, rows: cpuRows() },
    { key: "quotaLimitsCpu", lands: { kind: "objects", standIn: "13300m" }, rows: cpuRows() },
    { key: "quotaRequestsMemory", lands: { kind: "objects", standIn: "15Gi" }, rows: memoryRows() },
    { key: "quotaLimitsMemory", lands: { kind: "objects", standIn: "31Gi" }, rows: memoryRows() },
    {
        key: "quotaPersistentVolumeClaims",
        lands: { kind: "objects", standIn: 4712 },
        rows: [
            accept(2),
            accept(5),
            accept("9007199254740991"),
            refuse(-1),
            refuse("ten"),
            stricter(1, "the program itself creates 2 claims"),
            stricter(0, "the program itself creates 2 claims"),
            stricter("9007199254740992", BEYOND_SAFE),
        ],
    },
    {
        key: "containerDefaultCpuRequest",
        lands: { kind: "objects", standIn: "110m" },
        rows: withStricter(
            cpuRows({ limitKey: "containerDefaultCpuLimit", limit: "1", above: "1001m" }),
            "-1",
            NEGATIVE_DEFAULT_REQUEST,
        ),
    },
    {
        key: "containerDefaultCpuLimit",
        lands: { kind: "objects", standIn: "1100m" },
        rows: cpuLimitRows("100m", "99m"),
    },
    {
        key: "containerDefaultMemoryRequest",
        lands: { kind: "objects", standIn: "129Mi" },
        rows: withStricter(
            memoryRows({ limitKey: "containerDefaultMemoryLimit", limit: "1Gi", above: "1025Mi" }),
            "-1Mi",
            NEGATIVE_DEFAULT_REQUEST,
        ),
    },
    {
        key: "containerDefaultMemoryLimit",
        lands: { kind: "objects", standIn: "1025Mi" },
        rows: memoryLimitRows("128Mi", "127Mi"),
    },
    // --- trial pods
    {
        key: "trialPodLabels",
        lands: {
            kind: "objects",
            standIn: ["abevalflow.e2e/standin=standin-value", "abevalflow.e2e/standin2=standin-value2"],
            inText: true,
        },
        rows: [
            ...labelRows(
                ["abevalflow/role=trial"],
                "an empty selector selects every pod of the namespace, the program's own included",
            ),
            stricter(
                ["app.kubernetes.io/part-of=abevalflow"],
                "these labels also select the LiteLLM proxy's and the cleanup's pods, which would get the trial egress policies",
            ),
        ],
    },
    {
        key: "trialCpuRequest",
        lands: { kind: "trialPod", standIn: "510m" },
        rows: cpuRows({ limitKey: "trialCpuLimit", limit: "2", above: "2001m" }),
    },
    { key: "trialCpuLimit", lands: { kind: "trialPod", standIn: "2100m" }, rows: cpuLimitRows("500m", "499m") },
    {
        key: "trialMemoryRequest",
        lands: { kind: "trialPod", standIn: "513Mi" },
        rows: memoryRows({ limitKey: "trialMemoryLimit", limit: "2Gi", above: "2049Mi" }),
    },
    {
        key: "trialMemoryLimit",
        lands: { kind: "trialPod", standIn: "2049Mi" },
        rows: memoryLimitRows("512Mi", "511Mi"),
    },
    { key: "trialTmpSizeLimit", lands: { kind: "trialPod", standIn: "1025Mi" }, rows: [...memoryRows(), accept("0")] },
    {
        key: "trialIngressPorts",
        lands: { kind: "objects", standIn: [4713, 4734] },
        rows: [accept([]), ...portListRows([8080])],
    },
    // --- admission of the pipeline's pods
    {
        key: "admissionPolicy",
        lands: BOOL_NONE("whether the admission policy and its binding exist"),
        rows: boolRows(),
    },
    {
        key: "trialServiceAccounts",
        lands: { kind: "objects", standIn: ["standin-sa-a", "standin-sa-b"], inText: true },
        rows: [
            ...celNameRows(["default"]),
            stricter(["litellm"], "the proxy's account; a trial pod would carry its token"),
            stricter(["pipeline"], "the pipeline's own account"),
        ],
    },
    {
        key: "trialSecretNames",
        lands: { kind: "objects", standIn: ["standin-secret-a", "standin-secret-b"], inText: true },
        rows: [
            ...celNameRows(["db-credentials"]),
            stricter(["vertex-service-account"], "the Secret of the Vertex AI key, which trial pods must never hold"),
        ],
    },
    {
        key: "trialClaimNames",
        lands: { kind: "objects", standIn: ["standin-claim-a", "standin-claim-b"], inText: true },
        rows: [
            ...celNameRows(["abevalflow-workspace"]),
            stricter(["abevalflow-dead-letter"], "the dead-letter claim, which only the cleanup job may mount"),
        ],
    },
    {
        key: "trialPodNamePrefix",
        lands: { kind: "objects", standIn: "standin-prefix-", inText: true },
        rows: [
            accept("trial-"),
            accept("run."),
            accept("t"),
            accept("x".repeat(58)),
            stricter("", `an empty prefix is every pod's; ${CEL_TEXT}`),
            stricter("Trial-", `a name prefix is lower case; ${CEL_TEXT}`),
            stricter(
                "lite",
                "the LiteLLM proxy's pod names start with it, and the pipeline may exec into pods with the prefix",
            ),
            stricter("x".repeat(59), `generateName keeps at most 58 characters of a prefix; ${CEL_TEXT}`),
        ],
    },
    // --- pipeline RBAC
    {
        key: "pipelineServiceAccount",
        lands: { kind: "objects", standIn: "standin-pipeline", inText: true },
        rows: [
            accept("pipeline"),
            accept("tekton-runner"),
            accept("a.b"),
            refuse("Pipeline"),
            refuse("x".repeat(254)),
            refuse("a_b"),
            stricter("litellm", "the LiteLLM proxy's ServiceAccount"),
            stricter("abevalflow-cleanup", "the cleanup's ServiceAccount"),
        ],
    },
    {
        key: "pipelineNeedsSecrets",
        lands: BOOL_NONE("whether the pipeline's Role has a rule for Secrets"),
        rows: boolRows(),
    },
    {
        key: "pipelineSecretNames",
        lands: { kind: "objects", standIn: ["standin-db-secret-a", "standin-db-secret-b"] },
        rows: [
            accept(["ab-eval-db-credentials"]),
            accept(["a", "b"]),
            accept(["x".repeat(253)]),
            stricter(["Db Credentials"], "a Secret name; a Role's resourceNames may be any text"),
            stricter([], "a rule with no resourceNames would grant get on every Secret of the namespace"),
            stricter(["vertex-service-account"], "the Secret of the Vertex AI key, which only the proxy reads"),
            stricter(["litellm-vertex-credentials"], "the Secret of the Vertex AI key the program writes"),
        ],
    },
    {
        key: "pipelineManagesPvcs",
        lands: BOOL_NONE("whether the pipeline's Role grants delete on claims"),
        rows: boolRows(),
    },
    {
        key: "pipelineSccClusterRole",
        lands: { kind: "objects", standIn: "standin-scc-role" },
        rows: [
            accept("pipelines-scc-clusterrole"),
            accept(""),
            accept("system:openshift:scc:pipelines-scc"),
            accept("Pipelines_SCC"),
            refuse("a/b"),
            refuse(".."),
            refuse("a%2Fb"),
        ],
    },
    { key: "previewIdentity", lands: BOOL_NONE("whether the preview identity's objects exist"), rows: boolRows() },
    // --- DNS egress
    {
        key: "dnsNamespace",
        lands: { kind: "objects", standIn: "standin-dns" },
        rows: [
            accept("openshift-dns"),
            accept("kube-system", { dnsPorts: [53] }),
            accept("x".repeat(63)),
            refuse("x".repeat(64)),
            refuse("-dns"),
            stricter("Kube_System", NAMESPACE_AS_LABEL),
            stricter("dns.example", NAMESPACE_AS_LABEL),
        ],
    },
    {
        key: "dnsPodLabels",
        lands: { kind: "objects", standIn: ["abevalflow.e2e/dns=standin-value", "abevalflow.e2e/dns2=standin-value2"] },
        rows: labelRows(
            ["dns.operator.openshift.io/daemonset-dns=default"],
            "an empty selector would allow DNS egress to every pod of the DNS namespace",
        ),
    },
    {
        key: "dnsPorts",
        lands: { kind: "objects", standIn: [5353, 4714] },
        rows: [
            ...portListRows([5353, 53]),
            accept([53, 5353]),
            stricter(
                [53],
                "OpenShift's DNS pods listen on 5353 behind the Service's 53, and egress is checked after the translation",
            ),
        ],
    },
    // --- direct-api mode
    {
        key: "directApiExtraExceptCidrs",
        mode: "direct-api",
        lands: { kind: "objects", standIn: ["198.51.100.0/25", "198.51.100.128/25"] },
        rows: [
            accept([]),
            accept(["203.0.113.0/24"]),
            accept(["203.0.113.0/24", "192.0.2.128/25"]),
            accept(["fd00:10::/64"]),
            refuse(["100.64.0.0/33"]),
            refuse(["not-a-cidr"]),
            refuse(["0.0.0.0/0"]),
            refuse(["300.1.0.0/16"]),
        ],
    },
    // --- self-hosted mode
    {
        key: "selfHostedNamespace",
        mode: "self-hosted",
        lands: { kind: "objects", standIn: "standin-models" },
        rows: [
            accept(""),
            accept("models"),
            accept("x".repeat(63)),
            refuse("x".repeat(64)),
            stricter("Models", NAMESPACE_AS_LABEL),
            stricter("openshift-dns", "the DNS namespace: one policy rule would then allow both"),
        ],
    },
    {
        key: "selfHostedPodLabels",
        mode: "self-hosted",
        lands: {
            kind: "objects",
            standIn: ["abevalflow.e2e/model=standin-value", "abevalflow.e2e/model2=standin-value2"],
        },
        rows: labelRows(
            ["app.kubernetes.io/name=model-server"],
            "an empty selector would allow egress to every pod of the model server's namespace",
        ),
    },
    {
        key: "selfHostedPort",
        mode: "self-hosted",
        lands: { kind: "objects", standIn: 4715 },
        rows: [...portRows(8000), stricter("http", NAMED_PORT)],
    },
    // --- litellm mode
    {
        key: "litellmImage",
        lands: { kind: "objects", standIn: IMAGE.replace("standin", "standin-litellm") },
        rows: imageRows("ghcr.io/berriai/litellm:v1.84.10@sha256:" + "3".repeat(64)),
    },
    {
        key: "litellmReplicas",
        lands: { kind: "objects", standIn: 4716 },
        rows: [
            accept(1),
            accept(3),
            accept("2147483647"),
            refuse(-1),
            refuse("2147483648"),
            refuse("two"),
            stricter(0, "no proxy would run"),
        ],
    },
    { key: "litellmPort", lands: { kind: "objects", standIn: 4717 }, rows: [...portRows(4000), refuse("http")] },
    {
        // config.yaml holds the models as YAML entries, which the placement does not rewrite; the API server reads none of it.
        key: "litellmModels",
        lands: {
            kind: "objects",
            standIn: ["standin-model-a", "standin-model-b"],
            inText: true,
            derived: ["abevalflow/config-sha256", "config.yaml"],
        },
        rows: [
            accept(["gemini-2.5-flash"]),
            accept(["meta/llama3-405b-instruct-maas"]),
            accept(["publishers/meta/models/llama-3.1-405b-instruct-maas"]),
            accept(["fast=gemini-2.5-flash", "claude-sonnet-4@20250514"]),
            stricter([], `at least one model; ${CONFIG_TEXT}`),
            stricter(["a=b=c"], `'model' or 'publicName=model'; ${CONFIG_TEXT}`),
            stricter(["fast=a", "fast=b"], `distinct public names; ${CONFIG_TEXT}`),
            stricter(["meta//llama"], `a model id; ${CONFIG_TEXT}`),
        ],
    },
    {
        key: "litellmVertexProject",
        lands: { kind: "objects", standIn: "standin-project", inText: true, derived: ["abevalflow/config-sha256"] },
        rows: [
            accept("abevalflow-dev"),
            accept("my-project-123"),
            stricter("Bad_Project", `a Google Cloud project id; ${CONFIG_TEXT}`),
            stricter("", `a project, required in litellm mode; ${CONFIG_TEXT}`),
            stricter("abc", `6 to 30 characters; ${CONFIG_TEXT}`),
        ],
    },
    {
        key: "litellmVertexLocation",
        lands: { kind: "objects", standIn: "standin-location", inText: true, derived: ["abevalflow/config-sha256"] },
        rows: [
            accept("us-central1"),
            accept("europe-west4"),
            accept("global"),
            stricter("US_CENTRAL", `a region name; ${CONFIG_TEXT}`),
            stricter("", `a region; ${CONFIG_TEXT}`),
        ],
    },
    {
        key: "litellmVertexCredentials",
        lands: {
            kind: "none",
            why: "a secret: it lands in a Secret's stringData, which the API server takes as any text, and its value is never sent by a test",
        },
        rows: [
            accept(""),
            accept(SERVICE_ACCOUNT_JSON, { litellmVertexCredentialsSecretName: "" }),
            refuse("not json", { litellmVertexCredentialsSecretName: "" }),
            refuse(SERVICE_ACCOUNT_JSON, { litellmVertexCredentialsSecretName: "vertex-service-account" }),
            refuse("", { litellmVertexCredentialsSecretName: "" }),
        ],
    },
    {
        key: "litellmVertexCredentialsSecretName",
        lands: { kind: "objects", standIn: "standin-vertex-secret" },
        rows: [
            ...["x".repeat(254), "Upper", "a_b", "-a", "a."].reduce(
                (rows, value) => withStricter(rows, value, SECRET_NAME),
                subdomainRows("vertex-service-account"),
            ),
            refuse(""),
        ],
    },
    {
        key: "litellmCpuRequest",
        lands: { kind: "objects", standIn: "260m" },
        rows: cpuRows({ limitKey: "litellmCpuLimit", limit: "2", above: "2001m" }),
    },
    { key: "litellmCpuLimit", lands: { kind: "objects", standIn: "2100m" }, rows: cpuLimitRows("250m", "249m") },
    {
        key: "litellmMemoryRequest",
        lands: { kind: "objects", standIn: "511Mi" },
        rows: memoryRows({ limitKey: "litellmMemoryLimit", limit: "1Gi", above: "1025Mi" }),
    },
    {
        key: "litellmMemoryLimit",
        lands: { kind: "objects", standIn: "1025Mi" },
        rows: memoryLimitRows("512Mi", "511Mi"),
    },
    {
        key: "litellmNumRetries",
        lands: { kind: "objects", standIn: 4718, inText: true, derived: ["abevalflow/config-sha256"] },
        rows: [
            accept(0),
            accept(2),
            accept("2147483647"),
            stricter(-1, `at least 0; ${CONFIG_TEXT}`),
            stricter("2147483648", `int32; ${CONFIG_TEXT}`),
        ],
    },
    {
        key: "litellmRequestTimeoutSeconds",
        lands: {
            kind: "objects",
            standIn: 4719,
            inText: true,
            derived: ["abevalflow/config-sha256", "terminationGracePeriodSeconds"],
        },
        rows: [
            accept(600),
            accept(1),
            accept("2147483647"),
            stricter(0, `at least 1; ${CONFIG_TEXT}`),
            stricter("2147483648", `int32 (the pod's grace period adds 25 s to it); ${CONFIG_TEXT}`),
        ],
    },
    { key: "litellmRequireSpread", lands: BOOL_NONE("between DoNotSchedule and ScheduleAnyway"), rows: boolRows() },
    {
        key: "litellmMasterKeyRotation",
        lands: {
            kind: "none",
            why: "it is a keeper of the generated key (no Kubernetes object); the key lands in a Secret",
        },
        rows: [accept(0), accept(1), accept("9007199254740991"), refuse(-1), refuse("9007199254740992")],
    },
    // --- storage
    ...(["workspace", "deadLetter"] as const).flatMap((volume): KeyTable[] => [
        {
            key: `${volume}Size`,
            lands: { kind: "objects", standIn: volume === "workspace" ? "21Gi" : "6Gi" },
            rows: [...memoryRows().filter((r) => r.value !== "0"), refuse("0")],
        },
        {
            key: `${volume}StorageClass`,
            lands: { kind: "objects", standIn: `standin-${volume.toLowerCase()}-class` },
            rows: [accept(""), ...subdomainRows("fast-ssd")],
        },
        {
            key: `${volume}AccessMode`,
            lands: { kind: "objects", standIn: volume === "workspace" ? "ReadWriteMany" : "ReadWriteOncePod" },
            rows: [
                accept("ReadWriteOnce"),
                accept("ReadWriteMany"),
                accept("ReadWriteOncePod"),
                refuse("ReadWriteMost"),
                refuse("readwriteonce"),
                stricter("ReadOnlyMany", "the pipeline and the cleanup write to the data volumes"),
            ],
        },
    ]),
    { key: "protectVolumes", lands: BOOL_NONE("Pulumi's protect option"), rows: boolRows() },
    { key: "adoptExistingVolumes", lands: BOOL_NONE("whether the claims skip the provider's wait"), rows: boolRows() },
    // --- cleanup job
    {
        key: "cleanupImage",
        lands: { kind: "objects", standIn: IMAGE.replace("standin", "standin-cleanup") },
        rows: imageRows("registry.access.redhat.com/ubi9/nodejs-20-minimal@sha256:" + "9".repeat(64)),
    },
    { key: "cleanupSchedule", lands: { kind: "objects", standIn: "17 4 * * *" }, rows: cronRows() },
    { key: "cleanupTimeZone", lands: { kind: "objects", standIn: "America/Sao_Paulo" }, rows: timeZoneRows() },
    { key: "cleanupTrialPodMaxAgeHours", lands: { kind: "objects", standIn: 4721 }, rows: envIntRows(24, 1) },
    {
        key: "cleanupPipelineRunMaxAgeHours",
        lands: { kind: "objects", standIn: 4722 },
        with: { cleanupDeadLetterRetentionDays: 200 },
        rows: [
            ...envIntRows(168, 1).filter((r) => r.value !== "2147483647"),
            accept("2147483647", { cleanupDeadLetter: false }),
        ],
    },
    { key: "cleanupPipelineRunKeepRecent", lands: { kind: "objects", standIn: 4723 }, rows: envIntRows(0, 0) },
    { key: "cleanupImageStreamMaxAgeHours", lands: { kind: "objects", standIn: 4724 }, rows: envIntRows(336, 1) },
    { key: "cleanupDeadLetter", lands: BOOL_NONE("whether the dead-letter volume is mounted"), rows: boolRows() },
    {
        key: "cleanupDeadLetterRetentionDays",
        lands: { kind: "objects", standIn: 4725 },
        rows: [
            ...envIntRows(30, 1).filter((r) => r.value !== 1),
            accept(8),
            stricter(7, `at least 8 days with cleanupPipelineRunMaxAgeHours 168; ${ENV_TEXT}`),
        ],
    },
    { key: "cleanupDryRun", lands: BOOL_NONE("the text of an environment variable"), rows: boolRows() },
    { key: "cleanupConcurrency", lands: { kind: "objects", standIn: 4726 }, rows: envIntRows(8, 1) },
    {
        key: "cleanupStartingDeadlineSeconds",
        lands: { kind: "objects", standIn: 4727 },
        rows: [
            accept(3600),
            accept(10),
            accept("9007199254740991"),
            refuse(-1),
            refuse("9223372036854775808"),
            refuse("1.5"),
            stricter(9, "the CronJob controller may miss starts with a deadline under 10 s"),
            stricter(0, "the CronJob controller may miss starts with a deadline under 10 s"),
            stricter("9007199254740992", BEYOND_SAFE),
            stricter("9223372036854775807", BEYOND_SAFE),
        ],
    },
    {
        key: "cleanupActiveDeadlineSeconds",
        lands: { kind: "objects", standIn: 4728 },
        rows: [
            accept(1800),
            accept(1),
            accept("9007199254740991"),
            refuse(-1),
            refuse("9223372036854775808"),
            stricter(0, "a Job with no time at all fails at once"),
            stricter("9007199254740992", BEYOND_SAFE),
        ],
    },
    { key: "cleanupBackoffLimit", lands: { kind: "objects", standIn: 4729 }, rows: int32FieldRows(2, 0) },
    {
        key: "cleanupTtlSecondsAfterFinished",
        lands: { kind: "objects", standIn: 4730 },
        rows: int32FieldRows(86400, 0),
    },
    { key: "cleanupSuccessfulJobsHistory", lands: { kind: "objects", standIn: 4731 }, rows: int32FieldRows(3, 0) },
    { key: "cleanupFailedJobsHistory", lands: { kind: "objects", standIn: 4732 }, rows: int32FieldRows(3, 0) },
    {
        key: "cleanupCpuRequest",
        lands: { kind: "objects", standIn: "110m" },
        rows: cpuRows({ limitKey: "cleanupCpuLimit", limit: "500m", above: "501m" }),
    },
    { key: "cleanupCpuLimit", lands: { kind: "objects", standIn: "510m" }, rows: cpuLimitRows("100m", "99m") },
    {
        key: "cleanupMemoryRequest",
        lands: { kind: "objects", standIn: "127Mi" },
        rows: memoryRows({ limitKey: "cleanupMemoryLimit", limit: "256Mi", above: "257Mi" }),
    },
    {
        key: "cleanupMemoryLimit",
        lands: { kind: "objects", standIn: "257Mi" },
        rows: memoryLimitRows("128Mi", "127Mi"),
    },
    { key: "cleanupImageStreamSelector", lands: { kind: "listSelector" }, rows: selectorRows() },
    {
        key: "apiServerCidrs",
        lands: { kind: "objects", standIn: ["192.0.2.0/25", "192.0.2.128/25"] },
        rows: [
            accept([]),
            accept(["10.0.0.0/24"]),
            accept(["10.0.0.1/32", "10.0.0.2/32"]),
            accept(["fd00::/64"]),
            refuse(["300.0.0.0/8"]),
            refuse(["10.0.0.0"]),
            refuse(["10.0.0.0/33"]),
            stricter(["0.0.0.0/0"], "every address: the cleanup's token could then reach anything"),
        ],
    },
    // With the API server's addresses given: looked up (under mocks, on 6443), other ports are refused at deploy time.
    {
        key: "apiServerPorts",
        lands: { kind: "objects", standIn: [4733, 4735] },
        with: { apiServerCidrs: ["10.0.0.0/24"] },
        rows: [accept([443]), ...portListRows([6443])],
    },
];
