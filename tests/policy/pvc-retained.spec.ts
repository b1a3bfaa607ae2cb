import { expect } from "chai";
import { pvcRetained } from "../../policy/policies/pvc-retained";
import { checkResource, firing, pvc } from "./fixtures";

const NAME = "pvc-retained";

describe(NAME, () => {
    it("passes a claim annotated to be kept", () => {
        expect(checkResource(pvcRetained, pvc())).to.deep.equal([]);
        expect(firing([pvc()])).to.deep.equal([]);
    });

    it("passes a claim Pulumi protects", () => {
        expect(checkResource(pvcRetained, pvc({}), {}, { protect: true })).to.deep.equal([]);
        expect(firing([pvc({})], { protect: true })).to.deep.equal([]);
    });

    it("fails a claim neither protected nor annotated", () => {
        expect(checkResource(pvcRetained, pvc({}), {}, { protect: false })[0]).to.include(
            "helm.sh/resource-policy: keep",
        );
        expect(firing([pvc({})])).to.deep.equal([NAME]);
    });

    it("fails a different annotation value", () => {
        expect(checkResource(pvcRetained, pvc({ "helm.sh/resource-policy": "delete" }))).to.have.length(1);
    });

    it("takes the retain annotations and the protect switch from config", () => {
        expect(
            checkResource(pvcRetained, pvc({ "example.com/keep": "yes" }), {
                retainAnnotations: { "example.com/keep": "yes" },
            }),
        ).to.deep.equal([]);
        expect(checkResource(pvcRetained, pvc({}), { acceptProtect: false }, { protect: true })).to.have.length(1);
    });
});
