// The reachability matrix as Markdown, from the same data the analyzer is held to.
import { declarations, LLM_MODES } from "../../components/config";
import { WORKLOAD_DESCRIPTIONS } from "./manifests";
import { expectedVerdict, loadMatrix, Matrix, NAMED_PORTS, Probe } from "./matrix";

function endpointCell(id: string, matrix: Matrix): string {
    const address = matrix.external[id];
    return address
        ? `${address.description} (\`${address.ip}\`)`
        : WORKLOAD_DESCRIPTIONS[id as keyof typeof WORKLOAD_DESCRIPTIONS];
}

function portCell(probe: Probe): string {
    if (typeof probe.port === "number") {
        return `${probe.protocol} ${probe.port}`;
    }
    return `${probe.protocol} \`${probe.port}\` (default ${String(declarations()[probe.port].default)})`;
}

export function reachabilityMatrix(matrix: Matrix = loadMatrix()): string {
    for (const name of NAMED_PORTS) {
        if (declarations()[name]?.default === undefined) {
            throw new Error(`Pulumi.yaml declares no default for ${name}`);
        }
    }
    const verdictCell = (probe: Probe, mode: (typeof LLM_MODES)[number]) => {
        const verdict = expectedVerdict(probe, mode);
        return verdict === undefined ? "n/a" : verdict === "allowed" ? "**allowed**" : "denied";
    };
    const rows = matrix.probes.map(
        (p) =>
            `| ${endpointCell(p.from, matrix)} | ${endpointCell(p.to, matrix)} | ${portCell(p)} | ${LLM_MODES.map((m) => verdictCell(p, m)).join(" | ")} |`,
    );
    const confined = matrix.confined.map((c) => {
        const where = c.modes.length === LLM_MODES.length ? "every mode" : c.modes.map((m) => `\`${m}\``).join(", ");
        return `- ${WORKLOAD_DESCRIPTIONS[c.source]} (${where}): nothing beyond its **allowed** rows.`;
    });
    return [
        `| from | to | connection | ${LLM_MODES.map((m) => `\`${m}\``).join(" | ")} |`,
        `|---|---|---|${LLM_MODES.map(() => "---").join("|")}|`,
        ...rows,
        "",
        "Besides the rows, the analyzer must list no other connection for:",
        "",
        ...confined,
    ].join("\n");
}
