import { createPublicKey, type KeyObject } from "node:crypto";
import { AuthenticationError } from "../errors.js";
import { keyMismatch } from "./algorithms.js";
import { FetchGate } from "./backoff.js";
import { fetchJson } from "./fetch-json.js";

/** One usable public key of a JWKS, with the members that select it. */
interface SetKey {
  readonly key: KeyObject;
  readonly kid: unknown;
  readonly alg: unknown;
  readonly use: unknown;
  readonly keyOps: unknown;
}

export interface RemoteKeySetOptions {
  readonly url: () => Promise<URL>;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
  readonly maxResponseBytes: number;
  /** Called with the keys a refetch no longer lists. */
  readonly onRetired: (keys: ReadonlySet<KeyObject>) => void;
}

/** Public keys of a JWKS document; members that are not usable public keys are skipped. */
function parseJwks(document: unknown): SetKey[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
  const parsed: SetKey[] = [];
  for (const jwk of keys) {
    if (typeof jwk !== "object" || jwk === null || "d" in jwk || jwk.kty === "oct") continue;
    try {
      const key = createPublicKey({ key: jwk, format: "jwk" });
      parsed.push({ key, kid: jwk.kid, alg: jwk.alg, use: jwk.use, keyOps: jwk.key_ops });
    } catch {
      // An unusable member (unknown kty/curve) cannot verify anything; the rest still can.
    }
  }
  return parsed;
}

const fingerprint = (key: KeyObject) => JSON.stringify(key.export({ format: "jwk" }));

/** Whether the set lets this key verify signatures at all (`use`, `key_ops`). */
const verifies = (k: SetKey) =>
  (k.use === undefined || k.use === "sig") && (k.keyOps === undefined || (Array.isArray(k.keyOps) && k.keyOps.includes("verify")));

/** The keys that may verify a token with this header (jose's selection rules). */
function candidates(keys: readonly SetKey[], alg: string, kid: unknown): SetKey[] {
  return keys.filter(
    (k) =>
      (kid === undefined || (typeof kid === "string" && k.kid === kid)) &&
      (k.alg === undefined || k.alg === alg) &&
      verifies(k) &&
      keyMismatch(alg, k.key) === undefined,
  );
}

/** What selects a key besides its material: a change to any of these may make it unable to verify what it verified. */
const selection = (k: SetKey) => JSON.stringify([k.kid, k.alg, verifies(k)]);

/**
 * A JWKS fetched on first use and kept for `cacheMaxAgeMs`. A token whose key
 * is not in the set triggers at most one refetch per `cooldownMs`, healthy
 * server or not; failures back off (1 s doubling to 60 s); concurrent callers
 * share one fetch. Selection is synchronous once keys are loaded.
 */
export class RemoteKeySet {
  #keys: readonly SetKey[] | undefined;
  #fetchedAt = 0;
  readonly #gate: FetchGate<void>;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.#gate = new FetchGate(async () => {
      const url = await options.url();
      const fetched = parseJwks(await fetchJson(url, "JWKS", options.timeoutMs, options.maxResponseBytes));
      // Unchanged keys keep their identity, so the token cache can tell which left.
      const previous = new Map((this.#keys ?? []).map((k) => [fingerprint(k.key), k]));
      const keys = fetched.map((k) => ({ ...k, key: previous.get(fingerprint(k.key))?.key ?? k.key }));
      // A key still listed but no longer for verifying (demoted to `use: "enc"`, `verify` gone from
      // `key_ops`), or listed under another kid or alg, retires like a removed key: the tokens
      // it vouched for are verified again against what the set says now.
      const unchanged = new Set((this.#keys ?? []).map((k) => `${fingerprint(k.key)} ${selection(k)}`));
      const kept = new Set(keys.filter((k) => verifies(k) && unchanged.has(`${fingerprint(k.key)} ${selection(k)}`)).map((k) => k.key));
      const retired = new Set([...previous.values()].map((k) => k.key).filter((key) => !kept.has(key)));
      this.#keys = keys;
      this.#fetchedAt = Date.now();
      if (retired.size > 0) options.onRetired(retired);
    });
  }

  /** The key for this header: synchronous when the set is loaded and fresh. */
  select(alg: string, kid: unknown): KeyObject | Promise<KeyObject> {
    const keys = this.#keys;
    if (keys === undefined || Date.now() - this.#fetchedAt > this.options.cacheMaxAgeMs)
      return this.#refresh(0).then(() => this.#pick(alg, kid, true));
    return this.#pick(alg, kid, false);
  }

  #pick(alg: string, kid: unknown, refreshed: boolean): KeyObject | Promise<KeyObject> {
    const found = candidates(this.#keys ?? [], alg, kid);
    if (found.length === 1) return (found[0] as SetKey).key;
    if (found.length > 1) throw new AuthenticationError("more than one key in the JWKS matches the token; give it a kid");
    if (!refreshed && this.#gate.allowed(this.options.cooldownMs))
      return this.#refresh(this.options.cooldownMs).then(() => this.#pick(alg, kid, true));
    if (this.#gate.failing) throw new Error(`JWKS cannot be fetched (backing off after: ${this.#gate.lastError})`);
    throw new AuthenticationError("no key in the JWKS matches the token");
  }

  async #refresh(minGapMs: number): Promise<void> {
    if (!this.#gate.allowed(minGapMs)) {
      if (this.#keys !== undefined && !this.#gate.failing) return;
      throw new Error(`JWKS cannot be fetched (backing off after: ${this.#gate.lastError})`);
    }
    try {
      await this.#gate.run();
    } catch (error) {
      throw new Error(`JWKS cannot be fetched: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
