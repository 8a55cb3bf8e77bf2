// A policy test sees the rules `buf generate` ships: for any caller, RPC and
// request stream, the decision the test runner takes from the image (rules
// read as generation reads them, buf.gen.yaml's options) equals the decision
// of a guard built from the committed generated tables of the same protos.
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { createGuard, type Decision, type Principal } from "protoauthz";
import { describe, expect, it } from "vitest";
import { authzTables, authzVocabulary } from "../../examples/sandbox-gateway/gen/authz_registry.js";
import { readGenerationConfig } from "../../plugin/src/check/buf-gen.js";
import { generatedInput } from "../../plugin/src/check/sides.js";
import { buildModel } from "../../plugin/src/policy/model.js";
import type { RunnableCase } from "../../plugin/src/policy/resolve.js";
import { runCases } from "../../plugin/src/policy/runner.js";
import { repoRoot } from "../support/request.js";

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const config = readGenerationConfig(join(repoRoot, "buf.gen.yaml"));
const model = buildModel(generatedInput(join(repoRoot, "examples/sandbox-gateway/proto"), config), config, config.vocabulary, (f) => f);
const generated = createGuard(authzTables, {
  authenticate: () => current,
  vocabulary: authzVocabulary,
});
let current: Principal | undefined;

const sandboxId = fc.constantFrom("sb-1", "sb-2", "", "0");
const principal: fc.Arbitrary<Principal | undefined> = fc.option(
  fc.record({
    kind: fc.constantFrom("user", "sandbox", "service", "workload", "robot"),
    subject: fc.constantFrom("alice", "sandbox/sb-1"),
    scopes: fc.subarray(["sandboxes.read", "sandboxes.write", "other"]),
    roles: fc.subarray(["admin", "member"]),
    attributes: fc.dictionary(fc.constantFrom("sandbox_id", "tenant"), sandboxId),
  }),
  { nil: undefined },
);
const call = fc.record({
  procedure: fc.constantFrom(...model.rpcs.keys()),
  principal,
  ids: fc.array(sandboxId, { minLength: 0, maxLength: 3 }),
});

/** The guard's decision of a whole call, the way an adapter drives it. */
async function decideWith(guard: typeof generated, procedure: string, messages: readonly unknown[], clientStream: boolean) {
  const authorization = await guard.authorize({ procedure, header: new Headers(), peer: undefined });
  if (!authorization.decision.allowed || !authorization.checksMessages) return authorization.decision;
  let admitted: Decision | undefined;
  for (const message of messages) {
    const verdict = await authorization.checkMessage(message);
    if (!verdict.allowed) return verdict;
    admitted ??= verdict;
  }
  return clientStream || admitted === undefined ? authorization.checkEnd() : admitted;
}

describe("policy tests against the generated tables", () => {
  it("decide every call exactly as a guard on the committed generated code", async () => {
    await fc.assert(
      fc.asyncProperty(call, async ({ procedure, principal: who, ids }) => {
        const rpc = model.rpcs.get(procedure);
        if (rpc === undefined) throw new Error(procedure);
        const clientStream = rpc.method.methodKind === "client_streaming" || rpc.method.methodKind === "bidi_streaming";
        // Requests of the RPC's input type, each field the rules may read set from `ids`.
        const messages = (clientStream ? ids : ids.slice(0, 1).concat(ids.length === 0 ? [""] : [])).map((id) =>
          create(rpc.method.input, { sandboxId: id, source: { sandboxId: id } } as never),
        );
        const testCase = {
          suite: { file: "t.authz-test.yaml", principals: new Map(), relations: undefined, tests: [] },
          test: {
            where: { file: "t", line: 1, column: 1 },
            rpc: procedure,
            rpcWhere: { file: "t", line: 1, column: 1 },
            messages: [],
            stream: clientStream,
            expect: [],
          },
          rpc,
          principalName: who === undefined ? "anonymous" : "p",
          principal: who,
          messages,
          expected: "ALLOW",
          where: { file: "t", line: 1, column: 1 },
        } satisfies RunnableCase;
        const [result] = await runCases([testCase], model, (p) => p);
        current = who;
        const expected = await decideWith(generated, procedure, messages, clientStream);
        current = undefined;
        expect(result?.decision).toEqual(expected);
      }),
      { numRuns: runs },
    );
  });
});
