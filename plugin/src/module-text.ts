import type { GeneratedFile, ImportSymbol, Printable } from "@bufbuild/protoplugin";

/**
 * The text of one generated module, printed with one `f.print`.
 *
 * protoplugin imports a symbol where it is printed, and writes it by its own
 * name unless another printed name is the same. When no two names of the
 * module can clash (`canWriteNames`), a symbol is printed once and then
 * written by its name, so a module of thousands of RPCs reaches protoplugin
 * as a few long strings instead of a hundred thousand pieces: on large APIs
 * that is most of what writing the module costs. Otherwise every use is a
 * symbol and protoplugin resolves the clash.
 */
export class ModuleText {
  /**
   * Text since the last symbol. Emitters append to it (`out.text += …`):
   * V8 keeps appended strings as a rope that protoplugin's join flattens
   * once, where joining an array of pieces costs ~50 ns a piece, measured at
   * a hundred thousand pieces per run.
   */
  text = "";
  private readonly printables: Printable[] = [];
  private readonly printed = new Set<ImportSymbol>();

  constructor(private readonly writeNames: boolean) {}

  /** Whether the module's symbols and exports, by these names, all differ. */
  static canWriteNames(names: readonly string[]): boolean {
    return new Set(names).size === names.length;
  }

  /** An imported name. */
  symbol(symbol: ImportSymbol): void {
    if (this.writeNames && this.printed.has(symbol)) this.text += symbol.name;
    else {
      this.printed.add(symbol);
      this.element(symbol);
    }
  }

  /** Anything protoplugin must see itself, such as `f.export(…)`. */
  element(printable: Printable): void {
    this.flush();
    this.printables.push(printable);
  }

  /** Prints the module; protoplugin adds a final newline. */
  printTo(f: GeneratedFile): void {
    this.flush();
    f.print(this.printables);
  }

  private flush(): void {
    if (this.text === "") return;
    this.printables.push(this.text);
    this.text = "";
  }
}
