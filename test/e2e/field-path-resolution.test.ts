// Resolving a binding path builds no prefix per step (it used to be
// quadratic), refuses a path deeper than 64 fields without walking it, and
// names what is wrong. Work is measured in bytes, never in time.

import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { AuthzConfigError, createGuard, defineServiceAuthz, type ServiceAuthz } from "protoauthz";
import { resolveFieldPath } from "protoauthz/tool";
import { beforeAll, describe, expect, it } from "vitest";
import { compileDeepPath, deepPath, depths } from "../support/deep-path.js";

let Req: DescMessage;
let DeepService: DescService;

beforeAll(() => {
  ({ Req, DeepService } = compileDeepPath());
});

/**
 * Bytes of the strings String#slice, String#split, Array#join and
 * Array#slice produce (elements, for the last) while `run` runs: the prefix
 * building that made resolution quadratic shows up here.
 */
function builtBytes(run: () => void): number {
  let bytes = 0;
  const original = {
    stringSlice: String.prototype.slice,
    split: String.prototype.split,
    join: Array.prototype.join,
    arraySlice: Array.prototype.slice,
  };
  function count<T extends { length: number }>(result: T): T {
    bytes += Array.isArray(result) ? result.reduce((sum: number, piece: unknown) => sum + String(piece).length, 0) : result.length;
    return result;
  }
  String.prototype.slice = function (this: string, ...args: [number?, number?]) {
    return count(original.stringSlice.apply(this, args));
  };
  String.prototype.split = function (this: string, ...args: unknown[]) {
    return count(Reflect.apply(original.split, this, args) as string[]);
  } as typeof String.prototype.split;
  Array.prototype.join = function (this: unknown[], ...args: [string?]) {
    return count(original.join.apply(this, args));
  };
  Array.prototype.slice = function (this: unknown[], ...args: [number?, number?]) {
    const result = original.arraySlice.apply(this, args);
    bytes += result.length;
    return result;
  };
  try {
    run();
  } finally {
    String.prototype.slice = original.stringSlice;
    String.prototype.split = original.split;
    Array.prototype.join = original.join;
    Array.prototype.slice = original.arraySlice;
  }
  return bytes;
}

describe("path resolution", () => {
  it("builds strings linear in the path, up to the limit", () => {
    for (const depth of depths) {
      const path = deepPath(depth);
      let result: ReturnType<typeof resolveFieldPath> | undefined;
      const bytes = builtBytes(() => {
        result = resolveFieldPath(Req, path);
      });
      expect(result?.ok, path).toBe(true);
      expect(bytes).toBeLessThanOrEqual(2 * path.length);
    }
  });

  it("refuses a path deeper than 64 fields without walking it, naming the path", () => {
    for (const depth of [65, 1_000, 100_000]) {
      const path = ["root", ...Array<string>(depth - 1).fill("child")].join(".");
      let result: ReturnType<typeof resolveFieldPath> | undefined;
      const bytes = builtBytes(() => {
        result = resolveFieldPath(Req, path);
      });
      expect(result).toMatchObject({ ok: false, problem: expect.stringContaining(`is ${depth} fields deep, more than the limit of 64`) });
      expect(result?.ok === false && result.problem).toContain('binding field "root.child.child');
      // A bounded excerpt of the path, whatever its length.
      expect(bytes).toBeLessThanOrEqual(1024);
    }
  });

  it("names the walked prefix in errors past the first step", () => {
    const path = `root.child.child.leaf.sandbox_id.more`;
    expect(resolveFieldPath(Req, path)).toMatchObject({
      ok: false,
      problem: `binding field "${path}" steps into "root.child.child.leaf.sandbox_id", which is not a message`,
    });
  });

  it("says so when a path uses the JavaScript name of a field (userId for user_id), at any step", () => {
    expect(resolveFieldPath(Req, "root.child.child.leaf.sandboxId")).toEqual({
      ok: false,
      problem: `binding field "root.child.child.leaf.sandboxId" uses the JavaScript name "sandboxId" of deep.v1.Leaf field "sandbox_id"`,
      fix: 'name the proto field: "root.child.child.leaf.sandbox_id"',
    });
    const rules = Object.fromEntries(
      DeepService.methods.map((m) => [
        m.localName,
        { access: "authenticated", bindings: [{ field: "root.child.leaf.sandboxId", attribute: "sandbox_id" }] },
      ]),
    );
    const start = () => createGuard([defineServiceAuthz(DeepService, rules as never) as ServiceAuthz], { authenticate: () => undefined });
    expect(start).toThrow(/uses the JavaScript name "sandboxId" .* \(name the proto field: "root\.child\.leaf\.sandbox_id"\)/);
  });

  it("the guard refuses a rule in code whose path is too deep, with AuthzConfigError", () => {
    const field = ["root", ...Array<string>(999).fill("child")].join(".");
    const rules = Object.fromEntries(
      DeepService.methods.map((m) => [m.localName, { access: "authenticated", bindings: [{ field, attribute: "sandbox_id" }] }]),
    );
    const table = defineServiceAuthz(DeepService, rules as never) as ServiceAuthz;
    const start = () => createGuard([table], { authenticate: () => undefined });
    expect(start).toThrow(AuthzConfigError);
    expect(start).toThrow(/is 1000 fields deep, more than the limit of 64/);
  });
});
