// Validators for stack configuration values. Each returns undefined when the value is
// acceptable, or the expected form as a phrase that completes "expected ...", so that the
// config loader can report every problem in one message.

import { Cidr, isWholeFamily, parseNetwork } from "../common/cidr";
import { parseStandard, scheduleFields } from "./cronSchedule";
import GO_ZONES from "./timeZones.json";

export type Check<T> = (value: T) => string | undefined;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// A Kubernetes resource.Quantity without a sign: a decimal number with an optional binary,
// decimal or exponent suffix (apimachinery resource.ParseQuantity; it also takes "-", ".", and
// spaces around the text, none of which a stack value needs).
const QUANTITY = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const IMAGE_DIGEST =
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export const oneOf =
    <T extends string>(allowed: readonly T[]): Check<string> =>
    (value) =>
        (allowed as readonly string[]).includes(value) ? undefined : `one of ${allowed.join(", ")}`;

export const dns1123Label: Check<string> = (value) =>
    value.length <= 63 && DNS1123_LABEL.test(value)
        ? undefined
        : "a DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters";

export const uid: Check<string> = (value) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
        ? undefined
        : "a Kubernetes uid such as 3f2c9a3e-8b1d-4c7e-9f61-2a5d0c4e7b10";

export const dns1123Subdomain: Check<string> = (value) =>
    value.length <= 253 && DNS1123_SUBDOMAIN.test(value)
        ? undefined
        : "a DNS-1123 subdomain: lower-case alphanumeric segments joined by '.' or '-', at most 253 characters";

/**
 * An RBAC object name as a RoleBinding's roleRef takes it (path.IsValidPathSegmentName): not
 * "." or "..", no '/' or '%'. OpenShift's SCC ClusterRoles are named system:openshift:scc:<scc>.
 */
export const rbacName: Check<string> = (value) =>
    value !== "." && value !== ".." && !/[/%]/.test(value) && value.length > 0
        ? undefined
        : "a ClusterRole name: any text but '.' and '..', without '/' or '%' (such as system:openshift:scc:pipelines-scc)";

/** The start of generated object names: what `metadata.generateName` takes, a DNS-1123 subdomain's first characters. */
export const namePrefix: Check<string> = (value) =>
    value.length >= 1 && value.length <= 58 && /^[a-z0-9][-a-z0-9.]*$/.test(value)
        ? undefined
        : "a name prefix: 1 to 58 lower-case letters, digits, '-' or '.', starting alphanumeric (for example trial-)";

export const optional =
    (check: Check<string>): Check<string> =>
    (value) =>
        value === "" ? undefined : check(value);

/** A quantity's exact value, num / den, for comparing a request with its limit without rounding. */
export interface ExactQuantity {
    readonly num: bigint;
    readonly den: bigint;
}

