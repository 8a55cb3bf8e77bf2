import type { DescMessage } from "@bufbuild/protobuf";
import type { CheckedRule, MethodRule, Principal, Requirements, ServiceAuthz } from "protoauthz/tool";
import * as tool from "protoauthz/tool";
import type { RpcModel } from "./model.js";

/** The guard's own condition compiler, once CEL conditions are in the runtime. */
type Compiler = (request: DescMessage) => (text: string) => { evaluate(request: unknown, principal: Principal): unknown };
const compilerOf = (tool as unknown as { conditionCompiler?: Compiler }).conditionCompiler;

/** The values a block's conditions took for one case: [condition index (1-based), value]. */
export type ConditionValues = readonly (readonly [number, boolean])[];

interface PreparedBlock {
  /** The block without its conditions and relations: whether a caller reaches its conditions. */
  readonly reach: CheckedRule;
  readonly conditions: readonly { evaluate(request: unknown, principal: Principal): unknown }[];
}

const prepared = new WeakMap<Requirements<unknown>, PreparedBlock>();

/**
 * What a block's conditions evaluated to for a case, message by message, in
 * the guard's order: only for a caller its kinds, scopes, roles and bindings
 * admit (decided by the runtime on the block without conditions), up to the
 * first condition that is not true. Observed, not decided: an any_of reports
 * one alternative's denial, which can hide another's condition.
 */
export function conditionValues(
  rpc: RpcModel,
  block: Requirements<unknown>,
  principal: Principal | undefined,
  messages: readonly unknown[],
): ConditionValues {
  const texts = (block as { readonly conditions?: readonly string[] }).conditions ?? [];
  if (texts.length === 0 || compilerOf === undefined || principal === undefined) return [];
  let prepare = prepared.get(block);
  if (prepare === undefined) prepared.set(block, (prepare = prepareBlock(rpc, block, texts, compilerOf)));
  const seen: [number, boolean][] = [];
  for (const message of messages) {
    if (!tool.decide(prepare.reach, principal, message).allowed) continue;
    for (const [i, condition] of prepare.conditions.entries()) {
      const value = condition.evaluate(message, principal);
      if (value === true) seen.push([i + 1, true]);
      else {
        if (value === false) seen.push([i + 1, false]);
        break;
      }
    }
  }
  return seen;
}

function prepareBlock(rpc: RpcModel, block: Requirements<unknown>, texts: readonly string[], compiler: Compiler): PreparedBlock {
  const { principals, scopes, roles, bindings } = block;
  const service = rpc.method.parent;
  const rules: Record<string, MethodRule<never>> = {};
  for (const method of service.methods) {
    rules[method.localName] =
      method === rpc.method
        ? ({ access: "authenticated", principals, scopes, roles, bindings } as MethodRule<never>)
        : { access: "deny", reason: "not under test" };
  }
  const table: ServiceAuthz = { service, rules };
  const entry = tool.compileTables([table]).get(rpc.procedure);
  if (entry === undefined) throw new Error(`${rpc.procedure}: no entry`);
  const compile = compiler(rpc.method.input);
  return { reach: entry.checked, conditions: texts.map((text) => compile(text)) };
}
