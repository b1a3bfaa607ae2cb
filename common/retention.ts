// The mark of a PersistentVolumeClaim that outlives the stack or chart that made it, in one
// place for the program (components/storage.ts sets it on the claims it retains on delete) and
// the policy pack (policy/policies/pvc-retained.ts, which says why an annotation is needed,
// accepts it as retention by default), so the two cannot drift apart.

/** The annotation that marks a claim as retained; the program sets it on its own claims. */
export const RETAIN_ANNOTATION = { "helm.sh/resource-policy": "keep" } as const;
