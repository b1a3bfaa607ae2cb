// Tables in the docs that restate code or config. Each is generated here from its source
// of truth; `npm run docs` writes them between markers, and a test fails when the
// committed docs differ from what these functions produce.
import { declarations, stackFileConfig } from "../../components/config";

export type Section = () => string;

function cell(value: unknown): string {
    if (value === undefined) {
        return "";
    }
    const text = typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value);
    return `\`${text.replace(/\|/g, "\\|")}\``;
}

function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim().replace(/\|/g, "\\|");
}

/** Every config key: type, default, the committed stacks' values, description. */
export const configKeys: Section = () => {
    const stacks = ["dev", "prod"];
    const values = Object.fromEntries(stacks.map((s) => [s, stackFileConfig(s)]));
    const rows = Object.entries(declarations()).map(([key, decl]) => {
        const type = decl.type === "array" ? `${decl.items?.type ?? "string"}[]` : decl.type;
        const perStack = stacks.map((s) => cell(values[s][`abevalflow:${key}`]));
        const required = decl.default === undefined ? " **required**" : "";
        return `| \`${key}\` | ${type}${decl.secret ? " (secret)" : ""} | ${cell(decl.default)}${required} | ${perStack.join(" | ")} | ${oneLine(decl.description)} |`;
    });
    return [
        `| key (\`abevalflow:\`) | type | default | dev | prod | description |`,
        `|---|---|---|---|---|---|`,
        ...rows,
    ].join("\n");
};

export const SECTIONS: Record<string, Section> = { "config-keys": configKeys };
