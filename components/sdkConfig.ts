// The two things the config loader needs from the Pulumi SDK beyond its public API, in one
// place: the whole configuration map, and which values were set with `--secret`. The SDK
// keeps the latter in runtime/config without typings; tests/sdk-config.spec.ts pins this to
// the installed @pulumi/pulumi version, so an upgrade that moves it fails there first.
import * as pulumi from "@pulumi/pulumi";

/** The @pulumi/pulumi version these accessors were checked against. */
export const CHECKED_SDK_VERSION = "3.248.0";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's typings leave isConfigSecret out
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean };

/** Every configuration value the engine passed the program, keys with their namespace. */
export function allProjectConfig(): Record<string, string> {
    return pulumi.runtime.allConfig();
}

/** Whether `key` (with its namespace) was set with `pulumi config set --secret`. */
export function isSetAsSecret(key: string): boolean {
    if (typeof runtimeConfig.isConfigSecret !== "function") {
        throw new Error(
            `@pulumi/pulumi no longer exports runtime/config isConfigSecret (checked against ${CHECKED_SDK_VERSION}); components/sdkConfig.ts needs updating`,
        );
    }
    return runtimeConfig.isConfigSecret(key);
}
