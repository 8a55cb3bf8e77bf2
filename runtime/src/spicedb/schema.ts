/**
 * What the checker needs to know about a SpiceDB schema: which object types
 * exist, which permissions and relations they have, and which subject types
 * can reach a permission.
 *
 * Read from the schema text (ReadSchema). SpiceDB's reflection API
 * (ReflectSchema, DependentRelations) would be the natural source, but the
 * embedded engine serves only ReadSchema/WriteSchema for schemas, and the same
 * reader must work against the embedded engine and a cluster alike.
 */

/** A subject type as a relation declares it: `user`, `user:*` or `group#member`. */
export interface SubjectTypeRef {
  readonly type: string;
  /** Set for `group#member`: subjects are `group:<id>#member`. */
  readonly relation?: string;
}

/** A term of a permission expression; operators (+ & -) are not kept. */
type Term = { readonly name: string; readonly via?: undefined } | { readonly name: string; readonly via: string };

interface Definition {
  readonly relations: Map<string, SubjectTypeRef[]>;
  readonly permissions: Map<string, Term[]>;
}

export class SchemaReadError extends Error {
  override name = "SchemaReadError";
}

export interface SpiceDBSchema {
  hasType(type: string): boolean;
  /** True for a permission or a relation of `type` (both can be checked). */
  hasPermission(type: string, permission: string): boolean;
  /**
   * Every subject type that can hold `permission` on `type`, as `type` or
   * `type#relation`. An over-approximation: exclusions (`-`) and
   * intersections (`&`) are treated like unions, so a subject type is only
   * left out when no path of the schema can ever reach the permission.
   * Undefined when the permission uses a construct this reader does not know
   * (then any subject type may reach it).
   */
  subjectTypes(type: string, permission: string): ReadonlySet<string> | undefined;
}

const tokenPattern = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|->|[A-Za-z_][A-Za-z0-9_/]*|\S/g;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(tokenPattern)) {
    const token = match[0];
    if (token.startsWith("//") || token.startsWith("/*")) continue;
    tokens.push(token);
  }
  return tokens;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_/]*$/;

/** Parses the ZED text SpiceDB returns from ReadSchema. Throws SchemaReadError on anything it does not understand. */
export function readSchema(text: string): SpiceDBSchema {
  const tokens = tokenize(text);
  const definitions = new Map<string, Definition>();
  let at = 0;
  const peek = () => tokens[at];
  const next = (): string => {
    const token = tokens[at++];
    if (token === undefined) throw new SchemaReadError("unexpected end of schema");
    return token;
  };
  const expect = (want: string) => {
    const got = next();
    if (got !== want) throw new SchemaReadError(`expected "${want}", found "${got}"`);
  };
  const name = (): string => {
    const got = next();
    if (!identifier.test(got)) throw new SchemaReadError(`expected a name, found "${got}"`);
    return got;
  };
  const skipBlock = () => {
    while (next() !== "{");
    for (let depth = 1; depth > 0; ) {
      const token = next();
      if (token === "{") depth++;
      else if (token === "}") depth--;
    }
  };
  const typeRefs = (): SubjectTypeRef[] => {
    const refs: SubjectTypeRef[] = [];
    for (;;) {
      const type = name();
      if (peek() === ":") {
        next();
        expect("*");
        refs.push({ type });
      } else if (peek() === "#") {
        next();
        refs.push({ type, relation: name() });
      } else {
        refs.push({ type });
      }
      // `with caveat`, `with expiration`, `with caveat and expiration`
      if (peek() === "with") {
        next();
        name();
        while (peek() === "and") {
          next();
          name();
        }
      }
      if (peek() !== "|") return refs;
      next();
    }
  };
  const expression = (): Term[] => {
    const terms: Term[] = [];
    while (at < tokens.length && peek() !== "}" && peek() !== "relation" && peek() !== "permission") {
      const token = next();
      if (!identifier.test(token) || token === "nil") continue;
      if (peek() === "->") {
        next();
        terms.push({ name: name(), via: token });
      } else if (peek() === "." && (tokens[at + 1] === "any" || tokens[at + 1] === "all")) {
        at += 2;
        expect("(");
        terms.push({ name: name(), via: token });
        expect(")");
      } else {
        terms.push({ name: token });
      }
    }
    return terms;
  };

  while (at < tokens.length) {
    const keyword = next();
    if (keyword === "caveat") {
      skipBlock();
    } else if (keyword === "use") {
      name();
    } else if (keyword === "definition") {
      const type = name();
      const definition: Definition = { relations: new Map(), permissions: new Map() };
      definitions.set(type, definition);
      expect("{");
      for (;;) {
        const member = next();
        if (member === "}") break;
        if (member === "relation") {
          const relation = name();
          expect(":");
          definition.relations.set(relation, typeRefs());
        } else if (member === "permission") {
          const permission = name();
          expect("=");
          definition.permissions.set(permission, expression());
        } else {
          throw new SchemaReadError(`definition ${type}: unexpected "${member}"`);
        }
      }
    } else {
      throw new SchemaReadError(`unexpected "${keyword}" at the top level`);
    }
  }
  return schemaOf(definitions);
}

const anySubject = "*";

function schemaOf(definitions: ReadonlyMap<string, Definition>): SpiceDBSchema {
  const reach = (type: string, member: string, out: Set<string>, seen: Set<string>) => {
    const key = `${type}#${member}`;
    if (seen.has(key)) return;
    seen.add(key);
    const definition = definitions.get(type);
    if (definition === undefined) return;
    const refs = definition.relations.get(member);
    if (refs !== undefined) {
      for (const ref of refs) {
        if (ref.relation === undefined) {
          out.add(ref.type);
        } else {
          out.add(`${ref.type}#${ref.relation}`);
          reach(ref.type, ref.relation, out, seen);
        }
      }
      return;
    }
    for (const term of definition.permissions.get(member) ?? []) {
      if (term.via === undefined) {
        if (definition.relations.has(term.name) || definition.permissions.has(term.name)) {
          reach(type, term.name, out, seen);
        } else if (term.name === "self") {
          out.add(type); // `use self`: the resource itself is the subject
        } else {
          out.add(anySubject); // a construct this reader does not know: assume anything can reach it
        }
      } else {
        // `a->b`: b evaluated on every object `a` points at.
        for (const ref of definition.relations.get(term.via) ?? []) reach(ref.type, term.name, out, seen);
      }
    }
  };
  return {
    hasType: (type) => definitions.has(type),
    hasPermission: (type, permission) => {
      const definition = definitions.get(type);
      return definition !== undefined && (definition.permissions.has(permission) || definition.relations.has(permission));
    },
    subjectTypes: (type, permission) => {
      const out = new Set<string>();
      reach(type, permission, out, new Set());
      return out.has(anySubject) ? undefined : out;
    },
  };
}
