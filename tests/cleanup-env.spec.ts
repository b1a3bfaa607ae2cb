// The cleanup program's environment table (components/cleanupEnv.ts), from which the CronJob's
// env and docs/cleanup.md's table come, against cleanup/cleanup.js itself: the variables it
// reads, the least integers it takes and what it does with a variable unset.
import * as fs from "fs";
import { expect } from "chai";
import { ENV, parseConfig } from "../cleanup/cleanup";
import { cleanupScriptPath } from "../components/cleanup";
import { CLEANUP_ENV, cleanupEnv, CleanupEnvSpec, POD_ENV } from "../components/cleanupEnv";
import { loadConfig, objectConfigSource } from "../components/config";
import { stackConfig } from "./harness";

const SOURCE = fs.readFileSync(cleanupScriptPath(), "utf8");
const SPECS = Object.entries(CLEANUP_ENV) as [string, CleanupEnvSpec][];
const DEV = loadConfig(objectConfigSource(stackConfig("dev")));

/**
 * The environment of the job's container for the dev stack: the CronJob's env, the namespace
 * its downward API entry gives, and the API server's Service as Kubernetes sets it.
 */
function inPod(): Record<string, string> {
    const env: Record<string, string> = { [POD_ENV[0]]: "172.30.0.1", [POD_ENV[1]]: "443" };
    for (const entry of cleanupEnv(DEV.cleanup, DEV.trial.podLabels)) {
        const name = entry.name as string;
        if (entry.valueFrom !== undefined) {
            env[name] = DEV.namespace;
        } else if (typeof entry.value === "string") {
            env[name] = entry.value;
        } else {
            throw new Error(
                `${name}: the CronJob's env entry has neither a string value nor valueFrom: ${JSON.stringify(entry)}`,
            );
        }
    }
    return env;
}
/** The ServiceAccount's token and CA, as files the pod has. */
const readFile = (): string => "stand-in";
const parse = (env: Record<string, string>) => parseConfig(env, readFile);
/** The parsed configuration as data (its URL by its text). */
const asData = (env: Record<string, string>): unknown => JSON.parse(JSON.stringify(parse(env)));

describe("cleanup environment (components/cleanupEnv.ts)", () => {
    it("has an entry for every variable cleanup.js reads, and for nothing else", () => {
        const indexes = [...SOURCE.matchAll(/\benv\[([^\]]+)\]/g)].map((m) => m[1]);
        // Any other index would be a name the table cannot see; `name` is the parameter of the
        // helpers that read integers and report problems, which are given ENV names only.
        expect(
            indexes.filter((i) => !/^ENV\.\w+$/.test(i) && i !== "name"),
            "env[...] reads",
        ).to.deep.equal([]);
        const helperCalls = [...SOURCE.matchAll(/\b(?:integer|bad)\(([^,)]+),/g)].map((m) => m[1]);
        expect(
            helperCalls.filter((a) => !/^ENV\.\w+$/.test(a) && a !== "name"),
            "helper arguments",
        ).to.deep.equal([]);
        expect(SOURCE.match(/process\.env/g), "process.env is only handed to parseConfig").to.deep.equal([
            "process.env",
        ]);
        expect(SOURCE).to.contain("parseConfig(process.env)");

        const viaEnv = [...new Set([...SOURCE.matchAll(/\bENV\.(\w+)/g)].map((m) => m[1]))].map((key) => {
            expect(ENV, `cleanup.js reads ENV.${key}`).to.have.property(key);
            return ENV[key as keyof typeof ENV];
        });
        const direct = [...new Set([...SOURCE.matchAll(/\benv\.([A-Za-z_]\w*)/g)].map((m) => m[1]))];
        expect(direct.sort(), "read by name, not through ENV").to.deep.equal([...POD_ENV].sort());
        expect(Object.keys(CLEANUP_ENV).sort()).to.deep.equal([...viaEnv, ...direct].sort());
    });

    it("gives the CronJob an environment the program accepts", () => {
        expect(parse(inPod()).problems).to.deep.equal([]);
    });

    for (const [name, spec] of SPECS.filter(([, s]) => s.min !== undefined)) {
        const min = spec.min as number;
        it(`${name}: the program takes ${min} and refuses ${min - 1}, as the table says`, () => {
            const problemsOf = (value: string) =>
                parse({ ...inPod(), [name]: value }).problems.filter((p) => p.startsWith(`${name}=`));
            expect(problemsOf(String(min))).to.deep.equal([]);
            expect(problemsOf(String(min - 1))).to.have.length(1);
        });
    }

    for (const [name, spec] of SPECS.filter(([, s]) => s.defaultValue !== undefined)) {
        it(`${name}: unset, the program does what it does with ${JSON.stringify(spec.defaultValue)}, as the table says`, () => {
            const { [name]: _dropped, ...unset } = inPod();
            const given = { ...unset, [name]: spec.defaultValue as string };
            expect(parse(given).problems).to.deep.equal([]);
            expect(asData(unset)).to.deep.equal(asData(given));
        });
    }
});
