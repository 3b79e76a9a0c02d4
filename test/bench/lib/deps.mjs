// The npm packages live in test/interop/node_modules (installed by scripts/test and
// scripts/bench). Bare imports from test/bench/ would not find them, so resolve them
// from the interop package and re-export: one module instance shared with harness.mjs.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(new URL("../../interop/package.json", import.meta.url));
const load = (spec) => import(pathToFileURL(require.resolve(spec)).href);

const cojson = await load("cojson");
export const { LocalNode, cojsonInternals } = cojson;
export const WebSocket = (await load("ws")).default;
export const { createWebSocketPeer } = await load("cojson-transport-ws");
