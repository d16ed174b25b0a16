#!/usr/bin/env node
// Build widget/dist/safeshare-widget.js: socket.io-client's browser bundle + the widget's IIFE (with
// its CSS inlined) in one self-contained file, so a school's page needs ONE script tag and no CDN.
//
// Usage:
//   npm ci && node build.mjs          write dist/safeshare-widget.js and print its size
//   node build.mjs --check            exit 1 if dist/ is not what the sources build (CI, tests)
//
// No bundler: socket.io-client already ships a minified UMD bundle. It is wrapped in a function
// with local `module`/`exports`, so it never sets `window.io` or calls a page's AMD `define`.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { minify } from "terser";

const here = dirname(fileURLToPath(import.meta.url));
const read = (...parts) => readFileSync(join(here, ...parts), "utf8");
const OUT = join(here, "dist", "safeshare-widget.js");

function minifyCss(css) {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{};,])\s*/g, "$1")
    .replace(/;}/g, "}")
    .trim();
}

export async function build() {
  const pkg = JSON.parse(read("package.json"));
  const pinned = pkg.dependencies["socket.io-client"];
  const client = JSON.parse(read("node_modules", "socket.io-client", "package.json"));
  if (client.version !== pinned) {
    throw new Error(`node_modules has socket.io-client ${client.version}, package.json pins ${pinned}: run npm ci`);
  }
  const sio = read("node_modules", "socket.io-client", "dist", "socket.io.min.js")
    .replace(/\n?\/\/# sourceMappingURL=.*\s*$/, "")
    .trim();
  const source = read("src", "widget.js")
    .replace('"/*__SAFESHARE_CSS__*/"', () => JSON.stringify(minifyCss(read("src", "widget.css"))))
    .replace('"__SAFESHARE_VERSION__"', () => JSON.stringify(pkg.version));
  const widget = await minify(source, {
    ecma: 2017,
    compress: { passes: 2 },
    mangle: true,
    format: { comments: false, ascii_only: true },
  });
  return [
    `/*! SafeShare HK chat widget ${pkg.version} | bundles socket.io-client ${client.version} (MIT License, (c) Guillermo Rauch) */`,
    "(function(){var module={exports:{}},exports=module.exports,define;",
    sio,
    ";var io=module.exports;",
    widget.code,
    "})();",
    "",
  ].join("\n");
}

async function main() {
  const built = await build();
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(OUT, "utf8");
    } catch {
      // missing file: reported below
    }
    if (current !== built) {
      console.error("widget/dist/safeshare-widget.js is out of date: run `node widget/build.mjs`");
      process.exit(1);
    }
    console.log("widget/dist/safeshare-widget.js is up to date");
    return;
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, built);
  const bytes = Buffer.byteLength(built);
  const gzipped = gzipSync(built, { level: 9 }).length;
  console.log(`wrote widget/dist/safeshare-widget.js: ${bytes} bytes, ${gzipped} bytes gzipped`);
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
