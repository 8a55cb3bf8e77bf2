// Every relative link of the READMEs and docs/ names a file that exists, and
// every #anchor a heading of its page, as GitHub renders them.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { documentationFiles, headingAnchors, linkTargets } from "../support/markdown.js";
import { repoRoot } from "../support/request.js";

const pages = documentationFiles().map((path) => ({ path, text: readFileSync(join(repoRoot, path), "utf8") }));

describe("documentation links", () => {
  it("every relative link names an existing file, and every #anchor a heading of its page", () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const { line, target } of linkTargets(page.text)) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = "", anchor] = target.split("#");
        const file = path === "" ? join(repoRoot, page.path) : resolve(dirname(join(repoRoot, page.path)), decodeURI(path));
        const where = `${page.path}:${line}: ${target}`;
        if (!file.startsWith(repoRoot) || !existsSync(file)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor !== undefined && file.endsWith(".md") && !headingAnchors(readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${where}: no heading with that anchor`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("finds links and anchors the way GitHub renders them", () => {
    expect([...headingAnchors("# A `b` c\n## Relations (SpiceDB)\n```\n# not\n```\n## A b c")]).toEqual([
      "a-b-c",
      "relations-spicedb",
      "a-b-c-1",
    ]);
    expect(linkTargets("[x](a.md#b) `[y](no.md)`\n```\n[z](no.md)\n```\n[w](https://x.y)")).toEqual([
      { line: 1, target: "a.md#b" },
      { line: 5, target: "https://x.y" },
    ]);
  });
});
