import type { Schema } from "@bufbuild/protoplugin";
import type { ServiceModel } from "./model.js";
import type { AuthzOptions } from "./options.js";
import { surfaceRows, surfaceToMarkdown } from "./report.js";

/** Writes the auth-surface report (option `report=<path>`) into the output. */
export function emitReport(schema: Schema<AuthzOptions>, services: readonly ServiceModel[]): void {
  const f = schema.generateFile(schema.options.report);
  f.print(surfaceToMarkdown(surfaceRows(services), schema.options.undeclared));
}
