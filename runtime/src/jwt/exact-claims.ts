import { AuthenticationError } from "../errors.js";
import { exactDecimal, writesBackExactly } from "../exact-number.js";

/**
 * Could this JSON text hold a number that does not write back as itself
 * (writesBackExactly)? Such a number has 16 or more significant digits or an
 * exponent; this test over-approximates (it also fires on digits inside
 * strings), never misses.
 */
const mayHoldInexact = /[0-9.]{16}|[0-9][eE]/;

const maxDepth = 256;
const numberAt = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The claims read from their JSON text, with what JSON.parse would round kept exactly. */
export interface ExactClaims {
  readonly claims: Readonly<Record<string, unknown>>;
  /** Some number was too long to keep exactly (see maxNumberText) and was left out. */
  readonly dropped: boolean;
}

/**
 * Reads a JWT's claims as JSON.parse does (same values, the last of duplicate
 * keys wins, `__proto__` an ordinary key), except that a number that does not
 * write back as itself (writesBackExactly) becomes the string of its exact value (exactDecimal),
 * or is left out when that is too long. Undefined when the text has no such
 * number: JSON.parse's reading is then exact. Only called on text JSON.parse accepted.
 */
export function exactClaims(text: string): ExactClaims | undefined {
  if (!mayHoldInexact.test(text)) return undefined;
  const reader = new Reader(text);
  const claims = reader.value(0);
  if (!reader.inexact) return undefined;
  return { claims: claims as Record<string, unknown>, dropped: reader.dropped };
}

const omitted = Symbol("omitted");

class Reader {
  #at = 0;
  inexact = false;
  dropped = false;
  constructor(private readonly text: string) {}

  value(depth: number): unknown {
    if (depth > maxDepth) throw new AuthenticationError(`token claims nest more than ${maxDepth} levels deep`);
    this.#space();
    const c = this.text[this.#at];
    if (c === "{") return this.#object(depth + 1);
    if (c === "[") return this.#array(depth + 1);
    if (c === '"') return this.#string();
    for (const [word, value] of literals) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    return this.#number();
  }

  #object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.#at++;
    this.#space();
    if (this.#take("}")) return object;
    do {
      this.#space();
      const key = this.#string();
      this.#space();
      this.#expect(":");
      const value = this.value(depth);
      if (value === omitted) delete object[key];
      // JSON.parse makes "__proto__" an own property; an assignment would set the prototype.
      else if (key === "__proto__") Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
      else object[key] = value;
      this.#space();
    } while (this.#take(","));
    this.#expect("}");
    return object;
  }

  #array(depth: number): unknown[] {
    const array: unknown[] = [];
    this.#at++;
    this.#space();
    if (this.#take("]")) return array;
    do {
      const value = this.value(depth);
      if (value !== omitted) array.push(value);
      this.#space();
    } while (this.#take(","));
    this.#expect("]");
    return array;
  }

  #string(): string {
    const start = this.#at;
    if (this.text[start] !== '"') this.#fail();
    let end = start + 1;
    let escaped = false;
    for (let c = this.text.charCodeAt(end); end < this.text.length && c !== 34; c = this.text.charCodeAt(end)) {
      if (c === 92) {
        escaped = true;
        end += 2;
      } else end++;
    }
    this.#at = end + 1;
    return escaped ? (JSON.parse(this.text.slice(start, end + 1)) as string) : this.text.slice(start + 1, end);
  }

  #number(): number | string | typeof omitted {
    numberAt.lastIndex = this.#at;
    const literal = numberAt.exec(this.text)?.[0];
    if (literal === undefined) return this.#fail();
    this.#at += literal.length;
    // At most 15 significant digits and no exponent: it always writes back as itself.
    if (literal.length - (literal[0] === "-" ? 1 : 0) - (literal.includes(".") ? 1 : 0) <= 15 && !/[eE]/.test(literal))
      return Number(literal);
    if (writesBackExactly(literal)) return Number(literal);
    this.inexact = true;
    const exact = exactDecimal(literal);
    if (exact !== undefined) return exact;
    this.dropped = true;
    return omitted;
  }

  #space() {
    for (let c = this.text.charCodeAt(this.#at); c === 32 || c === 9 || c === 10 || c === 13; c = this.text.charCodeAt(this.#at))
      this.#at++;
  }

  #take(char: string): boolean {
    if (this.text[this.#at] !== char) return false;
    this.#at++;
    return true;
  }

  #expect(char: string) {
    if (!this.#take(char)) this.#fail();
  }

  #fail(): never {
    throw new AuthenticationError("token claims are not JSON");
  }
}

const literals: readonly (readonly [string, unknown])[] = [
  ["true", true],
  ["false", false],
  ["null", null],
];
