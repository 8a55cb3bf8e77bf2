// Run as a child process: connect-node without rejectMalformedAuthority, one
// request with a malformed :authority. Exits 0 if the process survives it.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PublicService } from "../gen/guardtest/v1/guard_pb.js";

const server = http2.createServer(connectNodeAdapter({ routes: (router) => router.service(PublicService, { unary: () => ({}) }) }));
server.listen(0, "127.0.0.1", () => {
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": "/guardtest.v1.PublicService/Unary", ":authority": "[::1" });
  stream.on("error", () => {});
  stream.on("close", () => {
    session.close();
    server.close(() => process.exit(0));
  });
  stream.end();
});
