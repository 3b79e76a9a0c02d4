// Generates ed25519_edge.json and ed25519_fuzz.txt: Ed25519 signatures at the edges of
// the scheme (non-canonical S, small-order and non-canonical keys and R, mixed-order keys,
// cofactored-only equations), each judged by cojson 0.20.19's own crypto.verify
// (WasmCrypto, the Node default; NapiCrypto must agree). moai must accept exactly what
// cojson accepts (test/unit/ed25519_edge_test.cpp): a stricter server would split the
// data, a looser one would take forgeries.
//
// cojson verifies with ed25519-dalek 2's non-strict verify: S < L; any key that
// decompresses (y taken mod p, small-order and mixed-order points allowed); R compared
// byte for byte with the canonical encoding of [S]B - [k]A; k = SHA-512(R ‖ A ‖ M) over
// the bytes as given. The curve arithmetic below only crafts inputs; cojson is the judge.
// A model of those rules is checked against cojson's verdicts as the vectors are made.
//
// Run: node test/vectors/gen_ed25519.mjs [fuzz cases, default 1000]   (needs `npm ci` in test/interop)
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { base58 } from "../interop/node_modules/@scure/base/lib/esm/index.js";
import { WasmCrypto } from "../interop/node_modules/cojson/dist/crypto/WasmCrypto.js";
import { NapiCrypto } from "../interop/node_modules/cojson/dist/crypto/NapiCrypto.js";

const here = dirname(fileURLToPath(import.meta.url));
const fuzzCount = Number(process.argv[2] ?? 1000);

// ---------- edwards25519 over BigInt (extended coordinates, the complete a = -1 formulas)
const p = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a, m = p) => ((a % m) + m) % m;
const pow = (b, e) => { let r = 1n; b = mod(b); for (; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p; return r; };
const inv = (a) => pow(a, p - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (p - 1n) / 4n);

const point = (x, y) => ({ X: x, Y: y, Z: 1n, T: mod(x * y) });
const ZERO = point(0n, 1n);
function add(P, Q) {
  const A = mod((P.Y - P.X) * (Q.Y - Q.X)), B = mod((P.Y + P.X) * (Q.Y + Q.X));
  const C = mod(P.T * 2n * D * Q.T), Dd = mod(P.Z * 2n * Q.Z);
  const E = B - A, F = Dd - C, G = Dd + C, H = B + A;
  return { X: mod(E * F), Y: mod(G * H), Z: mod(F * G), T: mod(E * H) };
}
const neg = (P) => ({ X: mod(-P.X), Y: P.Y, Z: P.Z, T: mod(-P.T) });
const equals = (P, Q) => mod(P.X * Q.Z) === mod(Q.X * P.Z) && mod(P.Y * Q.Z) === mod(Q.Y * P.Z);
function mulP(P, s) { // any point: scalars mod 8L
  s = mod(s, 8n * L);
  let R = ZERO;
  for (let Q = P; s > 0n; s >>= 1n, Q = add(Q, Q)) if (s & 1n) R = add(R, Q);
  return R;
}

// ---------- byte helpers and encodings
const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const le2n = (b) => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]); return n; };
const n2le = (n, len = 32) => { const b = new Uint8Array(len); for (let i = 0; i < len; i++) { b[i] = Number(n & 0xffn); n >>= 8n; } return b; };
const cat = (...a) => Uint8Array.from(Buffer.concat(a.map((x) => Buffer.from(x))));
function enc(P) { // canonical
  const zi = inv(P.Z); const x = mod(P.X * zi), y = mod(P.Y * zi);
  const b = n2le(y); b[31] |= Number(x & 1n) << 7; return b;
}
function decodeLoose(b) { // as curve25519-dalek 4 decompresses: y mod p, the sign bit honoured even for x = 0
  const y = mod(le2n(b) & (2n ** 255n - 1n));
  const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (p - 5n) / 8n));
  if (mod(v * x * x) === mod(-u)) x = mod(x * SQRT_M1);
  else if (mod(v * x * x) !== u) return null;
  if (Number(x & 1n) !== b[31] >> 7) x = mod(-x);
  return point(x, y);
}
const B = decodeLoose(unhex("5866666666666666666666666666666666666666666666666666666666666666"));
const mulB = (s) => mulP(B, mod(s, L));
const sha512 = (b) => new Uint8Array(createHash("sha512").update(b).digest());
const challenge = (Rb, Ab, M) => mod(le2n(sha512(cat(Rb, Ab, M))), L);
const rand = () => mod(le2n(randomBytes(64)), L);
const sig = (Rb, S) => cat(Rb, typeof S === "bigint" ? n2le(S) : S);

