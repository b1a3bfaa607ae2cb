// The pack's entry point: assembles the rules into a PolicyPack and nothing else. Constructing
// the pack starts the analyzer's gRPC server, so tests import the rules, never this file.
// First: run as compiled JavaScript, refuse a build older than its sources.
import "../common/freshBuild";
import { PolicyPack } from "@pulumi/policy";
import { toPulumiPolicy } from "./lib/pulumi";
import { RULES } from "./policies";

new PolicyPack("abevalflow", {
    description: "Keeps the defects found in the ABEvalFlow infrastructure review from coming back.",
    policies: RULES.map(toPulumiPolicy),
});
