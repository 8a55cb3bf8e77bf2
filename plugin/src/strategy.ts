import { dirname } from "node:path";
import { hasOption } from "@bufbuild/protobuf";
import type { Schema } from "@bufbuild/protoplugin";
import { default_rule, rule } from "protoauthz/tool";

/**
 * The registry must list every service of the generation. buf's default
 * strategy runs a plugin once per directory, so each run would see one
 * directory and write its own, partial registry. When this run generates one
 * directory but an import from another directory holds annotated services,
 * that is what is happening: fail and say how to fix it.
 */
export function checkStrategy(schema: Schema): string[] {
  const generated = new Set(schema.files);
  const directories = new Set(schema.files.map((f) => dirname(f.proto.name)));
  if (directories.size !== 1) return [];
  const stray = schema.allFiles.filter(
    (file) =>
      !generated.has(file) &&
      !directories.has(dirname(file.proto.name)) &&
      file.services.some((s) => hasOption(s, default_rule) || s.methods.some((m) => hasOption(m, rule))),
  );
  if (stray.length === 0) return [];
  return [
    `${stray[0]?.proto.name}: annotated services outside this run's directory are not being generated with it, so the registry would miss them (set "strategy: all" on protoc-gen-authz in buf.gen.yaml, or generate that file too, or set registry= to disable the registry)`,
  ];
}
