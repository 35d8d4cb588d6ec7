// Permalink tokens in the browser: base64url (no padding) of raw DEFLATE of the scene's compact JSON, the same
// format Python's zlib (wbits -15) writes and reads (app/permalink.py). Pure: no DOM, runs in Node too. The
// limits are the catalog's (limits.max_token_length, limits.max_scene_bytes).
//
//   const token = await encodeScene({landscape: {id: "booth"}, runs: [{}]});
//   const scene = await decodeToken(token, catalog.limits);

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(token) {
  if (!/^[A-Za-z0-9_-]+$/.test(token) || token.length % 4 === 1) {
    throw new Error("token is not base64url (letters, digits, '-' and '_', no padding)");
  }
  const binary = atob(token.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (token.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export async function encodeScene(scene) {
  const json = new TextEncoder().encode(JSON.stringify(scene));
  return toBase64url(await pipe(json, new CompressionStream("deflate-raw")));
}

export async function decodeToken(token, { max_token_length: longest, max_scene_bytes: largest }) {
  if (token.length > longest) throw new Error(`token is ${token.length} characters; the limit is ${longest}`);
  const inflated = await pipe(fromBase64url(token), new DecompressionStream("deflate-raw"));
  if (inflated.length > largest) throw new Error(`token inflates beyond ${largest} bytes`);
  return JSON.parse(new TextDecoder().decode(inflated));
}
