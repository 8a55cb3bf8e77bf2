import { fromJson, type JsonValue, type Message } from "@bufbuild/protobuf";
import type { Principal, Rule } from "protoauthz/tool";
import { normalizeProcedure } from "../check/procedure.js";
import type { PolicyModel, RpcModel } from "./model.js";
import { anonymous, type MessageDef, type Outcome, type TestCaseDef, type TestSuite } from "./suite-file.js";
import { closest, TestFileError, type Where } from "./where.js";

/** One principal's call in one test: what runs, and what it must decide. */
export interface RunnableCase {
  readonly suite: TestSuite;
  readonly test: TestCaseDef;
  readonly rpc: RpcModel;
  readonly principalName: string;
  readonly principal: Principal | undefined;
  readonly messages: readonly Message[];
  readonly expected: Outcome;
  /** The expectation's line in the test file. */
  readonly where: Where;
}

/** Checks every test of a suite against the input and expands it into cases; the first mistake is thrown at its place. */
export function resolveSuite(suite: TestSuite, model: PolicyModel): RunnableCase[] {
  const kinds = model.vocabulary.principals;
  if (kinds !== undefined && kinds.length > 0) {
    for (const def of suite.principals.values()) {
      if (!kinds.includes(def.principal.kind)) {
        const suggestion = closest(def.principal.kind, kinds);
        throw new TestFileError(
          def.kindWhere,
          `principal "${def.name}": kind "${def.principal.kind}" is not in the vocabulary (${suggestion ? `did you mean ${suggestion}? ` : ""}use one of ${kinds.join(", ")}, from principals= in buf.gen.yaml)`,
        );
      }
    }
  }
  const parsed = new Map<string, Map<unknown, Message>>();
  const cases: RunnableCase[] = [];
  for (const test of suite.tests) {
    const rpc = findRpc(test, model);
    if (test.stream && !rpc.method.methodKind.startsWith("client") && rpc.method.methodKind !== "bidi_streaming") {
      throw new TestFileError(
        test.rpcWhere,
        `${rpc.procedure.slice(1)} takes one request (${rpc.method.methodKind}): write request:, not stream:`,
      );
    }
    const relations = relationsOf(rpc.rule);
    if (relations.length > 0 && suite.relations === undefined) {
      throw new TestFileError(
        test.rpcWhere,
        `${rpc.procedure.slice(1)} asks relations (${relations.join(", ")}), and this file has no schema (add schema: path/to/schema.zed and relationships:, to run them on the embedded SpiceDB)`,
      );
    }
    let byJson = parsed.get(rpc.method.input.typeName);
    if (byJson === undefined) parsed.set(rpc.method.input.typeName, (byJson = new Map()));
    const cache = byJson;
    const messages = test.messages.map((m) => {
      let message = cache.get(m.json);
      if (message === undefined) cache.set(m.json, (message = parseMessage(m, rpc, model)));
      return message;
    });
    for (const expectation of test.expect) {
      const def = expectation.principal === anonymous ? undefined : suite.principals.get(expectation.principal);
      cases.push({
        suite,
        test,
        rpc,
        principalName: expectation.principal,
        principal: def?.principal,
        messages,
        expected: expectation.outcome,
        where: expectation.where,
      });
    }
  }
  return cases;
}

function findRpc(test: TestCaseDef, model: PolicyModel): RpcModel {
  const procedure = test.rpc.includes("/") || test.rpc.includes(".") ? normalizeProcedure(test.rpc.trim()) : `/${test.rpc}`;
  const rpc = model.rpcs.get(procedure);
  if (rpc !== undefined) return rpc;
  if (model.leftOut(procedure)) {
    throw new TestFileError(
      test.rpcWhere,
      `${procedure.slice(1)} is left out of protoc-gen-authz's input by types/exclude_types in buf.gen.yaml: no table is generated for it to test`,
    );
  }
  const names = [...model.rpcs.keys()].map((p) => p.slice(1));
  const wanted = procedure.slice(1);
  // A method name alone, or a typo in the whole name.
  const byMethod = names.filter((n) => n.endsWith(`/${wanted.slice(wanted.lastIndexOf("/") + 1)}`));
  const suggestion = byMethod.length === 1 ? byMethod[0] : closest(wanted, names);
  throw new TestFileError(
    test.rpcWhere,
    `unknown RPC "${test.rpc}" (${suggestion ? `did you mean ${suggestion}? ` : ""}write pkg.Service/Method of an RPC in the input)`,
  );
}

function parseMessage(def: MessageDef, rpc: RpcModel, model: PolicyModel): Message {
  try {
    return fromJson(rpc.method.input, def.json as JsonValue, { registry: model.registry });
  } catch (error) {
    const named = def.name === undefined ? "request" : `request "${def.name}"`;
    throw new TestFileError(
      def.where,
      `${named} is not a ${rpc.method.input.typeName} in proto JSON, the input of ${rpc.procedure.slice(1)}: ${(error as Error).message} (field names in lowerCamelCase, int64 as strings)`,
    );
  }
}

/** "resource_type#permission" of every relation the rule asks. */
export function relationsOf(rule: Rule<unknown>): string[] {
  const blocks = rule.access === "authenticated" ? [rule] : rule.access === "any_of" ? rule.alternatives : [];
  return [...new Set(blocks.flatMap((b) => (b.relations ?? []).map((r) => `${r.resourceType}#${r.permission}`)))];
}
