import type { DescFile, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { createImportSymbol, type GeneratedFile, type ImportSymbol, safeIdentifier } from "@bufbuild/protoplugin";

/**
 * Each service descriptor's import from its protoc-gen-es module, as
 * `f.importSchema(service)` gives it, for one run.
 *
 * protoplugin works out every name of the service's file on each call (the
 * names of its messages, enums, services and extensions, clashes resolved):
 * at ~15 µs a call it was the largest single cost of a table module. Here
 * protoplugin imports the first service of each file, and so says where the
 * file's module is; a later service of that file is imported from there by
 * its own name when protoplugin would name it so: when it is a safe
 * identifier that no other name of the file can take. Anything else is
 * protoplugin's to decide. A property test holds this equal to importSchema.
 */
export class ServiceImports {
  /** Per file: its module and the names in it, or null when protoplugin decides every import. */
  private readonly files = new Map<DescFile, { readonly from: string; readonly names: ReadonlyMap<string, number> } | null>();

  symbol(f: GeneratedFile, service: DescService): ImportSymbol {
    const known = this.files.get(service.file);
    if (known === undefined) {
      const symbol = f.importSchema(service);
      const names = namesOf(service.file);
      // The first answer also checks the rule: a file where protoplugin names differently is left to it.
      this.files.set(service.file, symbol.name === ownName(service, names) ? { from: symbol.from, names } : null);
      return symbol;
    }
    const name = known === null ? undefined : ownName(service, known.names);
    return known === null || name === undefined ? f.importSchema(service) : createImportSymbol(name, known.from);
  }
}

/** The service's name, when nothing else in the file can take it: the name protoplugin gives it. */
function ownName(service: DescService, names: ReadonlyMap<string, number>): string | undefined {
  return names.get(service.name) === 1 && safeIdentifier(service.name) === service.name ? service.name : undefined;
}

/**
 * How often each name protoplugin may give an element of the file occurs:
 * the file's descriptor, each message's and enum's shape and schema, each
 * service and extension. Names protoplugin salts on a clash contain "$",
 * which no proto name does, so a service's name is its own when it occurs
 * here exactly once (for the service itself).
 */
function namesOf(file: DescFile): Map<string, number> {
  const names = new Map<string, number>();
  const add = (name: string) => names.set(name, (names.get(name) ?? 0) + 1);
  add(`file_${file.name.replace(/[^a-zA-Z0-9_]+/g, "_")}`);
  const prefix = file.proto.package === "" ? 0 : file.proto.package.length + 1;
  for (const desc of nestedTypes(file)) {
    const name = desc.typeName.substring(prefix).replace(/\./g, "_");
    add(name);
    if (desc.kind === "message" || desc.kind === "enum") {
      for (const suffix of ["Schema", "Json", "Valid"]) add(name + suffix);
    }
  }
  return names;
}
