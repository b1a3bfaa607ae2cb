// The objects through which a row of tests/config-table.ts reaches the API server. For a value
// the program accepts, they are the program's own objects rendered with it. For a value the
// program refuses there is no rendering, so the program is rendered with the key's stand-in (a
// valid value found nowhere else) and the row's value is put wherever the stand-in landed: the
// objects the program would have sent had its check let the value through. `placedMatchesRender`
// holds that placement to the program's own rendering for values it accepts.
import { TRIAL_BASELINE_CONFIGMAP } from "../components/names";
import { TrialPodBaseline } from "../components/trialBaseline";
import { runProgram, stackConfig } from "../scripts/engine/program-run";
import { KeyTable, Landing, Row } from "./config-table";

export type Manifest = Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
};

/** An integer beyond what a JavaScript number holds, kept as its text until the manifest is written. */
export interface RawInteger {
    readonly rawInteger: string;
}

/** A rendered object with the program's logical name, which stays the same whatever the values. */
export interface Rendered {
    readonly id: string;
    readonly manifest: Manifest;
}

export function stackValues(table: KeyTable, row?: Row, value: unknown = row?.value): Record<string, unknown> {
    const values: Record<string, unknown> = { ...stackConfig("dev") };
    const set = (extra: Readonly<Record<string, unknown>> | undefined): void =>
        Object.entries(extra ?? {}).forEach(([k, v]) => {
            values[`abevalflow:${k}`] = v;
        });
    set(table.mode ? { llmMode: table.mode } : undefined);
    set(table.with);
    set(row?.with);
    set({ [table.key]: value });
    return values;
}

async function render(values: Record<string, unknown>): Promise<Rendered[]> {
    const run = await runProgram(values);
    return run.resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"))
        .map((r) => ({ id: `${r.type}::${r.name}`, manifest: r.inputs as Manifest }))
        .filter((r) => typeof r.manifest.kind === "string");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A trial pod as the pipeline builds one from the published baseline (the policy's other rules aside). */
function trialPod(rendered: Rendered[]): Rendered {
    const configMap = rendered.find(
        (r) => r.manifest.kind === "ConfigMap" && r.manifest.metadata.name === TRIAL_BASELINE_CONFIGMAP,
    );
    const data = configMap?.manifest.data as Record<string, string> | undefined;
    if (!data) {
        throw new Error(`no ConfigMap ${TRIAL_BASELINE_CONFIGMAP} rendered`);
    }
    const baseline = JSON.parse(data["baseline.json"]) as TrialPodBaseline;
    return {
        id: "trial-pod",
        manifest: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
                name: "trial-config-e2e",
                labels: JSON.parse(data["podLabels.json"]) as Record<string, string>,
            } as Manifest["metadata"],
            spec: {
                automountServiceAccountToken: baseline.automountServiceAccountToken,
                securityContext: baseline.podSecurityContext,
                containers: [
                    {
                        name: "trial",
                        image: "registry.example/trial@sha256:" + "b".repeat(64),
                        resources: baseline.resources,
                        securityContext: baseline.containerSecurityContext,
                        volumeMounts: baseline.volumeMounts,
                    },
                ],
                volumes: baseline.volumes,
            },
        },
    };
}

// ---------------------------------------------------------------------------------------
// Finding and replacing the stand-in
//
// A list key's stand-in has two entries, so that where the program writes the list into a
// text (a CEL list or map literal, a message, an environment variable) the separator between
// entries is seen and the row's entries are written with it.

type Lands = Extract<Landing, { kind: "objects" | "trialPod" }>;

/** Label entries (key=value) split leniently, as far as a refused entry allows: at the first '='. */
function labelEntries(value: unknown): [string, string][] {
    const entries = Array.isArray(value) ? value : [value];
    return entries.map((e) => {
        const text = String(e);
        const eq = text.indexOf("=");
        return eq === -1 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)];
    });
}

const isLabelList = (standIn: unknown): standIn is string[] =>
    Array.isArray(standIn) && typeof standIn[0] === "string" && standIn[0].includes("=");

/**
 * What a stand-in becomes in a field: the row's value; where the stand-in is a number, an
 * integer's text as the number (beyond a JavaScript number's reach, as its text, written raw).
 */
function scalar(standIn: unknown, value: unknown): unknown {
    if (typeof standIn !== "number" || typeof value !== "string" || !/^-?[0-9]+$/.test(value)) {
        return value;
    }
    return Number.isSafeInteger(Number(value)) ? Number(value) : { rawInteger: value };
}

/** Every occurrence of `from` in a text; a number only where no digit adjoins it. */
function replaceAllIn(text: string, from: string, to: string): string {
    if (/^[0-9]+$/.test(from)) {
        return text.replace(new RegExp(`(?<![0-9])${from}(?![0-9])`, "g"), () => to);
    }
    return text.split(from).join(to);
}