// cojson's spellings; a session signature covers the hash string with its JSON quotes
const signerId = (A) => "signer_z" + base58.encode(A);
const sigStr = (s) => "signature_z" + base58.encode(s);
const newHashString = () => "hash_z" + base58.encode(randomBytes(32));
const msgBytes = (h) => new TextEncoder().encode(JSON.stringify(h));

// ---------- small-order points: the 8 canonical encodings and the 6 non-canonical ones
const T8 = decodeLoose(unhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"));
const torsion = []; for (let i = 0, P = ZERO; i < 8; i++, P = add(P, T8)) torsion.push(P);
const order = (P) => { for (let i = 1; i <= 8; i++) if (equals(mulP(P, BigInt(i)), ZERO)) return i; return 0; };
const smallCanon = torsion.map((P, i) => ({ name: `T${i} (order ${order(P)})`, bytes: enc(P), P }));
const withSign = (b) => { const c = Uint8Array.from(b); c[31] |= 0x80; return c; };
const pPlus = (k) => n2le(p + BigInt(k));
const smallNonCanon = [
  { name: "identity y=1 with sign bit", bytes: withSign(n2le(1n)) },
  { name: "order 2 y=-1 with sign bit", bytes: withSign(n2le(p - 1n)) },
  { name: "order 4 y=p (≡0) sign 0", bytes: pPlus(0) },
  { name: "order 4 y=p (≡0) sign 1", bytes: withSign(pPlus(0)) },
  { name: "identity y=p+1 (≡1) sign 0", bytes: pPlus(1) },
  { name: "identity y=p+1 (≡1) sign 1", bytes: withSign(pPlus(1)) },
].map((e) => ({ ...e, P: decodeLoose(e.bytes) }));

// Key A = [a]B + T (Ab may encode it non-canonically): (R, S) with encode([S]B - [k]A) == R,
// taking R = [r]B - [j]T and retrying until [k]T == [j]T.
function craftValid(Ab, a, T, M) {
  let r = rand();
  for (let tries = 0; tries < 4000; tries++) {
    const j = BigInt(tries % 8);
    const Rb = enc(add(mulB(r), mulP(T, -j)));
    const k = challenge(Rb, Ab, M);
    if (equals(mulP(T, k), mulP(T, j))) return sig(Rb, mod(r + k * a, L));
    if (tries % 8 === 7) r = rand();
  }
  throw new Error("craftValid failed");
}

// The rules above as a model, checked against cojson as the vectors are made.
function modelDalek(Ab, sg, M) {
  const A = decodeLoose(Ab); if (!A) return false;
  const Rb = sg.slice(0, 32), S = le2n(sg.slice(32));
  if (S >= L) return false;
  return hex(enc(add(mulB(S), neg(mulP(A, challenge(Rb, Ab, M)))))) === hex(Rb);
}

// ---------- vectors
const wasm = await WasmCrypto.create();
const napi = await NapiCrypto.create();
function judge(c, s, m, id) {
  try { return { ok: c.verify(s, m, id) === true, err: null }; } catch (e) { return { ok: false, err: String(e?.message ?? e).slice(0, 120) }; }
}
function verdict(hashStr, Ab, sg, what) {
  const w = judge(wasm, sigStr(sg), hashStr, signerId(Ab));
  const n = judge(napi, sigStr(sg), hashStr, signerId(Ab));
  if (w.ok !== n.ok) throw new Error(`WasmCrypto and NapiCrypto disagree on ${what}`);
  if (w.ok !== modelDalek(Ab, sg, msgBytes(hashStr))) console.warn(`note: the model disagrees with cojson on ${what}`);
  return w;
}
const vectors = [];
function addVector(name, category, hashStr, Ab, sg, note = "") {
  const w = verdict(hashStr, Ab, sg, name);
  vectors.push({
    name, category, note, message: hashStr, signer: signerId(Ab), signature: sigStr(sg),
    signer_hex: hex(Ab), signature_hex: hex(sg), cojson_accepts: w.ok, cojson_error: w.err,
  });
}

// 1. signatures made by cojson itself, and one crafted with a known scalar
const signers = [];
for (let i = 0; i < 8; i++) {
  const secret = wasm.newRandomSigner(); const h = newHashString();
  const Ab = base58.decode(wasm.getSignerID(secret).slice("signer_z".length));
  const sg = base58.decode(wasm.sign(secret, h).slice("signature_z".length));
  signers.push({ Ab, h, sg });
  addVector(`valid cojson-signed #${i + 1}`, "valid", h, Ab, sg);
}
{ const secret = napi.newRandomSigner(); const h = newHashString();
  addVector("valid NapiCrypto-signed", "valid", h, base58.decode(napi.getSignerID(secret).slice(8)), base58.decode(napi.sign(secret, h).slice(11))); }
const a = rand(); const Aprime = mulB(a); const Ab = enc(Aprime);
{ const h = newHashString(); addVector("valid crafted (prime-order key, known scalar)", "valid", h, Ab, craftValid(Ab, a, ZERO, msgBytes(h))); }

// 2. plain refusals
{ const v = signers[0]; addVector("wrong message", "invalid", newHashString(), v.Ab, v.sg); }
{ const v = signers[1]; addVector("wrong key (another signer)", "invalid", v.h, signers[2].Ab, v.sg); }
{ const v = signers[2]; const s = Uint8Array.from(v.sg); s[5] ^= 0x10; addVector("R bit flipped", "invalid", v.h, v.Ab, s); }
{ const v = signers[3]; const s = Uint8Array.from(v.sg); s[40] ^= 0x01; addVector("S bit flipped", "invalid", v.h, v.Ab, s); }
{ const v = signers[4]; const A = Uint8Array.from(v.Ab); A[31] ^= 0x80; addVector("key sign bit flipped (-A)", "invalid", v.h, A, v.sg); }
{ const h = newHashString(); const r = rand(); const Rb = enc(mulB(r)); const bare = new TextEncoder().encode(h);
  addVector("signature over the bare hash_z… (no JSON quotes)", "invalid", h, Ab, sig(Rb, mod(r + challenge(Rb, Ab, bare) * a, L)),
    "cojson verifies the JSON-quoted string"); }

// 3. encodings of S
{ const v = signers[5]; addVector("non-canonical S = S+L", "S", v.h, v.Ab, sig(v.sg.slice(0, 32), le2n(v.sg.slice(32)) + L),
  "S+L < 2^253: passes a check of the top 3 bits only"); }
for (;;) { // S+L with top byte 0x10: byte-wise S<L checks that skip the middle bytes miss it
  const secret = wasm.newRandomSigner(); const h = newHashString();
  const sg = base58.decode(wasm.sign(secret, h).slice(11)); const S2 = le2n(sg.slice(32)) + L;
  if (S2 >> 248n === 0x10n) {
    addVector("non-canonical S = S+L with top byte 0x10 (S < 2^248)", "S", h, base58.decode(wasm.getSignerID(secret).slice(8)),
      sig(sg.slice(0, 32), S2), "a top-byte-0x10 S >= L that byte-wise checks can miss");
    break;
  }
}
{ const v = signers[6]; addVector("non-canonical S = S+2L", "S", v.h, v.Ab, sig(v.sg.slice(0, 32), le2n(v.sg.slice(32)) + 2n * L)); }
{ const v = signers[7]; const S = le2n(v.sg.slice(32));
  addVector("S with bit 255 set (S + 2^255)", "S", v.h, v.Ab, sig(v.sg.slice(0, 32), S + (1n << 255n)));
  addVector("S with bit 253 set (S + 2^253)", "S", v.h, v.Ab, sig(v.sg.slice(0, 32), S + (1n << 253n))); }
{ // S in [2^252, L) is only constructible with the identity key: R = [S]B
  const A1 = smallCanon[0].bytes; const h = newHashString(); const S = L - 1n;
  addVector("identity key, S = L-1 (>= 2^252, canonical), R = [S]B", "S", h, A1, sig(enc(mulB(S)), S), "the high branch of the S<L check");
  const S2 = (1n << 252n) + 5n;
  addVector("identity key, S = 2^252+5 (canonical), R = [S]B", "S", newHashString(), A1, sig(enc(mulB(S2)), S2));
  addVector("identity key, R = identity, S = L (non-canonical zero)", "S", newHashString(), A1, sig(n2le(1n), L));
  addVector("identity key, R = [S]B with S+L (non-canonical)", "S", h, A1, sig(enc(mulB(S)), S + L));
}

// 4. small-order keys, each with a signature that holds without the cofactor
for (const t of [...smallCanon, ...smallNonCanon]) {
  const h = newHashString();
  addVector(`small-order key ${t.name} (${hex(t.bytes).slice(0, 8)}…${hex(t.bytes).slice(-2)}), cofactorless-valid`, "small-order A", h, t.bytes,
    craftValid(t.bytes, 0n, t.P, msgBytes(h)));
}
{ const t = smallCanon[4]; const h = newHashString(); const M = msgBytes(h); let sg;
  for (;;) { const r = rand(); const Rb = enc(mulB(r)); if (!equals(mulP(t.P, challenge(Rb, t.bytes, M)), ZERO)) { sg = sig(Rb, r); break; } }
  addVector("small-order key of order 2, R = [r]B, S = r, [k]A != 0 (cofactored-valid only)", "small-order A", h, t.bytes, sg); }
addVector("identity key + R = identity + S = 0 (verifies any message)", "identity", newHashString(), n2le(1n), sig(n2le(1n), 0n));
addVector("identity key + R = identity + S = 0, a second message", "identity", newHashString(), n2le(1n), sig(n2le(1n), 0n));
{ // the all-zero key (y = 0: order 4) with the all-zero signature holds for a quarter of messages
  const Z = new Uint8Array(32); const P4 = decodeLoose(Z); let hv, hi;
  for (let i = 0; i < 200 && !(hv && hi); i++) {
    const h = newHashString(); const ok = hex(enc(neg(mulP(P4, challenge(Z, Z, msgBytes(h)))))) === hex(Z);
    if (ok && !hv) hv = h; if (!ok && !hi) hi = h;
  }
  addVector("all-zero key + all-zero signature (a message where -[k]A == R)", "all-zero", hv, Z, new Uint8Array(64));
  addVector("all-zero key + all-zero signature (a message where it fails)", "all-zero", hi, Z, new Uint8Array(64));
  addVector("valid key + all-zero signature", "all-zero", signers[0].h, signers[0].Ab, new Uint8Array(64));
  addVector("all-zero key + another key's valid signature", "all-zero", signers[0].h, Z, signers[0].sg);
}

// 5. small-order R with prime-order and mixed-order keys
{ const h = newHashString(); const Rb = n2le(1n);
  addVector("R = identity, prime-order key, S = k·a", "small-order R", h, Ab, sig(Rb, mod(challenge(Rb, Ab, msgBytes(h)) * a, L))); }
const AmB = enc(add(Aprime, T8));
function craftSmallR(i, encodeR) { // R = small-order U, S = k·a: holds when -[k]T8 == U
  const U = torsion[i]; const Rb = encodeR(U);
  for (let n = 0; n < 5000; n++) {
    const h = newHashString(); const k = challenge(Rb, AmB, msgBytes(h));
    if (equals(neg(mulP(T8, k)), U)) return { h, sg: sig(Rb, mod(k * a, L)) };
  }
  throw new Error("craftSmallR failed");
}
for (const i of [1, 2, 4, 6]) { const { h, sg } = craftSmallR(i, enc);
  addVector(`R = small-order T${i} (canonical), mixed key aB+T8, cofactorless-valid`, "small-order R", h, AmB, sg); }

// 6. non-canonical encodings of R where the point equation holds
{ const h = newHashString(); const Rb = withSign(n2le(1n));
  addVector("R = identity with the sign bit (01..80), prime key", "non-canonical R", h, Ab, sig(Rb, mod(challenge(Rb, Ab, msgBytes(h)) * a, L))); }
{ const h = newHashString(); const Rb = pPlus(1);
  addVector("R = identity as y=p+1, prime key", "non-canonical R", h, Ab, sig(Rb, mod(challenge(Rb, Ab, msgBytes(h)) * a, L))); }
{ const { h, sg } = craftSmallR(2, () => pPlus(0)); addVector("R = order-4 point as y=p, mixed key", "non-canonical R", h, AmB, sg); }
{ const { h, sg } = craftSmallR(4, (U) => withSign(enc(U))); addVector("R = order-2 point with the sign bit, mixed key", "non-canonical R", h, AmB, sg); }
{ const h = newHashString(); const r = rand(); const Rb = enc(mulB(r)); Rb[31] ^= 0x80;
  addVector("R's sign bit flipped against the point S was made for", "invalid", h, Ab, sig(Rb, mod(r + challenge(Rb, Ab, msgBytes(h)) * a, L))); }
{ const v = signers[0]; let bad;
  for (;;) { const c = Uint8Array.from(randomBytes(32)); c[31] &= 0x7f; if (!decodeLoose(c)) { bad = c; break; } }
  addVector("R not on the curve", "invalid", v.h, v.Ab, sig(bad, v.sg.slice(32))); }

// 7. mixed-order keys aB+T and mixed-order R
{ let got0 = false, gotN = false;
  for (let i = 0; i < 400 && !(got0 && gotN); i++) { // plain signing holds without the cofactor only when k ≡ 0 mod 8
    const h = newHashString(); const r = rand(); const Rb = enc(mulB(r)); const k = challenge(Rb, AmB, msgBytes(h));
    const s = sig(Rb, mod(r + k * a, L));
    if (k % 8n === 0n && !got0) { got0 = true; addVector("mixed key aB+T8, plain signing, k ≡ 0 mod 8 (cofactorless-valid)", "mixed-order A", h, AmB, s); }
    if (k % 8n !== 0n && !gotN) { gotN = true; addVector("mixed key aB+T8, plain signing, k ≢ 0 mod 8 (cofactored-only)", "mixed-order A", h, AmB, s); }
  } }
{ const h = newHashString(); addVector("mixed key aB+T8, R = [r]B-[k]T8 (cofactorless-valid)", "mixed-order A", h, AmB, craftValid(AmB, a, T8, msgBytes(h))); }
{ const Am4 = enc(add(Aprime, torsion[2])); const h = newHashString();
  addVector("mixed key aB+T4, R = [r]B-[k]T4 (cofactorless-valid)", "mixed-order A", h, Am4, craftValid(Am4, a, torsion[2], msgBytes(h))); }
for (const [i, what] of [[1, "T8"], [4, "T (order 2)"]]) {
  const h = newHashString(); const r = rand(); const Rb = enc(add(mulB(r), torsion[i]));
  addVector(`mixed-order R = [r]B+${what}, prime key (cofactored-only)`, "mixed-order R", h, Ab, sig(Rb, mod(r + challenge(Rb, Ab, msgBytes(h)) * a, L)));
}

// 8. non-canonical encodings (y in [p, p+18]) of large-order keys, and a key off the curve
for (let y0 = 2, n = 0; y0 <= 18 && n < 2; y0++) {
  const b = pPlus(y0); const P = decodeLoose(b); if (!P || order(P)) continue;
  addVector(`non-canonical key y=p+${y0} (large order), random signature`, "non-canonical A", newHashString(), b, sig(enc(mulB(rand())), rand()));
  n++;
}
{ let bad; for (;;) { const c = Uint8Array.from(randomBytes(32)); if (!decodeLoose(c)) { bad = c; break; } }
  addVector("key not on the curve", "invalid", signers[0].h, bad, signers[0].sg); }
// 9. k covers the key bytes as given: the order-4 key re-encoded as y=p, under a signature for 00..00
for (const t = smallCanon[2], nc = pPlus(0); ;) {
  const h = newHashString(); const sg = craftValid(t.bytes, 0n, t.P, msgBytes(h));
  if (!modelDalek(nc, sg, msgBytes(h))) {
    addVector("order-4 key re-encoded as y=p, signature made for its canonical 00..00", "non-canonical A", h, nc, sg, "the hash binds the key bytes");
    break;
  }
}

// ---------- random cases built from the same pieces: "<1|0> signer_z… signature_z… hash_z… <kind>"
const fuzz = [];
{
  const allSmall = [...smallCanon, ...smallNonCanon];
  const pick = (arr) => arr[Math.floor(Math.random() * arr.length)];
  const flip = (b, n = b.length) => { const c = Uint8Array.from(b); c[Math.floor(Math.random() * n)] ^= 1 << Math.floor(Math.random() * 8); return c; };
  const T = () => torsion[Math.floor(Math.random() * 8)];
  const kinds = [
    ["valid", (h) => { const v = pick(signers); return [v.h, v.Ab, v.sg]; }],
    ["bit_flip", () => { const v = pick(signers); return [v.h, Math.random() < 0.3 ? flip(v.Ab) : v.Ab, flip(v.sg)]; }],
    ["small_key", (h, M) => { const t = pick(allSmall); const sg = craftValid(t.bytes, 0n, t.P, M); return [h, t.bytes, Math.random() < 0.5 ? sg : flip(sg, 32)]; }],
    ["small_R", (h, M) => { const Am = enc(add(Aprime, T())); const Rb = pick(allSmall).bytes; return [h, Am, sig(Rb, mod(challenge(Rb, Am, M) * a, L))]; }],
    ["S_plus_mL", () => { const v = pick(signers); const S = le2n(v.sg.slice(32)) + BigInt(1 + Math.floor(Math.random() * 15)) * L;
      return [v.h, v.Ab, sig(v.sg.slice(0, 32), S % (1n << 256n))]; }],
    ["mixed_key_plain", (h, M) => { const Am = enc(add(Aprime, T())); const r = rand(); const Rb = enc(mulB(r)); return [h, Am, sig(Rb, mod(r + challenge(Rb, Am, M) * a, L))]; }],
    ["mixed_key_crafted", (h, M) => { const t = T(); const Am = enc(add(Aprime, t)); return [h, Am, craftValid(Am, a, t, M)]; }],
    ["small_key_small_R", (h) => [h, pick(allSmall).bytes, sig(pick(allSmall).bytes, BigInt(Math.floor(Math.random() * 3)))]],
    ["identity_key_high_S", (h) => { const S = L - BigInt(Math.floor(Math.random() * 1000)) - 1n + (Math.random() < 0.3 ? L : 0n);
      return [h, pick([n2le(1n), withSign(n2le(1n)), pPlus(1), withSign(pPlus(1))]), sig(enc(mulB(S)), S)]; }],
    ["mixed_R", (h, M) => { const r = rand(); const Rb = enc(add(mulB(r), T())); return [h, Ab, sig(Rb, mod(r + challenge(Rb, Ab, M) * a, L))]; }],
  ];
  for (let n = 0; n < fuzzCount; n++) {
    const [kind, make] = kinds[n % kinds.length]; const h0 = newHashString();
    const [h, A, sg] = make(h0, msgBytes(h0));
    fuzz.push(`${verdict(h, A, sg, `fuzz case ${n}`).ok ? 1 : 0} ${signerId(A)} ${sigStr(sg)} ${h} ${kind}`);
  }
}

writeFileSync(join(here, "ed25519_edge.json"), JSON.stringify({
  generator: "test/vectors/gen_ed25519.mjs",
  verifier: "cojson 0.20.19 WasmCrypto.verify (NapiCrypto agrees)",
  vectors,
}, null, 1) + "\n");
writeFileSync(join(here, "ed25519_fuzz.txt"), fuzz.join("\n") + "\n");
const accepted = vectors.filter((v) => v.cojson_accepts).length;
console.log(`${vectors.length} vectors (cojson accepts ${accepted}); ${fuzz.length} fuzz cases (cojson accepts ${fuzz.filter((l) => l[0] === "1").length})`);
