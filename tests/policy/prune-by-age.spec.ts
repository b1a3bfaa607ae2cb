import { expect } from "chai";
import { pruneByAge } from "../../policy/policies/prune-by-age";
import { checkResource, configMap, firing, firstContainer, WORKLOADS } from "./fixtures";

const NAME = "prune-by-age";

describe(NAME, () => {
    it("passes --keep-since and a count-named --keep", () => {
        const script =
            'tkn pipelinerun delete -n ns --keep-since="${MAX_AGE_MINUTES}" -f\ntkn pr delete --keep=${PIPELINERUN_KEEP_COUNT} -f\n';
        expect(checkResource(pruneByAge, configMap({ "cleanup.sh": script }))).to.deep.equal([]);
        expect(firing([configMap({ "cleanup.sh": script })])).to.deep.equal([]);
    });

    it("fails --keep fed with an age (the review's cleanup script)", () => {
        const cm = configMap({
            "cleanup.sh": 'tkn pipelinerun delete -n "${NAMESPACE}" --keep="${PIPELINERUN_AGE_DAYS}" --force',
        });
        expect(checkResource(pruneByAge, cm)).to.deep.equal([
            'data["cleanup.sh"] passes "${PIPELINERUN_AGE_DAYS}" to --keep, which keeps that many runs rather than runs younger than an age',
        ]);
        expect(firing([cm])).to.deep.equal([NAME]);
    });

    it("follows a command continued over several lines", () => {
        const cm = configMap({ "cleanup.sh": "tkn pipelinerun delete \\\n  -n ns \\\n  --keep $RETENTION_DAYS -f" });
        expect(checkResource(pruneByAge, cm)).to.have.length(1);
    });

    it("reads container commands too", () => {
        const cron = WORKLOADS.CronJob();
        firstContainer(cron).command = ["/bin/sh", "-c", "tkn taskrun delete --keep=$TASKRUN_AGE_HOURS -f"];
        expect(checkResource(pruneByAge, cron)[0]).to.include('container "app"');
        expect(firing([cron])).to.deep.equal([NAME]);
    });
});
