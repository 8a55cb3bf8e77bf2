// @peculiar/x509 resolves its services through tsyringe, which needs this polyfill.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface Issued {
  readonly cert: string;
  readonly key: string;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;
}

export interface Ca extends Issued {
  issue(options: { cn: string; uris?: string[]; dns?: string[]; ips?: string[]; notAfter?: Date; server?: boolean }): Promise<Issued>;
}

/** A CA that issues client and server certificates, all made in the test. */
export async function createCa(name: string, validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date(now - 60_000),
    notAfter: validity.notAfter ?? new Date(now + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  let serial = 2;
  return {
    cert: caCert.toString("pem"),
    key: await pemKey(keys.privateKey),
    async issue({ cn, uris = [], dns = [], ips = [], notAfter, server = false }) {
      const leaf = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
      const names = [
        ...uris.map((value) => ({ type: "url" as const, value })),
        ...dns.map((value) => ({ type: "dns" as const, value })),
        ...ips.map((value) => ({ type: "ip" as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: String(serial++).padStart(2, "0"),
        subject: `CN=${cn}`,
        issuer: caCert.subject,
        notBefore: new Date(now - 60_000),
        notAfter: notAfter ?? new Date(now + 86_400_000),
        signingKey: keys.privateKey,
        publicKey: leaf.publicKey,
        signingAlgorithm: alg,
        extensions: [
          ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
          new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
        ],
      });
      return { cert: cert.toString("pem"), key: await pemKey(leaf.privateKey) };
    },
  };
}
