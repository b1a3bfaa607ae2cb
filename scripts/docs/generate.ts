// `npm run docs` rewrites the generated sections of the docs; `--check` only compares and
// exits 1 naming each stale section, for CI and the test suite.
import * as fs from "fs";
import * as path from "path";
import { SECTIONS } from "./sections";

export const DOC_FILES = ["README.md"];
const ROOT = path.resolve(__dirname, "..", "..");
const MARKER = /<!-- BEGIN GENERATED: ([a-z0-9-]+) -->\n[\s\S]*?<!-- END GENERATED: \1 -->/g;

/** The text the file should have; throws when a marker names an unknown section. */
export function regenerate(text: string, file: string): string {
    return text.replace(MARKER, (_whole, name: string) => {
        const section = SECTIONS[name];
        if (!section) {
            throw new Error(`${file}: unknown generated section "${name}"; known: ${Object.keys(SECTIONS).join(", ")}`);
        }
        return `<!-- BEGIN GENERATED: ${name} -->\n${section()}\n<!-- END GENERATED: ${name} -->`;
    });
}

/** Files whose committed text differs from the generated text. */
export function staleFiles(): string[] {
    return DOC_FILES.filter((file) => {
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        return regenerate(text, file) !== text;
    });
}

if (require.main === module) {
    const check = process.argv.includes("--check");
    if (check) {
        const stale = staleFiles();
        if (stale.length > 0) {
            console.error(`Generated docs are out of date: ${stale.join(", ")}. Run: npm run docs`);
            process.exit(1);
        }
        console.log(`docs up to date (${DOC_FILES.length} files)`);
    } else {
        for (const file of DOC_FILES) {
            const full = path.join(ROOT, file);
            const text = fs.readFileSync(full, "utf8");
            const next = regenerate(text, file);
            if (next !== text) {
                fs.writeFileSync(full, next);
                console.log(`updated ${file}`);
            }
        }
    }
}
