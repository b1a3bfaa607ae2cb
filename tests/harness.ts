// What the tests use to run the program under Pulumi mocks. Running and recording live in
// scripts/engine/program-run.ts, which the docs generator, render and the checks outside
// tests/ import too; this module re-exports them and adds what only tests need.
import * as path from "path";
import { ofType, ProgramRun, RecordedResource } from "../scripts/engine/program-run";

export { LLM_MODES } from "../components/llmModes";
export { field, mockInputs, ofType, runProgram, stackConfig, withMode } from "../scripts/engine/program-run";
export type { ProgramRun, RecordedResource } from "../scripts/engine/program-run";

export const REPO_ROOT = path.resolve(__dirname, "..");

export function named(run: ProgramRun, type: string, metadataName: string): RecordedResource {
    const found = ofType(run, type).find(
        (r) => (r.inputs.metadata as { name?: string } | undefined)?.name === metadataName,
    );
    if (!found) {
        throw new Error(
            `no ${type} named ${metadataName}; have: ${ofType(run, type)
                .map((r) => r.name)
                .join(", ")}`,
        );
    }
    return found;
}
