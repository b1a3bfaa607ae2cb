// Pulumi.yaml's `config:` block, generated from the key declarations in
// components/configKeys.ts. The engine reads the block itself (it applies the defaults and
// checks the types before the program runs), so it holds only what Pulumi's project config
// schema takes: type, items, default and description.
import * as YAML from "yaml";
import { HEADINGS, KeyName, projectConfigDeclarations, SECRET_KEYS } from "../../components/configKeys";

/** Where descriptions fold, and where the group headings end. */
const WIDTH = 100;
const HEADING_WIDTH = 90;
const INDENT = "  ";

const SECRET_NOTE = [
    " Not declared `secret: true`: the engine then refuses the empty default in every stack.",
    " components/config.ts refuses a value that was not set with --secret instead.",
];

function heading(title: string): string {
    const text = ` --- ${title} `;
    return text.padEnd(HEADING_WIDTH - INDENT.length - "#".length, "-");
}

/** The `config:` mapping as YAML text, ending without a newline. */
export function projectConfigBlock(): string {
    const doc = new YAML.Document({ config: projectConfigDeclarations() });
    const config = doc.get("config") as YAML.YAMLMap<YAML.Scalar<string>, YAML.YAMLMap>;
    for (const pair of config.items) {
        const name = pair.key.value as KeyName;
        const title = HEADINGS[name];
        const comments = [
            ...(title === undefined ? [] : [heading(title)]),
            ...(SECRET_KEYS.has(name) ? SECRET_NOTE : []),
        ];
        if (comments.length > 0) {
            pair.key.commentBefore = comments.join("\n");
        }
        const description = pair.value?.get("description", true) as YAML.Scalar<string>;
        // A description that does not fit on its key's line is folded (>-), as a reader would write it.
        if (`${INDENT}${INDENT}description: ${description.value}`.length > WIDTH) {
            description.type = YAML.Scalar.BLOCK_FOLDED;
        }
    }
    return doc.toString({ lineWidth: WIDTH }).trimEnd();
}
