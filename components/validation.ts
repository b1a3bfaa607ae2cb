// Validators for stack configuration values. Each returns undefined when the value is
// acceptable, or the expected form as a phrase that completes "expected ...", so that the
// config loader can report every problem in one message.

import { CronExpressionParser } from "cron-parser";
import { Cidr, isWholeFamily, parseNetwork } from "../common/cidr";

export type Check<T> = (value: T) => string | undefined;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kubernetes resource.Quantity: a signed decimal number with an optional binary, decimal
// or exponent suffix.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const IMAGE_DIGEST = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const IANA_ZONE = /^[A-Za-z]+(\/[A-Za-z0-9_+-]+)*$/;

export const oneOf = <T extends string>(allowed: readonly T[]): Check<string> => (value) =>
    (allowed as readonly string[]).includes(value) ? undefined : `one of ${allowed.join(", ")}`;

export const dns1123Label: Check<string> = (value) =>
    value.length <= 63 && DNS1123_LABEL.test(value)
        ? undefined
        : "a DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters";

export const uid: Check<string> = (value) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value) ? undefined : "a Kubernetes uid such as 3f2c9a3e-8b1d-4c7e-9f61-2a5d0c4e7b10";

export const dns1123Subdomain: Check<string> = (value) =>
    value.length <= 253 && DNS1123_SUBDOMAIN.test(value)
        ? undefined
        : "a DNS-1123 subdomain: lower-case alphanumeric segments joined by '.' or '-', at most 253 characters";

/** The start of generated object names: what `metadata.generateName` takes, a DNS-1123 subdomain's first characters. */
export const namePrefix: Check<string> = (value) =>
    value.length >= 1 && value.length <= 58 && /^[a-z0-9][-a-z0-9.]*$/.test(value)
        ? undefined
        : "a name prefix: 1 to 58 lower-case letters, digits, '-' or '.', starting alphanumeric (for example trial-)";

export const optional = (check: Check<string>): Check<string> => (value) =>
    value === "" ? undefined : check(value);

export const quantity: Check<string> = (value) =>
    QUANTITY.test(value) ? undefined : "a Kubernetes quantity such as 500m, 2, 512Mi or 64Gi";

const QUANTITY_SUFFIX: Record<string, number> = {
    "": 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The numeric value of a quantity that passed `quantity`, to compare a request with its limit. */
export function quantityValue(value: string): number {
    const m = /^[+]?([0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$/.exec(value);
    if (!m) {
        return NaN;
    }
    const [, number, suffix] = m;
    return /^[eE]/.test(suffix) ? Number(number + suffix) : Number(number) * (QUANTITY_SUFFIX[suffix] ?? NaN);
}

export const digestPinnedImage: Check<string> = (value) =>
    IMAGE_DIGEST.test(value)
        ? undefined
        : "an image pinned by digest: repository[:tag]@sha256:<64 lower-case hex digits>";

export const port: Check<number> = (value) =>
    Number.isInteger(value) && value >= 1 && value <= 65535 ? undefined : "a port number from 1 to 65535";

export const atLeast = (min: number): Check<number> => (value) =>
    value >= min ? undefined : `an integer of at least ${min}`;

// Kubernetes parses CronJob schedules with robfig/cron's standard parser: five fields or a
// descriptor, month and weekday names, `?` for "any"; no seconds field and no L, W or #.
// cron-parser checks the ranges; the shape it accepts beyond that is narrowed here.
const CRON_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const GO_DURATION = /^@every ([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const CRON_EXPECTED = "a Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week; names such as MON or JAN allowed) or one of @yearly, @monthly, @weekly, @daily, @hourly";

export const cronSchedule: Check<string> = (value) => {
    const schedule = value.trim();
    if (schedule.startsWith("@")) {
        return CRON_DESCRIPTORS.includes(schedule) || GO_DURATION.test(schedule) ? undefined : CRON_EXPECTED;
    }
    const fields = schedule.split(/\s+/);
    if (fields.length !== 5) {
        return `${CRON_EXPECTED} (this has ${fields.length} field${fields.length === 1 ? "" : "s"})`;
    }
    if ([fields[2], fields[4]].some((f) => /#|(^|[,\d])L($|,)|\dW|^LW$/.test(f))) {
        return `${CRON_EXPECTED} (L, W and # are not supported)`;
    }
    try {
        CronExpressionParser.parse(schedule);
    } catch (e) {
        return `${CRON_EXPECTED} (${(e as Error).message})`;
    }
    return undefined;
};

export const timeZone: Check<string> = (value) => {
    if (!IANA_ZONE.test(value)) {
        return "an IANA time zone such as Etc/UTC or Europe/Berlin";
    }
    try {
        new Intl.DateTimeFormat("en-US", { timeZone: value });
        return undefined;
    } catch {
        return "an IANA time zone such as Etc/UTC or Europe/Berlin";
    }
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
    const expected =
        "a non-empty list of key=value labels with valid Kubernetes label keys ([prefix/]name) and values";
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

export const eachOf = <T>(check: Check<T>): Check<T[]> => (values) => {
    for (const v of values) {
        const problem = check(v);
        if (problem) {
            return `a list whose every entry is ${problem}`;
        }
    }
    return undefined;
};

/** Possibly empty, else as uniquePorts. */
export const distinctPorts: Check<number[]> = (values) =>
    values.length === 0 ? undefined : uniquePorts(values);

/** An equality-based label selector: key=value joined by commas. */
export const labelSelector: Check<string> = (value) => {
    const parsed = parseLabels(value.split(","));
    return typeof parsed === "string" ? `a label selector of key=value pairs joined by commas (${parsed})` : undefined;
};

export const uniquePorts: Check<number[]> = (values) =>
    values.length > 0 && new Set(values).size === values.length && values.every((p) => port(p) === undefined)
        ? undefined
        : "a non-empty list of distinct port numbers from 1 to 65535";

/** "model" or "publicName=model"; model ids are Vertex AI model names. */
export function parseModel(entry: string): { name: string; model: string } | undefined {
    const match = /^(?:([A-Za-z0-9][A-Za-z0-9._-]*)=)?([A-Za-z0-9][A-Za-z0-9._@-]*)$/.exec(entry);
    if (!match) {
        return undefined;
    }
    return { name: match[1] ?? match[2], model: match[2] };
}

export const modelList: Check<string[]> = (values) => {
    const expected =
        "a non-empty list of Vertex AI model ids, each 'model' or 'publicName=model', with distinct public names";
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
        return /^[A-Za-z0-9+/=\s]+$/.test(text) ? "it is not JSON (it looks base64-encoded once more)" : "it is not JSON";
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return "it is JSON but not an object";
    }
    const missing = SERVICE_ACCOUNT_FIELDS.filter((k) => typeof (parsed as Record<string, unknown>)[k] !== "string");
    return missing.length > 0 ? `it is a JSON object without ${missing.join(", ")}` : undefined;
}
