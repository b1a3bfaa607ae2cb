// Reads the stack configuration once, builds the slices, exports the outputs.
import { loadConfig } from "./components/config";
import { buildInfrastructure } from "./components/infrastructure";

const infra = buildInfrastructure(loadConfig());

export const namespace = infra.namespace;
export const llmMode = infra.llmMode;
export const serviceAccounts = infra.serviceAccounts;
export const volumeClaims = infra.volumeClaims;
export const networkPolicies = infra.networkPolicies;
export const litellmUrl = infra.litellmUrl;
export const previewServiceAccount = infra.previewServiceAccount;
