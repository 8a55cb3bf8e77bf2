// The comprehension macros: all, exists, exists_one, filter, map, over a
// list's elements or a map's keys. The checker refuses one nested in
// another, so each costs one pass over its range.
import type { Node } from "./ast.js";
import type { Compiler, Eval } from "./eval.js";
import { ConditionEvalError, isCelMap, typeName } from "./values.js";

export function compileMacro(c: Compiler, name: string, rangeNode: Node, args: readonly Node[], at: number): Eval | undefined {
  if (!["all", "exists", "exists_one", "filter", "map"].includes(name)) return undefined;
  const range = c.compile(rangeNode);
  const variable = (args[0] as Node).args as string;
  const slot = c.slots++;
  const shadowed = c.locals.get(variable);
  c.locals.set(variable, slot);
  const bodies = args.slice(1).map((n) => c.compile(n));
  if (shadowed === undefined) c.locals.delete(variable);
  else c.locals.set(variable, shadowed);
  const items = (r: unknown, p: Parameters<Eval>[1], l: unknown[]): readonly unknown[] => {
    const v = range(r, p, l);
    if (Array.isArray(v)) return v;
    if (isCelMap(v)) return v.keys();
    throw new ConditionEvalError(`${name}() over ${typeName(v)}`, at);
  };
  const predicate = bodies[0] as Eval;
  const test = (r: unknown, p: Parameters<Eval>[1], l: unknown[]): boolean => {
    const v = predicate(r, p, l);
    if (typeof v !== "boolean") throw new ConditionEvalError(`${name}() predicate gave ${typeName(v)}`, at);
    return v;
  };
  switch (name) {
    case "all":
    case "exists":
      return quantifier(items, test, slot, name === "all");
    case "exists_one":
      return (r, p, l) => {
        let count = 0;
        for (const item of items(r, p, l)) {
          l[slot] = item;
          if (test(r, p, l)) count++;
        }
        return count === 1;
      };
    case "filter":
      return (r, p, l) =>
        items(r, p, l).filter((item) => {
          l[slot] = item;
          return test(r, p, l);
        });
    default: {
      // map(x, transform) or map(x, filter, transform)
      const transform = bodies[bodies.length - 1] as Eval;
      const keep = bodies.length === 2 ? test : () => true;
      return (r, p, l) => {
        const out: unknown[] = [];
        for (const item of items(r, p, l)) {
          l[slot] = item;
          if (keep(r, p, l)) out.push(transform(r, p, l));
        }
        return out;
      };
    }
  }
}

/** all/exists: a decisive answer wins over an error in another element, as CEL requires. */
function quantifier(
  items: (r: unknown, p: Parameters<Eval>[1], l: unknown[]) => readonly unknown[],
  test: (r: unknown, p: Parameters<Eval>[1], l: unknown[]) => boolean,
  slot: number,
  all: boolean,
): Eval {
  return (r, p, l) => {
    let failure: ConditionEvalError | undefined;
    for (const item of items(r, p, l)) {
      l[slot] = item;
      try {
        if (test(r, p, l) !== all) return !all;
      } catch (error) {
        if (!(error instanceof ConditionEvalError)) throw error;
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return all;
  };
}
