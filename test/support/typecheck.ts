import { join } from "node:path";
import { type Diagnostic, Project, ts } from "ts-morph";
import { repoRoot } from "./request.js";

/**
 * Type-checks in-memory files as if they sat in the repository (so that
 * "protoauthz" resolves to the workspace sources), under the strict options
 * users are told to use. Returns the diagnostics of those files, formatted.
 */
export function typecheck(files: ReadonlyMap<string, string>, folder: string): string[] {
  const project = new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUnusedLocals: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
      customConditions: ["source"],
    },
    skipAddingFilesFromTsConfig: true,
  });
  const base = join(repoRoot, "test", ".typecheck", folder);
  const sources = [...files]
    .filter(([name]) => name.endsWith(".ts"))
    .map(([name, text]) => project.createSourceFile(join(base, name), text, { overwrite: true }));
  const diagnostics: Diagnostic[] = sources.flatMap((s) => s.getPreEmitDiagnostics());
  return diagnostics.map(
    (d) =>
      `${d
        .getSourceFile()
        ?.getFilePath()
        .slice(base.length + 1)}:${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n")}`,
  );
}
