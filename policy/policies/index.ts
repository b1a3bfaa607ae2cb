// The pack's rules in report order: the three mandatory rules of the issue first, then the rest.
import { Rule } from "../lib/rule";
import { dedicatedServiceAccount } from "./dedicated-service-account";
import { defaultDenyPlusAllow } from "./default-deny-plus-allow";
import { deploymentProbes } from "./deployment-probes";
import { dnsEgressPorts } from "./dns-egress-ports";
import { egressExceptsInternal } from "./egress-excepts-internal";
import { noTokenAutomount } from "./no-token-automount";
import { pinnedImages } from "./pinned-images";
import { pruneByAge } from "./prune-by-age";
import { pvcRetained } from "./pvc-retained";
import { quotaHasLimitRange } from "./quota-has-limitrange";
import { replicatedDeploymentPdb } from "./replicated-deployment-pdb";
import { resourceRequestsLimits } from "./resource-requests-limits";
import { restrictedSecurityContext } from "./restricted-security-context";
import { scopedSecretAccess } from "./scoped-secret-access";

export const RULES: readonly Rule[] = [
    pinnedImages,
    scopedSecretAccess,
    defaultDenyPlusAllow,
    dedicatedServiceAccount,
    noTokenAutomount,
    restrictedSecurityContext,
    resourceRequestsLimits,
    deploymentProbes,
    replicatedDeploymentPdb,
    pvcRetained,
    egressExceptsInternal,
    dnsEgressPorts,
    quotaHasLimitRange,
    pruneByAge,
];
