// The places a config key takes (README, "Adding a config key"), each held here or by the test
// named beside it in the README: a place forgotten fails with the key's name.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import {
    AnyKey,
    DeclaredKind,
    INT_RANGES,
    KEYS,
    KeyDeclaration,
    projectConfigDeclarations,
    Raw,
} from "../components/configKeys";
import { Check } from "../components/validation";
import { REPO_ROOT } from "./harness";

/** Why `value` is not of `kind` (within the key's integer range), or undefined. */
function notOfKind(value: Raw, key: AnyKey): string | undefined {
    const range = INT_RANGES[key.range ?? "safe"];
    const isInteger = (v: unknown): boolean =>
        Number.isInteger(v) && BigInt(v as number) >= range.min && BigInt(v as number) <= range.max;
    const holds: Record<DeclaredKind, (v: unknown) => boolean> = {
        string: (v) => typeof v === "string",
        integer: isInteger,
        boolean: (v) => typeof v === "boolean",
        "string[]": (v) => Array.isArray(v) && v.every((item) => typeof item === "string"),
        "integer[]": (v) => Array.isArray(v) && v.every(isInteger),
    };
    return holds[key.kind](value)
        ? undefined
        : `${JSON.stringify(value)} is no ${key.kind}${key.range ? ` within ${range.name}` : ""}`;
}

describe("adding a config key: the places it takes", () => {
    it("components/configKeys.ts: every key has a description, and a default (if any) of its kind that its own check accepts", () => {
        const faults: string[] = [];
        for (const key of KEYS.values()) {
            if (!/\w{3}.*\.$/.test(key.description)) {
                faults.push(`${key.name}: the description ${JSON.stringify(key.description)} is not a sentence`);
            }
            if (key.default !== undefined) {
                const problem = notOfKind(key.default, key) ?? (key.check as Check<Raw>)(key.default);
                if (problem !== undefined) {
                    faults.push(`${key.name}: the default ${JSON.stringify(key.default)} is refused: ${problem}`);
                }
            }
        }
        expect(faults).to.deep.equal([]);
    });

    it("Pulumi.yaml: declares the keys of components/configKeys.ts and no other, each as `npm run docs` writes it", () => {
        const declared = (
            YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
                config: Record<string, KeyDeclaration>;
            }
        ).config;
        expect(
            Object.keys(declared).filter((name) => !KEYS.has(name)),
            "keys Pulumi.yaml declares and components/configKeys.ts does not: declare them in SCHEMA, then run `npm run docs`",
        ).to.deep.equal([]);
        expect(
            [...KEYS.keys()].filter((name) => !(name in declared)),
            "keys of components/configKeys.ts that Pulumi.yaml lacks: run `npm run docs`",
        ).to.deep.equal([]);
        const generated = projectConfigDeclarations();
        for (const name of KEYS.keys()) {
            expect(declared[name], `Pulumi.yaml's ${name}: run \`npm run docs\``).to.deep.equal(generated[name]);
        }
        expect(Object.keys(declared), "the order of components/configKeys.ts").to.deep.equal(Object.keys(generated));
    });
});
