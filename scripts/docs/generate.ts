// `npm run docs` rewrites the generated sections of the docs and of Pulumi.yaml (its `config:`
// block) and the settings of the policy configs that come from the stack files
// (policy-config.ts); `--check` only compares and exits 1 naming each stale file, for CI and the
// test suite.
import * as fs from "fs";
import * as path from "path";
import { policyConfigDrift, policyConfigFiles, regeneratePolicyConfig } from "./policy-config";
import { SECTIONS } from "./sections";

export const DOC_FILES = [
    "README.md",
    "docs/operations.md",
    "docs/reachability.md",
    "docs/policy-pack.md",
    "docs/cleanup.md",
    "Pulumi.yaml",
];
const ROOT = path.resolve(__dirname, "..", "..");

/** How a file marks its generated sections: HTML comments in Markdown, comment lines in YAML. */
const MARKERS = {
    markdown: {
        pattern: /<!-- BEGIN GENERATED: ([a-z0-9-]+) -->\n[\s\S]*?<!-- END GENERATED: \1 -->/g,
        wrap: (name: string, body: string) =>
            `<!-- BEGIN GENERATED: ${name} -->\n${body}\n<!-- END GENERATED: ${name} -->`,
    },
    yaml: {
        pattern: /^# BEGIN GENERATED: ([a-z0-9-]+)\n[\s\S]*?^# END GENERATED: \1$/gm,
        wrap: (name: string, body: string) => `# BEGIN GENERATED: ${name}\n${body}\n# END GENERATED: ${name}`,
    },
};

/** The text the file should have; rejects when a marker names an unknown section. */
export async function regenerate(text: string, file: string): Promise<string> {
    const marker = /\.ya?ml$/.test(file) ? MARKERS.yaml : MARKERS.markdown;
    const names = [...text.matchAll(marker.pattern)].map((m) => m[1]);
    const rendered = new Map<string, string>();
    for (const name of names) {
        const section = SECTIONS[name];
        if (!section) {
            throw new Error(`${file}: unknown generated section "${name}"; known: ${Object.keys(SECTIONS).join(", ")}`);
        }
        if (!rendered.has(name)) {
            rendered.set(name, await section());
        }
    }
    return text.replace(marker.pattern, (_whole, name: string) => marker.wrap(name, rendered.get(name) ?? ""));
}

/** Every file with generated parts, and the text it should have. */
function generatedFiles(): { file: string; generate: (text: string) => Promise<string> }[] {
    return [
        ...DOC_FILES.map((file) => ({ file, generate: (text: string) => regenerate(text, file) })),
        ...policyConfigFiles().map((file) => ({
            file,
            generate: (text: string) => Promise.resolve(regeneratePolicyConfig(text, file)),
        })),
    ];
}

/** Files whose committed text differs from the generated text. */
export async function staleFiles(): Promise<string[]> {
    const stale: string[] = [];
    for (const { file, generate } of generatedFiles()) {
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        if ((await generate(text)) !== text) {
            stale.push(file);
        }
    }
    return stale;
}

async function main(): Promise<void> {
    if (process.argv.includes("--check")) {
        const stale = await staleFiles();
        if (stale.length > 0) {
            for (const file of policyConfigFiles().filter((f) => stale.includes(f))) {
                policyConfigDrift(fs.readFileSync(path.join(ROOT, file), "utf8"), file).forEach((line) =>
                    console.error(line),
                );
            }
            console.error(`Generated docs are out of date: ${stale.join(", ")}. Run: npm run docs`);
            process.exit(1);
        }
        console.log(`docs up to date (${generatedFiles().length} files)`);
        return;
    }
    for (const { file, generate } of generatedFiles()) {
        const full = path.join(ROOT, file);
        const text = fs.readFileSync(full, "utf8");
        const next = await generate(text);
        if (next !== text) {
            fs.writeFileSync(full, next);
            console.log(`updated ${file}`);
        }
    }
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(2);
    });
}
