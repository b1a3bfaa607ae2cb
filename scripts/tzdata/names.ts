// The time-zone names Go's time.LoadLocation finds in its embedded tz database: the entries of
// $GOROOT/lib/time/zoneinfo.zip, which `import _ "time/tzdata"` (kube-apiserver does) compiles
// into the binary. components/timeZones.json holds them for the config check; this script
// writes that file from a Go installation, and tests/config.spec.ts compares it with the Go on
// PATH. Usage: npx ts-node --transpile-only scripts/tzdata/names.ts [--check]
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ZONE_FILE = path.resolve(__dirname, "../../components/timeZones.json");

export interface ZoneList {
    /** The Go release the names were read from, e.g. go1.26.8. */
    go: string;
    /** The tz database release that Go release embeds (lib/time/update.bash, DATA=). */
    tzdata: string;
    names: string[];
}

/** The file names in a zip archive's central directory (zoneinfo.zip stores one file per zone). */
export function zipEntryNames(zip: Buffer): string[] {
    const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
    const CENTRAL_FILE_HEADER = 0x02014b50;
    // The end record is 22 bytes plus a comment of at most 65535.
    let end = -1;
    for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
        if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
            end = at;
            break;
        }
    }
    if (end === -1) {
        throw new Error("not a zip archive: no end of central directory record");
    }
    const count = zip.readUInt16LE(end + 10);
    const names: string[] = [];
    let at = zip.readUInt32LE(end + 16);
    for (let i = 0; i < count; i++) {
        if (zip.readUInt32LE(at) !== CENTRAL_FILE_HEADER) {
            throw new Error(`zip central directory entry ${i} is malformed`);
        }
        const nameLength = zip.readUInt16LE(at + 28);
        const extraLength = zip.readUInt16LE(at + 30);
        const commentLength = zip.readUInt16LE(at + 32);
        names.push(zip.toString("utf8", at + 46, at + 46 + nameLength));
        at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
}

/** The zone list of the Go installation `go` runs, or undefined when there is no go on PATH. */
export function goZoneList(go = process.env.GO ?? "go"): ZoneList | undefined {
    let goroot: string;
    let version: string;
    try {
        [goroot, version] = execFileSync(go, ["env", "GOROOT", "GOVERSION"], { encoding: "utf8" }).trim().split("\n");
    } catch {
        return undefined;
    }
    const timeDir = path.join(goroot, "lib", "time");
    const tzdata = /^DATA=(\S+)$/m.exec(fs.readFileSync(path.join(timeDir, "update.bash"), "utf8"))?.[1];
    if (!tzdata) {
        throw new Error(`${timeDir}/update.bash names no DATA= release`);
    }
    const names = zipEntryNames(fs.readFileSync(path.join(timeDir, "zoneinfo.zip")))
        .filter((n) => !n.endsWith("/"))
        .sort();
    return { go: version, tzdata, names };
}

function main(): void {
    const list = goZoneList();
    if (!list) {
        console.error("no go on PATH (or $GO): the names come from its lib/time/zoneinfo.zip");
        process.exit(2);
    }
    const text = `${JSON.stringify(list, null, 1)}\n`;
    if (process.argv.includes("--check")) {
        const committed = fs.readFileSync(ZONE_FILE, "utf8");
        if (committed !== text) {
            console.error(
                `${path.relative(process.cwd(), ZONE_FILE)} differs from ${list.go}'s zoneinfo.zip (tzdata ${list.tzdata}); run npx ts-node --transpile-only scripts/tzdata/names.ts`,
            );
            process.exit(1);
        }
        return;
    }
    fs.writeFileSync(ZONE_FILE, text);
    console.log(`${list.names.length} names from ${list.go} (tzdata ${list.tzdata}) written to ${ZONE_FILE}`);
}

if (require.main === module) {
    main();
}
