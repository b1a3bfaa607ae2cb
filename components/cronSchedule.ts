// What the API server accepts as a CronJob schedule, written out from its source: Kubernetes
// v1.34.4 (pkg/apis/batch/validation/validation.go, validateScheduleFormat) calls
// cron.ParseStandard of github.com/robfig/cron/v3 v3.0.1 (parser.go, spec.go) and refuses, on
// create, any schedule that contains "TZ". `parseStandard` follows parser.go step by step, the
// Go standard library calls it makes included (strings.Fields, strconv.Atoi, time.ParseDuration),
// so that it accepts exactly what the API server accepts; cronSchedule in validation.ts adds
// the few refusals that are deliberately stricter.

/** A parsed five-field schedule: the values each field selects, and whether it was written `*` or `?`. */
export interface CronFields {
    readonly minute: ReadonlySet<number>;
    readonly hour: ReadonlySet<number>;
    readonly dayOfMonth: ReadonlySet<number>;
    readonly month: ReadonlySet<number>;
    readonly dayOfWeek: ReadonlySet<number>;
}

export type ParsedSchedule =
    | { readonly kind: "fields"; readonly fields: CronFields }
    | { readonly kind: "descriptor"; readonly name: string }
    /** `@every <duration>`, the duration in nanoseconds as time.ParseDuration returns it (possibly negative). */
    | { readonly kind: "every"; readonly nanoseconds: bigint };

interface Bounds {
    readonly min: number;
    readonly max: number;
    readonly names?: Readonly<Record<string, number>>;
}

// spec.go: the bounds of each field.
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
    min: 1,
    max: 12,
    names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

// parser.go parseDescriptor.
export const CRON_DESCRIPTORS = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
] as const;

/** The characters Go's unicode.IsSpace takes, which strings.Fields splits on (JavaScript's \s differs: it has U+FEFF, not U+0085). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

class CronError extends Error {}

const INT64_MAX = 2n ** 63n - 1n;

/** strconv.Atoi, then parser.go mustParseInt's refusal of negatives. */
function mustParseInt(expr: string): number {
    if (!/^[+-]?[0-9]+$/.test(expr)) {
        throw new CronError(
            `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
        );
    }
    const n = BigInt(expr);
    if (n > INT64_MAX || n < -INT64_MAX - 1n) {
        throw new CronError(
            `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
        );
    }
    if (n < 0n) {
        throw new CronError(`negative number (${n}) not allowed: ${expr}`);
    }
    return Number(n);
}

function parseIntOrName(expr: string, names: Bounds["names"]): number {
    const lower = expr.toLowerCase();
    return names !== undefined && Object.prototype.hasOwnProperty.call(names, lower)
        ? names[lower]
        : mustParseInt(expr);
}

/** parser.go getRange: `*`, `?`, a number or name, or a range, each with an optional step. */
function getRange(expr: string, r: Bounds): number[] {
    const rangeAndStep = expr.split("/");
    const lowAndHigh = rangeAndStep[0].split("-");
    const singleDigit = lowAndHigh.length === 1;
    let start: number;
    let end: number;
    // As in parser.go, anything after "*-" or "?-" is not read.
    if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
        start = r.min;
        end = r.max;
    } else {
        start = parseIntOrName(lowAndHigh[0], r.names);
        if (lowAndHigh.length === 1) {
            end = start;
        } else if (lowAndHigh.length === 2) {
            end = parseIntOrName(lowAndHigh[1], r.names);
        } else {
            throw new CronError(`too many hyphens: ${expr}`);
        }
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
        step = mustParseInt(rangeAndStep[1]);
        // "N/step" means "N-max/step".
        if (singleDigit) {
            end = r.max;
        }
    } else if (rangeAndStep.length > 2) {
        throw new CronError(`too many slashes: ${expr}`);
    }
    if (start < r.min) {
        throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
    }
    if (end > r.max) {
        throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
    }
    if (start > end) {
        throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    }
    if (step === 0) {
        throw new CronError(`step of range should be a positive number: ${expr}`);
    }
    const values: number[] = [];
    for (let i = start; i <= end; i += step) {
        values.push(i);
    }
    return values;
}

/** parser.go getField: ranges joined by commas; strings.FieldsFunc drops empty ones. */
function getField(field: string, r: Bounds): Set<number> {
    const values = new Set<number>();
    for (const expr of field.split(",").filter((e) => e !== "")) {
        getRange(expr, r).forEach((x) => values.add(x));
    }
    return values;
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
    ns: 1n,
    us: 1000n,
    "\u00b5s": 1000n,
    "\u03bcs": 1000n,
    ms: 1000_000n,
    s: 1000_000_000n,
    m: 60_000_000_000n,
    h: 3600_000_000_000n,
};
const TWO_63 = 2n ** 63n;

