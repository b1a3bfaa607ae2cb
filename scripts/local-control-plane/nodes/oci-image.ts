// Packs a root filesystem into an OCI image archive (oci-layout, index.json, blobs) that
// `ctr images import` reads, without a registry or a container engine. Everything that goes
// into the digest is fixed (file order, owners, times, JSON key order), so the same rootfs
// gives the same manifest digest on every machine, and the local stacks can pin it.
//
// Usage: ts-node oci-image.ts --rootfs DIR --name REPO:TAG --out FILE.tar
//          [--entrypoint JSON-array] [--cmd JSON-array] [--user UID] [--env K=V]... [--workdir DIR]
// Prints the manifest digest (sha256:...) on stdout.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Args {
    rootfs: string;
    name: string;
    out: string;
    entrypoint?: string[];
    cmd?: string[];
    user?: string;
    env: string[];
    workdir?: string;
}

function fail(message: string): never {
    process.stderr.write(`oci-image: ${message}\n`);
    process.exit(2);
}

function jsonArray(flag: string, text: string): string[] {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        fail(`${flag} ${JSON.stringify(text)}: expected a JSON array of strings`);
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        fail(`${flag} ${JSON.stringify(text)}: expected a JSON array of strings`);
    }
    return value;
}

export function parseArgs(argv: string[]): Args {
    const args: Partial<Args> & { env: string[] } = { env: [] };
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (value === undefined) {
            fail(`${flag} needs a value`);
        }
        switch (flag) {
            case "--rootfs":
                args.rootfs = value;
                break;
            case "--name":
                args.name = value;
                break;
            case "--out":
                args.out = value;
                break;
            case "--entrypoint":
                args.entrypoint = jsonArray(flag, value);
                break;
            case "--cmd":
                args.cmd = jsonArray(flag, value);
                break;
            case "--user":
                args.user = value;
                break;
            case "--env":
                args.env.push(value);
                break;
            case "--workdir":
                args.workdir = value;
                break;
            default:
                fail(`unknown option ${flag}`);
        }
    }
    if (!args.rootfs || !fs.statSync(args.rootfs, { throwIfNoEntry: false })?.isDirectory()) {
        fail(`--rootfs ${JSON.stringify(args.rootfs ?? "")}: expected an existing directory`);
    }
    if (!args.name || !/^[a-z0-9.-]+(\/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$/.test(args.name)) {
        fail(`--name ${JSON.stringify(args.name ?? "")}: expected host/repository:tag`);
    }
    if (!args.out) {
        fail("--out FILE.tar is required");
    }
    if (args.user !== undefined && !/^[0-9]+(:[0-9]+)?$/.test(args.user)) {
        fail(`--user ${JSON.stringify(args.user)}: expected a numeric uid[:gid], so runAsNonRoot can check it`);
    }
    return args as Args;
}

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

function fileSha256(file: string): string {
    const hash = crypto.createHash("sha256");
    const fd = fs.openSync(file, "r");
    try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
            hash.update(buf.subarray(0, n));
        }
    } finally {
        fs.closeSync(fd);
    }
    return hash.digest("hex");
}

export function buildImage(args: Args): string {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "oci-image-"));
    try {
        const blobs = path.join(work, "layout", "blobs", "sha256");
        fs.mkdirSync(blobs, { recursive: true });
        // One uncompressed layer with fixed order, owners and times: its digest depends on
        // the files' contents and modes only.
        const layer = path.join(work, "layer.tar");
        execFileSync(
            "tar",
            [
                "--sort=name",
                "--mtime=@0",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "--format=posix",
                "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                "-C",
                args.rootfs,
                "-cf",
                layer,
                ".",
            ],
            { stdio: ["ignore", "ignore", "inherit"] },
        );
        const layerDigest = fileSha256(layer);
        const layerSize = fs.statSync(layer).size;
        fs.renameSync(layer, path.join(blobs, layerDigest));

        const config = JSON.stringify({
            architecture: "amd64",
            os: "linux",
            config: {
                ...(args.user ? { User: args.user } : {}),
                Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...args.env],
                ...(args.entrypoint ? { Entrypoint: args.entrypoint } : {}),
                ...(args.cmd ? { Cmd: args.cmd } : {}),
                ...(args.workdir ? { WorkingDir: args.workdir } : {}),
            },
            rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
        });
        const configDigest = sha256(config);
        fs.writeFileSync(path.join(blobs, configDigest), config);

        const manifest = JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: {
                mediaType: "application/vnd.oci.image.config.v1+json",
                digest: `sha256:${configDigest}`,
                size: Buffer.byteLength(config),
            },
            layers: [
                {
                    mediaType: "application/vnd.oci.image.layer.v1.tar",
                    digest: `sha256:${layerDigest}`,
                    size: layerSize,
                },
            ],
        });
        const manifestDigest = sha256(manifest);
        fs.writeFileSync(path.join(blobs, manifestDigest), manifest);

        const index = {
            schemaVersion: 2,
            manifests: [
                {
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    digest: `sha256:${manifestDigest}`,
                    size: Buffer.byteLength(manifest),
                    annotations: {
                        "io.containerd.image.name": args.name,
                        "org.opencontainers.image.ref.name": args.name.slice(args.name.lastIndexOf(":") + 1),
                    },
                },
            ],
        };
        fs.writeFileSync(path.join(work, "layout", "index.json"), JSON.stringify(index));
        fs.writeFileSync(path.join(work, "layout", "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
        const partial = `${args.out}.partial`;
        execFileSync(
            "tar",
            [
                "--sort=name",
                "--mtime=@0",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-C",
                path.join(work, "layout"),
                "-cf",
                partial,
                ".",
            ],
            { stdio: ["ignore", "ignore", "inherit"] },
        );
        fs.renameSync(partial, args.out);
        return `sha256:${manifestDigest}`;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) {
    process.stdout.write(`${buildImage(parseArgs(process.argv.slice(2)))}\n`);
}
