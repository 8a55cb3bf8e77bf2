import { join } from "node:path";
import { type CompilerOptions, type Diagnostic, type Node, Project, type SourceFile, ts } from "ts-morph";
import { repoRoot } from "./request.js";
import { workspacePaths } from "./workspace-sources.js";

/**
 * The strict options users are told to use, with "protoauthz" resolving to
 * the workspace sources.
 */
export function userOptions(): CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
    paths: workspacePaths(),
  };
}

/**
 * One project per set of options, kept between checks: the files every check
 * reads (lib, @types/node, protobuf-es, the workspace sources) are parsed
 * once instead of once per check, which made each check cost seconds.
 */
const projects = new Map<string, Project>();

function projectFor(extra: CompilerOptions): Project {
  const key = JSON.stringify(extra);
  let project = projects.get(key);
  if (project === undefined) {
    project = new Project({
      compilerOptions: { ...userOptions(), noUnusedLocals: true, ...extra },
      skipAddingFilesFromTsConfig: true,
    });
    projects.set(key, project);
  }
  return project;
}

/**
 * In-memory files as if they sat in the repository (so that "protoauthz"
 * resolves to the workspace sources), under the strict options users are told
 * to use, plus `extra` (e.g. `isolatedDeclarations`). `use` sees only these
 * files of all the checks so far: they leave the project when it returns.
 */
function load<T>(
  files: ReadonlyMap<string, string>,
  folder: string,
  extra: CompilerOptions,
  use: (base: string, sources: SourceFile[]) => T,
): T {
  const project = projectFor(extra);
  const base = join(repoRoot, "test", ".typecheck", folder);
  const sources = [...files]
    .filter(([name]) => name.endsWith(".ts"))
    .map(([name, text]) => project.createSourceFile(join(base, name), text, { overwrite: true }));
  try {
    return use(base, sources);
  } finally {
    for (const source of sources) project.removeSourceFile(source);
  }
}

/** Type-checks the files (see load); returns the diagnostics of those files, formatted. */
export function typecheck(files: ReadonlyMap<string, string>, folder: string, extra: CompilerOptions = {}): string[] {
  return load(files, folder, extra, (base, sources) => {
    const diagnostics: Diagnostic[] = sources.flatMap((s) => s.getPreEmitDiagnostics());
    return diagnostics.map(
      (d) =>
        `${d
          .getSourceFile()
          ?.getFilePath()
          .slice(base.length + 1)}:${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n")}`,
    );
  });
}

const fullText = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias;

/**
 * What the compiler makes of every export of the named modules (paths without
 * extension, so `x.ts` and `x.d.ts` compare): `module#name` → its type, and
 * the type of each of its properties, written out in full.
 */
export function exportedTypes(files: ReadonlyMap<string, string>, folder: string, modules: readonly string[]): Map<string, string> {
  return load(files, folder, {}, (base, sources) => {
    const types = new Map<string, string>();
    for (const source of sources) {
      const module = source
        .getFilePath()
        .slice(base.length + 1)
        .replace(/(\.d)?\.ts$/, "");
      if (!modules.includes(module)) continue;
      for (const [name, declarations] of source.getExportedDeclarations()) {
        for (const [i, node] of declarations.entries()) types.set(`${module}#${name}#${i}`, describe(node));
      }
    }
    return types;
  });
}

function describe(node: Node): string {
  const type = node.getType();
  // Members of the generated objects; those of built-ins (strings, arrays) say nothing.
  const own = type.isObject() && !type.isArray() && !type.isTuple();
  const properties = (own ? type.getProperties() : [])
    .map((p) => `  ${p.getName()}: ${p.getTypeAtLocation(node).getText(node, fullText)}`)
    .join("\n");
  return `${node.getKindName()} ${type.getText(node, fullText)}\n${properties}`;
}