const DECIMAL_SUFFIX: Record<string, number> = { "": 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** The API server keeps a binary quantity at most this large (it caps one above) and counts usage in int64. */
const QUANTITY_LIMIT = 2n ** 63n;
const NANO = 10n ** 9n;

/**
 * The exact value of a quantity of the QUANTITY form, or undefined for any other text. Exponents
 * beyond what a quantity below 2^63 or above 1n can have are taken as "too large" or "too fine"
 * without computing 10^exponent.
 */
export function parseQuantity(value: string): ExactQuantity | "too large" | "too fine" | undefined {
    const m = QUANTITY.exec(value);
    if (!m) {
        return undefined;
    }
    const [whole, fraction = ""] = m[1].split(".");
    const suffix = m[2] ?? "";
    const digits = BigInt(`${whole}${fraction}` || "0");
    if (digits === 0n) {
        return { num: 0n, den: 1n };
    }
    let exponent = -fraction.length;
    let binary = 0;
    if (suffix in BINARY_SUFFIX) {
        binary = BINARY_SUFFIX[suffix];
    } else if (suffix in DECIMAL_SUFFIX) {
        exponent += DECIMAL_SUFFIX[suffix];
    } else {
        exponent += Number(suffix.slice(1));
    }
    if (exponent > 40) {
        return "too large";
    }
    if (exponent < -60) {
        return "too fine";
    }
    const scaled = digits * 2n ** BigInt(binary);
    return exponent >= 0
        ? { num: scaled * 10n ** BigInt(exponent), den: 1n }
        : { num: scaled, den: 10n ** BigInt(-exponent) };
}

/** -1, 0 or 1 as a is below, equal to or above b; both are quantities that `quantity` accepts. */
export function compareQuantities(a: string, b: string): number {
    const x = parseQuantity(a);
    const y = parseQuantity(b);
    if (typeof x !== "object" || typeof y !== "object") {
        throw new Error(
            `compareQuantities: ${JSON.stringify(typeof x !== "object" ? a : b)} is not a checked quantity`,
        );
    }
    const left = x.num * y.den;
    const right = y.num * x.den;
    return left < right ? -1 : left > right ? 1 : 0;
}

const QUANTITY_EXPECTED = "a Kubernetes quantity such as 500m, 2, 512Mi or 64Gi";

/**
 * A quantity the API server keeps as given: below 2^63 (it caps a larger binary one, and counts
 * usage in int64) and in whole nanounits (it rounds a finer one up, so the stored object would
 * differ from the stack's value on every refresh).
 */
export const quantity: Check<string> = (value) => {
    const q = parseQuantity(value);
    if (q === undefined) {
        return QUANTITY_EXPECTED;
    }
    if (q === "too large" || (q !== "too fine" && q.num >= QUANTITY_LIMIT * q.den)) {
        return `${QUANTITY_EXPECTED}, below 2^63 (the API server caps a larger one)`;
    }
    if (q === "too fine" || (q.num * NANO) % q.den !== 0n) {
        return `${QUANTITY_EXPECTED}, in steps of 1n at the finest (the API server rounds a finer one up)`;
    }
    return undefined;
};

const BYTES_EXPECTED = "a whole number of bytes such as 512Mi, 2Gi or 1000000";

/**
 * Memory and storage: a quantity of whole bytes. Deliberately stricter than the API server,
 * which takes 128m (0.128 bytes) as a memory request: that is always a typo for 128Mi.
 */
export const byteQuantity: Check<string> = (value) => {
    const problem = quantity(value);
    if (problem) {
        return problem === QUANTITY_EXPECTED ? `${BYTES_EXPECTED} (a Kubernetes quantity)` : problem;
    }
    const q = parseQuantity(value) as ExactQuantity;
    if (/[num]$/.test(value) || q.num % q.den !== 0n) {
        return `${BYTES_EXPECTED}: no m, u or n suffix and no fraction of a byte (128m is 0.128 bytes; Mi is the mebibyte)`;
    }
    return undefined;
};

/** A quantity's value as a number (NaN when it is not one): for sizes, never for request-limit comparisons. */
export function quantityValue(value: string): number {
    const q = parseQuantity(value);
    return typeof q === "object" ? Number(q.num) / Number(q.den) : NaN;
}

/** A claim's size: whole bytes, and more than none (the API server refuses a claim of 0). */
export const storageSize: Check<string> = (value) =>
    byteQuantity(value) ?? (compareQuantities(value, "0") > 0 ? undefined : `${BYTES_EXPECTED}, more than 0`);

export const digestPinnedImage: Check<string> = (value) =>
    IMAGE_DIGEST.test(value)
        ? undefined
        : "an image pinned by digest: repository[:tag]@sha256:<64 lower-case hex digits>";

export const port: Check<number> = (value) =>
    Number.isInteger(value) && value >= 1 && value <= 65535 ? undefined : "a port number from 1 to 65535";

export const atLeast =
    (min: number): Check<number> =>
    (value) =>
        value >= min ? undefined : `an integer of at least ${min}`;

const CRON_EXPECTED =
    "a Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week; names such as MON or JAN allowed) or one of @yearly, @monthly, @weekly, @daily, @hourly, @every <duration>";
/** The shortest `@every` period taken: the parser turns anything shorter, 0 and negative ones included, into every second. */
const SHORTEST_EVERY_NS = 60n * 1000_000_000n;

/**
 * What Kubernetes v1.34.4 accepts as a new CronJob's schedule (cronSchedule.ts), less three
 * forms it accepts that are always mistakes here, so deliberately refused: an empty entry
 * between commas (the parser drops it; a field of commas alone never fires), `*-N` or `?-N`
 * (the parser reads `*` and ignores the rest) and an `@every` period under a minute.
 */
export const cronSchedule: Check<string> = (value) => {
    if (value.includes("TZ")) {
        return `${CRON_EXPECTED}, without TZ= or CRON_TZ=: the API server refuses a time zone in the schedule; set cleanupTimeZone`;
    }
    const parsed = parseStandard(value);
    if (typeof parsed === "string") {
        return `${CRON_EXPECTED} (${parsed})`;
    }
    if (parsed.kind === "every" && parsed.nanoseconds < SHORTEST_EVERY_NS) {
        return `${CRON_EXPECTED}, an @every period of at least 1m (Kubernetes runs a shorter one, 0 or a negative one every second)`;
    }
    for (const field of parsed.kind === "fields" ? scheduleFields(value) : []) {
        if (field.split(",").some((entry) => entry === "")) {
            return `${CRON_EXPECTED}, without an empty entry between commas (${field})`;
        }
        const ignored = field.split(",").find((entry) => /^[*?]-/.test(entry));
        if (ignored !== undefined) {
            return `${CRON_EXPECTED}; ${ignored} is read as ${ignored[0]}, ignoring the range after it`;
        }
    }
    return undefined;
};

// The API server's time-zone check (batch validation, validateTimeZone): each '/'-separated
// part of 1 to 14 of these characters, not starting with '-', not Local, and a name
// time.LoadLocation finds; it finds every name of Go's embedded tz database (timeZones.json).
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;
const ZONE_NAMES: ReadonlySet<string> = new Set(GO_ZONES.names);
const ZONES_BY_LOWER_CASE: ReadonlyMap<string, string> = new Map(GO_ZONES.names.map((n) => [n.toLowerCase(), n]));

/**
 * A name of Go's tz database, as the API server's time.LoadLocation takes it: case matters
 * (Europe/Berlin, not europe/berlin) and old names such as EST5EDT count. A name only a
 * system tz database has (posix/..., right/...) is refused: it is found only where the API
 * server's image has that database.
 */
export const timeZone: Check<string> = (value) => {
    const expected = `a time-zone name of the tz database as Go ${GO_ZONES.go.replace(/^go/, "")} has it (tzdata ${GO_ZONES.tzdata}), spelt exactly, such as Etc/UTC, Europe/Berlin or EST5EDT`;
    if (value.toLowerCase() === "local") {
        return `${expected}; not Local, which the API server refuses`;
    }
    const parts = value.split("/");
    if (
        parts.some((p) => p === "." || p === ".." || p.startsWith("-") || !ZONE_PART.test(p)) ||
        !ZONE_NAMES.has(value)
    ) {
        const near = ZONES_BY_LOWER_CASE.get(value.toLowerCase());
        return near !== undefined ? `${expected}; did you mean ${near}?` : expected;
    }
    return undefined;
};

/**
 * A network to except from a wider ipBlock, IPv4 or IPv6: parsed by the parser the pack uses,
 * with no host bits set, and narrower than a whole family (an except must be a strict subset of
 * its block, and 0.0.0.0/0 or ::/0 would leave nothing to allow).
 */
export function parseExceptCidr(value: string): Cidr | undefined {
    const network = parseNetwork(value);
    return network !== undefined && !isWholeFamily(network) ? network : undefined;
}

export const exceptCidr: Check<string> = (value) =>
    parseExceptCidr(value)
        ? undefined
        : "an IPv4 or IPv6 network in CIDR form, with no host bits set and a prefix of at least 1, such as 100.64.0.0/10 or fd00:10::/64";

/** The former name of exceptCidr, still used by config.ts; it accepts IPv6 networks too. */
export const ipv4Cidr = exceptCidr;

/** Parses "key=value" label strings; returns the map or the expected form. */
export function parseLabels(entries: readonly string[]): Record<string, string> | string {
    const expected = "a non-empty list of key=value labels with valid Kubernetes label keys ([prefix/]name) and values";
    if (entries.length === 0) {
        return expected;
    }
    const labels: Record<string, string> = {};
    for (const entry of entries) {
        const eq = entry.indexOf("=");
        if (eq <= 0) {
            return expected;
        }
        const key = entry.slice(0, eq);
        const value = entry.slice(eq + 1);
        if (!labelKey(key) || !LABEL_VALUE.test(value) || key in labels) {
            return expected;
        }
        labels[key] = value;
    }
    return labels;
}

function labelKey(key: string): boolean {
    const slash = key.indexOf("/");
    if (slash === -1) {
        return LABEL_NAME.test(key);
    }
    const prefix = key.slice(0, slash);
    return prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix) && LABEL_NAME.test(key.slice(slash + 1));
}

