// The golden test compiles all its cases in a few buf runs
// (test/support/request-batch.ts); each request it cuts from a shared image
// must be byte for byte the one buf gives for the case compiled alone.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { buildRequest, repoRoot } from "../support/request.js";
import { compileInputs, requestFrom } from "../support/request-batch.js";

const goldenDir = join(repoRoot, "test/golden");
const inputs = [...readdirSync(goldenDir).map((name) => join(goldenDir, name, "input")), join(repoRoot, "test/fixtures/health")];

describe("compiling inputs together", () => {
  it("gives every input the request buf gives it alone", () => {
    const compiled = compileInputs(inputs);
    for (const input of inputs) {
      const alone = buildRequest(input, "target=ts");
      const together = requestFrom(compiled.get(input)!, "target=ts");
      expect(together.fileToGenerate, input).toEqual(alone.fileToGenerate);
      expect(
        together.protoFile.map((f) => f.name),
        input,
      ).toEqual(alone.protoFile.map((f) => f.name));
      expect(Buffer.from(toBinary(CodeGeneratorRequestSchema, together)).equals(toBinary(CodeGeneratorRequestSchema, alone)), input).toBe(
        true,
      );
    }
  });

  it("names the input buf refused, and still compiles its batch neighbours", () => {
    const broken = mkdtempSync(join(tmpdir(), "protoauthz-broken-"));
    try {
      mkdirSync(join(broken, "bad/v1"), { recursive: true });
      writeFileSync(join(broken, "bad/v1/bad.proto"), 'syntax = "proto3";\npackage bad.v1;\nmessage M { Missing m = 1; }\n');
      const good = join(goldenDir, "conditions/input");
      const compiled = compileInputs([good, broken]);
      expect(requestFrom(compiled.get(good)!, "").fileToGenerate).toEqual(["pay/v1/pay.proto"]);
      expect(() => requestFrom(compiled.get(broken)!, "")).toThrow(/buf build .*protoauthz-broken-.* failed:[\s\S]*Missing/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
