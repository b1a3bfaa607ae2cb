// Two costs of the Pulumi SDK that neither the program nor the policy pack needs, cut without
// touching the SDK; tests/sdk-overhead.spec.ts holds both to the installed SDK.
//
// Importing this module, before anything loads the SDK (both entry points import it first):
// the SDK's index loads, eagerly, what only its function serialization and its Automation API
// use: the TypeScript compiler (runtime/closure/parseFunction.js), npm's Arborist with its
// registry client and sigstore, and normalize-package-data (runtime/closure/codePaths.js), and
// execa (automation/cmd.js). Loading them is the largest part of starting either process.
// Neither serializes a function or drives the CLI, so those requires, from those files only,
// get a stand-in that loads the module the first time one of its properties is read: the
// features work as before when used.
import * as path from "path";
import * as nodeModule from "module";

/** The SDK files whose require of `request` is deferred, relative to node_modules. */
export const DEFERRED_REQUIRES: readonly { from: string; request: string }[] = [
    {
        from: path.join("@pulumi", "pulumi", "runtime", "closure", "parseFunction.js"),
        request: "../../typescript-shim",
    },
    { from: path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js"), request: "@npmcli/arborist" },
    { from: path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js"), request: "normalize-package-data" },
    { from: path.join("@pulumi", "pulumi", "automation", "cmd.js"), request: "execa" },
];

type Load = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;
const loader = nodeModule.Module as unknown as { _load: Load };

/**
 * A stand-in for a module that loads it on the first property read. It says it is an ES
 * module, so that TypeScript's __importStar and __importDefault helpers (which the SDK wraps
 * these requires in) return it as it is instead of reading, and so loading, the module; its
 * `default` is then what those helpers would have made it: the module itself, unless the module
 * is an ES module with a default of its own.
 */
function deferred(load: () => object): object {
    let real: (object & { __esModule?: boolean }) | undefined;
    const module = (): object & { __esModule?: boolean } => (real ??= load());
    return new Proxy(
        {},
        {
            get: (_target, key) => {
                if (key === "__esModule") {
                    return true;
                }
                return key === "default" && !module().__esModule ? module() : (Reflect.get(module(), key) as unknown);
            },
            has: (_target, key) => Reflect.has(module(), key),
        },
    );
}

function isDeferred(request: string, parent: NodeModule | undefined): boolean {
    const from = parent?.filename;
    return (
        from !== undefined &&
        DEFERRED_REQUIRES.some(
            (d) => d.request === request && from.endsWith(`${path.sep}node_modules${path.sep}${d.from}`),
        )
    );
}

const load = loader._load;
loader._load = function (this: unknown, request: string, parent: NodeModule | undefined, isMain: boolean): unknown {
    if (isDeferred(request, parent)) {
        return deferred(() => load.call(this, request, parent, isMain) as object);
    }
    return load.call(this, request, parent, isMain);
};

/**
 * The SDK records the whole stack at every resource registration, and its runner has
 * source-map-support map each frame (a third of a second of CPU per run of the program). The
 * compiled program ships no source maps and the SDK's own maps name sources it does not ship,
 * so the compiled entry point (`entry`, its __filename) turns the mapping off; frames then read
 * as V8 writes them, bin/ paths and lines. Run from its sources (ts-node: the tests) it keeps it.
 */
export function unmappedStackTraces(entry: string): void {
    if (path.extname(entry) === ".js") {
        Reflect.deleteProperty(Error, "prepareStackTrace");
    }
}