/** Go's time.ParseDuration (src/time/format.go), in nanoseconds. */
export function parseGoDuration(text: string): bigint {
    const invalid = (what = "invalid duration"): CronError => new CronError(`time: ${what} ${JSON.stringify(text)}`);
    let s = text;
    let neg = false;
    if (s !== "" && (s[0] === "-" || s[0] === "+")) {
        neg = s[0] === "-";
        s = s.slice(1);
    }
    if (s === "0") {
        return 0n;
    }
    if (s === "") {
        throw invalid();
    }
    let d = 0n;
    while (s !== "") {
        if (!(s[0] === "." || (s[0] >= "0" && s[0] <= "9"))) {
            throw invalid();
        }
        const whole = /^[0-9]*/.exec(s)?.[0] ?? "";
        let v = 0n;
        for (const c of whole) {
            if (v > TWO_63 / 10n) {
                throw invalid();
            }
            v = v * 10n + BigInt(c);
            if (v > TWO_63) {
                throw invalid();
            }
        }
        s = s.slice(whole.length);
        const pre = whole !== "";
        let post = false;
        let f = 0n;
        let scale = 1;
        if (s !== "" && s[0] === ".") {
            s = s.slice(1);
            const digits = /^[0-9]*/.exec(s)?.[0] ?? "";
            // leadingFraction: digits past what fits in 63 bits are read and dropped.
            let overflow = false;
            for (const c of digits) {
                if (overflow) {
                    continue;
                }
                if (f > (TWO_63 - 1n) / 10n) {
                    overflow = true;
                    continue;
                }
                const y = f * 10n + BigInt(c);
                if (y > TWO_63) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = digits !== "";
            s = s.slice(digits.length);
        }
        if (!pre && !post) {
            throw invalid();
        }
        const unitText = /^[^.0-9]*/.exec(s)?.[0] ?? "";
        if (unitText === "") {
            throw invalid("missing unit in duration");
        }
        s = s.slice(unitText.length);
        const unit = DURATION_UNITS[unitText];
        if (unit === undefined || !Object.prototype.hasOwnProperty.call(DURATION_UNITS, unitText)) {
            throw invalid(`unknown unit ${JSON.stringify(unitText)} in duration`);
        }
        if (v > TWO_63 / unit) {
            throw invalid();
        }
        v *= unit;
        if (f > 0n) {
            // As Go: float64 arithmetic, truncated to an integer.
            v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
            if (v > TWO_63) {
                throw invalid();
            }
        }
        d += v;
        if (d > TWO_63) {
            throw invalid();
        }
    }
    if (neg) {
        return -d;
    }
    if (d > TWO_63 - 1n) {
        throw invalid();
    }
    return d;
}

/**
 * robfig/cron v3.0.1 ParseStandard: the schedule, or the parser's own error message. The
 * `TZ=`/`CRON_TZ=` prefix is not handled: the API server refuses any schedule containing "TZ"
 * whatever the parser makes of it.
 */
export function parseStandard(spec: string): ParsedSchedule | string {
    try {
        if (spec.length === 0) {
            return "empty spec string";
        }
        if (spec.startsWith("@")) {
            if ((CRON_DESCRIPTORS as readonly string[]).includes(spec)) {
                return { kind: "descriptor", name: spec };
            }
            if (spec.startsWith("@every ")) {
                try {
                    return { kind: "every", nanoseconds: parseGoDuration(spec.slice("@every ".length)) };
                } catch (e) {
                    return `failed to parse duration ${spec}: ${(e as Error).message}`;
                }
            }
            return `unrecognized descriptor: ${spec}`;
        }
        const fields = spec.split(GO_SPACE).filter((f) => f !== "");
        if (fields.length !== 5) {
            return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
        }
        return {
            kind: "fields",
            fields: {
                minute: getField(fields[0], MINUTES),
                hour: getField(fields[1], HOURS),
                dayOfMonth: getField(fields[2], DOM),
                month: getField(fields[3], MONTHS),
                dayOfWeek: getField(fields[4], DOW),
            },
        };
    } catch (e) {
        if (e instanceof CronError) {
            return e.message;
        }
        throw e;
    }
}

/** The five fields of a schedule, split as the parser splits them (for the checks beyond it). */
export function scheduleFields(spec: string): string[] {
    return spec.split(GO_SPACE).filter((f) => f !== "");
}
