import * as net from "node:net";

/** A Connect unary call written byte by byte over HTTP/1.1, so headers can repeat; resolves to the status code. */
export async function rawH1Unary(
  port: number,
  path: string,
  headers: readonly (readonly [string, string])[],
  body: string,
): Promise<number> {
  const request = [
    `POST ${path} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    ...headers.map(([name, value]) => `${name}: ${value}`),
    "",
    body,
  ].join("\r\n");
  const response = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}