export const labelList: Check<string[]> = (value) => {
    const parsed = parseLabels(value);
    return typeof parsed === "string" ? parsed : undefined;
};

export const eachOf =
    <T>(check: Check<T>): Check<T[]> =>
    (values) => {
        for (const v of values) {
            const problem = check(v);
            if (problem) {
                return `a list whose every entry is ${problem}`;
            }
        }
        return undefined;
    };

/** Possibly empty, else as uniquePorts. */
export const distinctPorts: Check<number[]> = (values) => (values.length === 0 ? undefined : uniquePorts(values));

/** The whitespace labels.Parse skips between tokens (apimachinery pkg/labels/selector.go, isWhitespace). */
const SELECTOR_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * An equality-based label selector as two readers take it: the API server parses it with
 * labels.Parse (k8s.io/apimachinery v0.34.4), which allows spaces around every token, and
 * cleanup.js, which sends it, reads it first as key=value terms split at commas and trimmed.
 * Accepted: what both accept, with '=' alone as the operator. Refused although labels.Parse
 * accepts them: '==', '!=', set-based and existence terms, spaces around '=' (cleanup.js
 * refuses them), a key given twice (cleanup.js keeps only the last value) and a selector of
 * spaces alone (every ImageStream for the API server, none for cleanup.js).
 */
