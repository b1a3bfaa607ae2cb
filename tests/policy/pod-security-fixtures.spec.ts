// policy/lib/podSecurity.ts held to the Pod Security admission's own fixtures: every pod of
// k8s.io/pod-security-admission's test/testdata/<level>/<latest>/{pass,fail}/, vendored in
// third_party/pod-security-admission/, must get the verdict of its directory at its level, and a
// refused one must be refused by the control its file is named after (at restricted, by the
// restricted control that replaces a baseline one). The vendored files are first proven to be
// the module's, at the version the pinned Kubernetes release implies.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import {
    ControlId,
    CONTROLS,
    controlsFor,
    evaluatePodSecurity,
    forbiddenDetail,
    POD_SECURITY_LEVELS,
    POD_SECURITY_VERSION,
    PodSecurityLevel,
} from "../../policy/lib/podSecurity";
import {
    filesUnder,
    h1,
    isVendored,
    loadFixtures,
    OWN_FILES,
    parseSums,
    pinnedModule,
    readVendoredModule,
    sha256Hex,
    SUMS_FILE,
    VENDOR_DIR,
} from "../../scripts/pod-security/vendor";

const vendored = readVendoredModule();

/** The control that must refuse a fail fixture named after `check` at `level`. */
function refusingControl(level: PodSecurityLevel, check: string): ControlId | undefined {
    const named = CONTROLS.find((c) => c.id.toLowerCase() === check);
    if (named === undefined) {
        return undefined;
    }
    const running = controlsFor(level);
    if (running.includes(named)) {
        return named.id;
    }
    return running.find((c) => c.overrides === named.id)?.id;
}

const FIXTURES = loadFixtures();

describe(`Pod Security fixtures of ${vendored.module}@${vendored.version} (${vendored.fixturesVersion})`, () => {
    it("are of the module version the pinned Kubernetes implies, and the version the controls implement", () => {
        const pinned = pinnedModule();
        expect(vendored.version, "KUBERNETES_VERSION changed: run `npm run pod-security:fixtures`").to.equal(
            pinned.version,
        );
        expect(vendored.fixturesVersion).to.equal(pinned.fixturesVersion);
        expect(
            POD_SECURITY_VERSION,
            "policy/lib/podSecurity.ts implements another version than the fixtures'",
        ).to.equal(vendored.fixturesVersion);
    });

    it("are byte for byte the module's files: SHA256SUMS hashes to the module checksum, each file to its line, none missing", () => {
        const sumsText = fs.readFileSync(path.join(VENDOR_DIR, SUMS_FILE), "utf8");
        expect(h1(sumsText), `${SUMS_FILE} is not the module's file list`).to.equal(vendored.sum);
        const sums = parseSums(sumsText, vendored.version);
        const kept = filesUnder(VENDOR_DIR).filter((rel) => !OWN_FILES.includes(rel));
        for (const rel of kept) {
            expect(sha256Hex(fs.readFileSync(path.join(VENDOR_DIR, rel))), `${rel} differs from the module's`).to.equal(
                sums.get(rel),
            );
        }
        expect(kept).to.deep.equal([...sums.keys()].filter((rel) => isVendored(rel, vendored.fixturesVersion)).sort());
        expect(FIXTURES.length).to.equal(kept.length - 1);
    });

    for (const level of POD_SECURITY_LEVELS) {
        describe(`${level}: each pod gets its directory's verdict`, () => {
            for (const f of FIXTURES.filter((x) => x.level === level)) {
                it(`${f.verdict}/${f.name}`, () => {
                    const violations = evaluatePodSecurity(level, {
                        annotations: f.pod.metadata?.annotations,
                        spec: f.pod.spec,
                    });
                    if (f.verdict === "pass") {
                        expect(forbiddenDetail(violations), "admitted upstream").to.equal("");
                        return;
                    }
                    const control = refusingControl(level, f.check);
                    expect(control, `no control here answers to the fixture's check "${f.check}"`).to.not.equal(
                        undefined,
                    );
                    expect(
                        violations.map((v) => v.control),
                        `refused upstream by ${String(control)}`,
                    ).to.include(control);
                });
            }
        });
    }

    it("cover every control of each level with refused pods, and name no check the controls lack", () => {
        const rows: string[] = [];
        for (const level of POD_SECURITY_LEVELS) {
            const counts = new Map<string, { pass: number; fail: number }>();
            for (const f of FIXTURES.filter((x) => x.level === level)) {
                const key =
                    f.check === "base" ? "base" : (refusingControl(level, f.check) ?? `unknown check "${f.check}"`);
                const count = counts.get(key) ?? { pass: 0, fail: 0 };
                count[f.verdict]++;
                counts.set(key, count);
            }
            for (const control of controlsFor(level)) {
                expect(
                    counts.get(control.id)?.fail ?? 0,
                    `${level}: no refused fixture for ${control.id}`,
                ).to.be.greaterThan(0);
            }
            expect([...counts.keys()].filter((k) => k.startsWith("unknown"))).to.deep.equal([]);
            for (const [control, { pass, fail }] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
                rows.push(
                    `${level.padEnd(10)} ${control.padEnd(26)} pass ${String(pass).padStart(2)}  fail ${String(fail).padStart(2)}`,
                );
            }
        }
        console.log(
            `      fixtures per control (${FIXTURES.length} pods):\n${rows.map((r) => `        ${r}`).join("\n")}`,
        );
    });
});