/** The ways the program writes a list's entries into a text. */
const LABEL_FORMS: ((e: [string, string]) => string)[] = [
    ([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`,
    ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`,
    ([k, v]) => `${k}=${v}`,
];
const ITEM_FORMS: ((e: unknown) => string)[] = [(e) => JSON.stringify(String(e)), (e) => String(e)];

/** In a text, the stand-in's two entries and what separates them, written as the row's entries with the same separator. */
function replaceListText<E>(text: string, standIn: [E, E], entries: E[], forms: ((e: E) => string)[]): string {
    let out = text;
    for (const form of forms) {
        const [a, b] = standIn.map(form);
        for (let at = out.indexOf(a); at !== -1; at = out.indexOf(a, at + 1)) {
            const sep = /^[,\s]{1,3}/.exec(out.slice(at + a.length))?.[0];
            if (sep !== undefined && out.startsWith(b, at + a.length + sep.length)) {
                const written = entries.map(form).join(sep);
                out = out.slice(0, at) + written + out.slice(at + a.length + sep.length + b.length);
                at += written.length - 1;
            }
        }
    }
    return out;
}

function contains(node: unknown, lands: Lands): boolean {
    const standIn = lands.standIn;
    const inText = lands.kind === "objects" && lands.inText === true;
    if (isLabelList(standIn)) {
        const [k, v] = labelEntries(standIn)[0];
        if (isObject(node)) {
            return node[k] === v || Object.values(node).some((c) => contains(c, lands));
        }
        return Array.isArray(node)
            ? node.some((c) => contains(c, lands))
            : typeof node === "string" && inText && node.includes(k);
    }
    const item: unknown = Array.isArray(standIn) ? standIn[0] : standIn;
    if (node === item || (typeof item === "number" && node === String(item))) {
        return true;
    }
    if (typeof node === "string" && inText && replaceAllIn(node, String(item), "\u0000") !== node) {
        return true;
    }
    return isObject(node)
        ? Object.values(node).some((c) => contains(c, lands))
        : Array.isArray(node) && node.some((c) => contains(c, lands));
}

const holds = (node: unknown, item: unknown): boolean => contains(node, { kind: "objects", standIn: item });

/** The node with a scalar stand-in (or one entry of a list's) replaced by `value`. */
function replaceScalar(node: unknown, item: unknown, value: unknown, inText: boolean): unknown {
    if (node === item) {
        return scalar(item, value);
    }
    if (typeof item === "number" && node === String(item)) {
        return String(value);
    }
    if (typeof node === "string" && inText) {
        return replaceAllIn(node, String(item), String(value));
    }
    if (Array.isArray(node)) {
        return node.map((c) => replaceScalar(c, item, value, inText));
    }
    return isObject(node)
        ? Object.fromEntries(Object.entries(node).map(([k, c]) => [k, replaceScalar(c, item, value, inText)]))
        : node;
}

/**
 * The node with a list stand-in [a, b] replaced by the row's list: an array element that holds
 * a becomes one element per entry, one that holds b goes (the nearest array around each).
 */
function replaceList(node: unknown, standIn: [unknown, unknown], values: unknown[], inText: boolean): unknown {
    const [a, b] = standIn;
    if (Array.isArray(node)) {
        return node.flatMap((c) => {
            if (holds(c, b) && !arrayHolds(c, b)) {
                return [];
            }
            if (holds(c, a) && !arrayHolds(c, a)) {
                return values.map((v) => replaceScalar(c, a, v, false));
            }
            return [replaceList(c, standIn, values, inText)];
        });
    }
    if (typeof node === "string" && inText) {
        return replaceListText(node, standIn, values, ITEM_FORMS);
    }
    return isObject(node)
        ? Object.fromEntries(Object.entries(node).map(([k, c]) => [k, replaceList(c, standIn, values, inText)]))
        : node;
}

function arrayHolds(node: unknown, item: unknown): boolean {
    if (Array.isArray(node)) {
        return node.some((c) => holds(c, item));
    }
    return isObject(node) && Object.values(node).some((c) => arrayHolds(c, item));
}

/** The node with a label stand-in (two map entries, and their texts) replaced by the row's entries. */
function replaceLabels(
    node: unknown,
    standIn: [string, string][],
    entries: [string, string][],
    inText: boolean,
): unknown {
    const [[k1, v1], [k2, v2]] = standIn;
    if (isObject(node)) {
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(node)) {
            if (key === k1 && child === v1) {
                entries.forEach(([ek, ev]) => {
                    out[ek] = ev;
                });
            } else if (!(key === k2 && child === v2)) {
                out[key] = replaceLabels(child, standIn, entries, inText);
            }
        }
        return out;
    }
    if (Array.isArray(node)) {
        return node.map((c) => replaceLabels(c, standIn, entries, inText));
    }
    return typeof node === "string" && inText
        ? replaceListText(node, [standIn[0], standIn[1]], entries, LABEL_FORMS)
        : node;
}

function place(manifest: Manifest, lands: Lands, value: unknown): Manifest {
    const inText = lands.kind === "objects" && lands.inText === true;
    const standIn = lands.standIn;
    if (isLabelList(standIn)) {
        return replaceLabels(manifest, labelEntries(standIn), labelEntries(value), inText) as Manifest;
    }
    if (Array.isArray(standIn)) {
        return replaceList(
            manifest,
            [standIn[0], standIn[1]],
            Array.isArray(value) ? value : [value],
            inText,
        ) as Manifest;
    }
    return replaceScalar(manifest, standIn, value, inText) as Manifest;
}

const standInRenders = new Map<string, Promise<Rendered[]>>();

/** The rendered objects the stand-in landed in (for trialPod, the pod built from the baseline). */
async function standInObjects(table: KeyTable, lands: Lands, row?: Row): Promise<Rendered[]> {
    const values = stackValues(table, row, lands.standIn);
    const cacheKey = JSON.stringify(values);
    if (!standInRenders.has(cacheKey)) {
        standInRenders.set(cacheKey, render(values));
    }
    const rendered = await (standInRenders.get(cacheKey) as Promise<Rendered[]>);
    const candidates = lands.kind === "trialPod" ? [trialPod(rendered)] : rendered;
    const found = candidates.filter((r) => contains(r.manifest, lands));
    if (found.length === 0) {
        throw new Error(
            `${table.key}: the stand-in ${JSON.stringify(lands.standIn)} lands in none of the rendered objects; the table's landing is wrong`,
        );
    }
    return found;
}

export interface Objects {
    /** The objects to send, each with its logical id; empty when the program renders the key into none (an empty list). */
    readonly objects: Rendered[];
    /** How they were made. */
    readonly how: "rendered" | "placed";
}

/** The objects the row's value reaches the API server in. */
export async function objectsFor(table: KeyTable, row: Row): Promise<Objects> {
    const lands = table.lands;
    if (lands.kind !== "objects" && lands.kind !== "trialPod") {
        throw new Error(`${table.key}: lands in no object (${lands.kind})`);
    }
    const landing = await standInObjects(table, lands, row);
    if (row.program === "refuse") {
        return {
            how: "placed",
            objects: landing.map((r) => ({ id: r.id, manifest: place(r.manifest, lands, row.value) })),
        };
    }
    const rendered = await render(stackValues(table, row));
    const own = lands.kind === "trialPod" ? [trialPod(rendered)] : rendered;
    const ids = new Set(landing.map((r) => r.id));
    return { how: "rendered", objects: own.filter((r) => ids.has(r.id)) };
}

/** Sorted keys and arrays, `derived` properties left out: what the comparison of placed and rendered objects sees. */
function canonical(node: unknown, derived: readonly string[]): unknown {
    if (Array.isArray(node)) {
        return node
            .map((c) => canonical(c, derived))
            .map((c) => JSON.stringify(c))
            .sort();
    }
    if (isObject(node)) {
        return Object.fromEntries(
            Object.keys(node)
                .filter((k) => !derived.includes(k))
                .sort()
                .map((k) => [k, canonical(node[k], derived)]),
        );
    }
    return node;
}

/**
 * For a value the program accepts: whether placing it in the stand-in's objects gives the
 * objects the program renders with it (properties the program derives from the value, such as
 * a digest of the proxy's config, left out). The e2e checks this before it trusts placement.
 */
export async function placedMatchesRender(table: KeyTable, row: Row): Promise<string | undefined> {
    const lands = table.lands;
    if ((lands.kind !== "objects" && lands.kind !== "trialPod") || row.program !== "accept") {
        throw new Error("placedMatchesRender: a landing key and an accepted row");
    }
    const placed = await objectsFor(table, { ...row, program: "refuse" });
    const rendered = await objectsFor(table, row);
    const derived = lands.kind === "objects" ? (lands.derived ?? []) : [];
    const show = (objects: Rendered[]) =>
        JSON.stringify(objects.map((o) => [o.id, canonical(o.manifest, derived)]).sort());
    return show(placed.objects) === show(rendered.objects)
        ? undefined
        : `${table.key} = ${JSON.stringify(row.value)}: placed ${show(placed.objects)}\nrendered ${show(rendered.objects)}`;
}

/** JSON for kubectl, integers beyond a number's reach written as the integers they are. */
export function manifestJson(manifests: Manifest[]): string {
    const text = JSON.stringify(
        { apiVersion: "v1", kind: "List", items: manifests },
        (_k, v: unknown) =>
            isObject(v) && typeof v.rawInteger === "string" && Object.keys(v).length === 1
                ? `\u0000${v.rawInteger}\u0000`
                : v,
        1,
    );
    return text.replace(/"\\u0000(-?[0-9]+)\\u0000"/g, "$1");
}
