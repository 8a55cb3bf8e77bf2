import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { InputError } from "./image.js";
import { normalizeProcedure } from "./procedure.js";

/** One reviewed loosening: the RPC, why it is fine, and where it is written. */
export interface Acknowledgement {
  readonly procedure: string;
  readonly reason: string;
  readonly file: string;
  readonly line: number;
}

/**
 * Reads a reviewed acknowledgements file:
 *
 *   acknowledgements:
 *     - rpc: notes.v1.NoteService.GetNote
 *       reason: "public for the status page; reviewed in #123"
 *
 * One entry per RPC, each with a non-empty reason. Any other shape is an
 * input error naming the line, so a typo never acknowledges silently.
 */
export function readAcknowledgements(path: string, shownAs: string = path): Acknowledgement[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    // No file yet acknowledges nothing: the check only gets stricter.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new InputError(`${shownAs}: cannot read the acknowledgements file (${(error as NodeJS.ErrnoException).code})`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  const lineOf = (node: unknown) => {
    const range = (node as { range?: [number] } | null)?.range;
    return range === undefined ? 1 : lines.linePos(range[0]).line;
  };
  if (document.errors.length > 0) {
    const [error] = document.errors;
    throw new InputError(`${shownAs}:${error?.linePos?.[0]?.line ?? 1}: not valid YAML (${error?.message.split("\n")[0]})`);
  }
  const root = document.contents;
  const list = isMap(root) ? root.get("acknowledgements", true) : undefined;
  if (root === null) return [];
  const empty = isScalar(list) && list.value === null;
  if (isMap(root) && root.items.length === 1 && empty) return [];
  if (!isMap(root) || !isSeq(list) || root.items.length !== 1) {
    throw new InputError(`${shownAs}:1: expected a single key "acknowledgements" holding a list of { rpc, reason }`);
  }
  const seen = new Map<string, number>();
  const result: Acknowledgement[] = [];
  for (const item of list.items) {
    const line = lineOf(item);
    const rpc = isMap(item) ? item.get("rpc") : undefined;
    const reason = isMap(item) ? item.get("reason") : undefined;
    const extra = isMap(item) ? item.items.filter((p) => !["rpc", "reason"].includes(String((p.key as { value?: unknown })?.value))) : [];
    if (typeof rpc !== "string" || !/^[\w.]+[./]\w+$/.test(rpc.replace(/^\//, ""))) {
      throw new InputError(`${shownAs}:${line}: each entry needs rpc: pkg.Service.Method`);
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new InputError(`${shownAs}:${line}: ${rpc}: give a reason (who reviewed the loosening and why it is fine)`);
    }
    if (extra.length > 0) throw new InputError(`${shownAs}:${line}: ${rpc}: only rpc and reason are allowed`);
    const procedure = normalizeProcedure(rpc);
    const first = seen.get(procedure);
    if (first !== undefined) throw new InputError(`${shownAs}:${line}: ${rpc} is already acknowledged on line ${first} (keep one entry)`);
    seen.set(procedure, line);
    result.push({ procedure, reason, file: shownAs, line });
  }
  return result;
}
