/**
 * GETs a JSON document from a key server: with a timeout, no redirects, and
 * at most `maxBytes` of body. A larger body (by Content-Length or as it
 * streams in) is abandoned at the limit, never buffered whole. Every failure
 * is a plain Error: the caller reports it as Unavailable.
 */
export async function fetchJson(url: URL, what: string, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: "error", headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`${what} answered HTTP ${response.status}`);
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) throw new Error(`${what} is ${declared} bytes, over the ${maxBytes}-byte limit`);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error(`${what} has no body`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new Error(`${what} is over the ${maxBytes}-byte limit`);
      chunks.push(value);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new Error(`${what} is not JSON`);
    }
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort(); // releases the connection of an abandoned body
  }
}
