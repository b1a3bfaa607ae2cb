// The review's blocking finding: `tkn pipelinerun delete --keep="${PIPELINERUN_AGE_DAYS}"`
// keeps the N newest runs (a count), while the name and the docs promise an age. The rule
// looks for that shape wherever a script lives: ConfigMap data and container command/args.
import { containersOf, isRecord, K8sObject, kindKeyOf, podTemplateOf, strings, WORKLOAD_KINDS } from "../lib/k8s";
import { ResourceRule } from "../lib/rule";
import { text } from "../lib/schema";

export interface PruneByAgeConfig {
    ageVariablePattern: string;
}

const defaults: PruneByAgeConfig = {
    ageVariablePattern: "AGE|DAYS?|HOURS?|OLDER|RETENTION",
};

// `tkn pipelinerun|pr|taskrun|tr delete ... --keep[= ]VALUE` (not --keep-since), in one command
// that may continue over backslash-newlines.
const KEEP =
    /\btkn\s+(?:pipelinerun|pr|taskrun|tr)\s+(?:delete|rm)\b(?:\\\n|[^\n])*?--keep(?:=|\s+)("[^"]*"|'[^']*'|\S+)/g;

function scriptsOf(obj: K8sObject): { where: string; script: string }[] {
    if (kindKeyOf(obj) === "ConfigMap") {
        const data = isRecord(obj.data) ? obj.data : {};
        return Object.entries(data)
            .filter((entry): entry is [string, string] => typeof entry[1] === "string")
            .map(([key, script]) => ({ where: `data["${key}"]`, script }));
    }
    const pod = podTemplateOf(obj);
    return pod === undefined
        ? []
        : containersOf(pod.spec).map(({ container, label }) => ({
              where: `container ${label}`,
              script: [...strings(container.command), ...strings(container.args)].join(" "),
          }));
}

export const pruneByAge: ResourceRule<PruneByAgeConfig> = {
    scope: "resource",
    name: "prune-by-age",
    description:
        "Cleanup scripts do not pass an age (days, hours) to `tkn ... delete --keep`, which is a count of runs to keep.",
    details: "no cleanup script passes an age (`*_AGE_DAYS`, \u2026) to `tkn \u2026 delete --keep`, which is a count",
    remediationSteps:
        "use `--keep-since <minutes>` for an age limit (tkn measures it in minutes, from completionTime), " +
        "or rename the variable to a count such as PIPELINERUN_KEEP_COUNT if a count is what you mean.",
    enforcementLevel: "mandatory",
    defaults,
    configSchema: {
        properties: {
            ageVariablePattern: text(
                "Regular expression (case-insensitive) on the --keep value that marks it as an age.",
                defaults.ageVariablePattern,
            ),
        },
    },
    kinds: ["ConfigMap", ...WORKLOAD_KINDS],
    check(obj: K8sObject, config: PruneByAgeConfig): string[] {
        const age = new RegExp(config.ageVariablePattern, "i");
        const problems: string[] = [];
        for (const { where, script } of scriptsOf(obj)) {
            for (const match of script.matchAll(KEEP)) {
                if (age.test(match[1])) {
                    problems.push(
                        `${where} passes ${match[1]} to --keep, which keeps that many runs rather than runs younger than an age`,
                    );
                }
            }
        }
        return problems;
    },
};
