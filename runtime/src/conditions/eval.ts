// The shape of a compiled node, shared by the compiler and the macros.
import type { DescMessage } from "@bufbuild/protobuf";
import type { Principal } from "../principal.js";
import type { Node } from "./ast.js";

/** Evaluates a compiled node: the request, the principal, the comprehension variables. */
export type Eval = (request: unknown, principal: Principal, locals: unknown[]) => unknown;

/** The compile-time state: the environment's messages and the comprehension variables in scope. */
export interface Compiler {
  readonly messages: ReadonlyMap<string, DescMessage>;
  readonly locals: Map<string, number>;
  slots: number;
  compile(node: Node): Eval;
}
