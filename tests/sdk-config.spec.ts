// The SDK-private accessors the config loader relies on, checked against the installed
// @pulumi/pulumi: an upgrade that moves or changes them fails here, naming the module to fix.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { version as installed } from "@pulumi/pulumi/package.json";
import { allProjectConfig, CHECKED_SDK_VERSION, isSetAsSecret } from "../components/sdkConfig";

describe("components/sdkConfig.ts against the installed Pulumi SDK", () => {
    after(() => pulumi.runtime.setAllConfig({}));

    it(`was checked against the installed @pulumi/pulumi (${installed})`, () => {
        expect(installed, "re-check components/sdkConfig.ts, then update CHECKED_SDK_VERSION").to.equal(
            CHECKED_SDK_VERSION,
        );
    });

    it("tells which values were set as secrets, and returns every value", () => {
        pulumi.runtime.setAllConfig({ "abevalflow:plain": "a", "abevalflow:hidden": "b" }, ["abevalflow:hidden"]);
        expect(isSetAsSecret("abevalflow:hidden")).to.equal(true);
        expect(isSetAsSecret("abevalflow:plain")).to.equal(false);
        expect(allProjectConfig()).to.include({ "abevalflow:plain": "a", "abevalflow:hidden": "b" });
    });
});
