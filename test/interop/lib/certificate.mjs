// A self-signed certificate for `names` (DNS names and IPs), made by the openssl CLI at
// test time, for the tests of TLS links (the LLM proxy's upstream, wss:// upstreams).
// Built-in Node modules only.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function makeCertificate(dir, stem, names) {
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  const key = join(dir, `${stem}-key.pem`);
  const cert = join(dir, `${stem}-cert.pem`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
    "-days", "2", "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${san}`], { stdio: "ignore" });
  return { keyPath: key, certPath: cert, key: readFileSync(key), cert: readFileSync(cert) };
}
