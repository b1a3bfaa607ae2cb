// The analyzer binary for the TypeScript side: ensure-netpolicy.sh builds or finds it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ENSURE_SCRIPT = path.join(__dirname, "ensure-netpolicy.sh");

/** The version pinned in versions.env (the only place it is written). */
export function netpolicyVersion(): string {
    const text = fs.readFileSync(path.join(__dirname, "versions.env"), "utf8");
    const m = /^NETPOL_ANALYZER_VERSION=(\S+)$/m.exec(text);
    if (!m) {
        throw new Error(`${path.join(__dirname, "versions.env")} has no NETPOL_ANALYZER_VERSION=...`);
    }
    return m[1];
}

/** Builds netpolicy into the toolchain cache on first use; returns the binary's path. */
export function ensureNetpolicy(): string {
    const out = execFileSync(ENSURE_SCRIPT, [], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 30 * 60_000,
    });
    const binary = out.trim().split("\n").pop() ?? "";
    if (!fs.existsSync(binary)) {
        throw new Error(`${ENSURE_SCRIPT} printed "${binary}", which does not exist`);
    }
    return binary;
}
