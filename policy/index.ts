// The pack's entry point: assembles the rules into a PolicyPack and nothing else. Constructing
// the pack starts the analyzer's gRPC server, so tests import the rules, never this file.
// First, before anything loads the Pulumi SDK: refuse compiled output older than its sources,
// and defer the SDK's modules that nothing here uses (common/sdkOverhead.ts).
import "../common/freshBuild";
import "../common/sdkOverhead";
import { PolicyPack } from "@pulumi/policy";
import { toPulumiPolicy } from "./lib/pulumi";
import { RULES } from "./policies";

new PolicyPack("abevalflow", {
    description: "Keeps the defects found in the ABEvalFlow infrastructure review from coming back.",
    policies: RULES.map(toPulumiPolicy),
});