export const labelSelector: Check<string> = (value) => {
    const terms = value.split(",").map((t) => t.replace(SELECTOR_SPACE, ""));
    const parsed = parseLabels(terms);
    return typeof parsed === "string"
        ? "a label selector of key=value terms joined by commas (spaces allowed around the commas), each key once, with valid label keys and values"
        : undefined;
};

export const uniquePorts: Check<number[]> = (values) =>
    values.length > 0 && new Set(values).size === values.length && values.every((p) => port(p) === undefined)
        ? undefined
        : "a non-empty list of distinct port numbers from 1 to 65535";

/**
 * "model" or "publicName=model". A model id is what follows vertex_ai/ in LiteLLM's model name:
 * a Gemini name (gemini-2.5-flash), a partner model with a version (claude-sonnet-4@20250514)
 * or a Model Garden id of '/'-separated segments (meta/llama3-405b-instruct-maas,
 * publishers/meta/models/llama-3.1-405b-instruct-maas); public names may have the same segments.
 */
export function parseModel(entry: string): { name: string; model: string } | undefined {
    const match =
        /^(?:([A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*)=)?([A-Za-z0-9][A-Za-z0-9._@-]*(?:\/[A-Za-z0-9][A-Za-z0-9._@-]*)*)$/.exec(
            entry,
        );
    if (!match) {
        return undefined;
    }
    return { name: match[1] ?? match[2], model: match[2] };
}

export const modelList: Check<string[]> = (values) => {
    const expected =
        "a non-empty list of Vertex AI model ids (such as gemini-2.5-flash or meta/llama3-405b-instruct-maas), each 'model' or 'publicName=model', with distinct public names";
    const parsed = values.map(parseModel);
    if (values.length === 0 || parsed.some((m) => m === undefined)) {
        return expected;
    }
    const names = parsed.map((m) => m?.name);
    return new Set(names).size === names.length ? undefined : expected;
};

/** The fields of a Google service-account key file that the proxy's Vertex AI client reads. */
const SERVICE_ACCOUNT_FIELDS = ["type", "project_id", "private_key", "client_email"] as const;

/**
 * Why a text is not a Google service-account key in JSON form, in words that never quote it
 * (it holds a private key), or undefined when it is one.
 */
export function serviceAccountKeyProblem(text: string): string | undefined {
    if (text.trim() === "") {
        return "it is empty";
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return /^[A-Za-z0-9+/=\s]+$/.test(text)
            ? "it is not JSON (it looks base64-encoded once more)"
            : "it is not JSON";
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return "it is JSON but not an object";
    }
    const missing = SERVICE_ACCOUNT_FIELDS.filter((k) => typeof (parsed as Record<string, unknown>)[k] !== "string");
    return missing.length > 0 ? `it is a JSON object without ${missing.join(", ")}` : undefined;
}
