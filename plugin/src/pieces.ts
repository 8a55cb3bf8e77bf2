import type { Printable } from "@bufbuild/protoplugin";

/**
 * Printables for one `f.print`, with adjacent text joined: protoplugin's
 * cost of writing a file grows with the number of pieces it holds, and large
 * APIs print tens of thousands of them.
 */
export class Pieces {
  private readonly items: Printable[] = [];
  /** Text since the last symbol, joined once (a long chain of `+=` is slow to write out). */
  private text: string[] = [];

  add(...printables: Printable[]): this {
    for (const p of printables) {
      if (typeof p === "string") this.text.push(p);
      else if (Array.isArray(p)) this.add(...p);
      else {
        this.flush();
        this.items.push(p);
      }
    }
    return this;
  }

  /** The pieces, for `f.print(...pieces.done())`. */
  done(): Printable[] {
    this.flush();
    return this.items;
  }

  private flush(): void {
    if (this.text.length > 0) this.items.push(this.text.join(""));
    this.text = [];
  }
}
