// protoc-gen-authz check across a migration to undeclared=audit, through the
// CLI and the options in buf.gen.yaml.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, runCli } from "../support/check-cli.js";
import { legacyProto, legacyWorkspaces } from "../support/legacy-api.js";

const work = legacyWorkspaces();
afterAll(() => work.remove());
const workspace = work.workspace;

describe("check across the migration, through the CLI and buf.gen.yaml", () => {
  /** A workspace whose buf.gen.yaml carries `opt`, and its image. */
  function checked(name: string, proto: string, opt: string): { ws: string; image: string } {
    const ws = workspace(name, proto, opt);
    return { ws, image: buildImage(join(ws, "proto"), join(ws, "image.binpb")) };
  }
  const annotations = { M000: '{ authenticated: { principals: "user" } }', M001: '{ deny: { reason: "unused" } }' };

  it("reports audit → declared as a change, and declared → audit as a loosening that fails", () => {
    const audited = checked("check-before", legacyProto(), "target=ts, undeclared=audit");
    const annotated = checked("check-after", legacyProto(annotations), "target=ts, undeclared=audit");
    const forward = runCli(annotated.ws, "check", annotated.image, "--against", audited.image);
    expect(forward.code, forward.stdout + forward.stderr).toBe(0);
    expect(forward.stdout).toMatch(/\/legacy\.v1\.LegacyService\/M000: audit \(undeclared\) → authenticated: now declared/);
    expect(forward.stdout).toMatch(/\/legacy\.v1\.LegacyService\/M001: audit \(undeclared\) → deny: now declared/);
    const back = runCli(audited.ws, "check", audited.image, "--against", annotated.image);
    expect(back.code).toBe(1);
    expect(back.stdout).toMatch(/LOOSENS: \/legacy\.v1\.LegacyService\/M000: authenticated → audit/);
    expect(back.stdout).toMatch(/LOOSENS: \/legacy\.v1\.LegacyService\/M001: deny → audit/);
  });

  it("agrees with buf generate: the same image fails without the option, passes with it", () => {
    const strict = checked("check-strict", legacyProto(), "target=ts");
    const failing = runCli(strict.ws, "check", strict.image);
    expect(failing.code).toBe(1);
    expect(failing.stdout.match(/: no rule \(/g) ?? [], failing.stdout.slice(0, 400)).toHaveLength(200);
    const migrating = checked("check-audit", legacyProto(), "target=ts, undeclared=audit");
    expect(runCli(migrating.ws, "check", migrating.image).code).toBe(0);
  });
});
