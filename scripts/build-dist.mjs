#!/usr/bin/env node
// Builds what hopwatch ships into dist/, and nothing when nothing changed:
//   dist/hopwatch.mjs        the whole CLI (hub, agent, lab, diagnose, replay) in one ESM file;
//                            only Node built-ins and better-sqlite3 (a native module) stay outside
//   dist/hopwatch-agent.mjs  the agent alone: agent + packages/shared (ids, text, protocol constants;
//                            no zod) + ws, Node built-ins
//                            outside — copy it to a hypervisor and `node hopwatch-agent.mjs --hub …`
//   dist/web/                the built web app the hub serves
//   dist/lab/                the lab's traffic sender and sink (run by `node` inside namespaces)
//
// Incremental: a hash of every input file is kept in dist/.inputs; a second `npm start` with the
// same sources returns in well under a second. `--force` rebuilds anyway.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.inputs');
const WEB = join(ROOT, 'apps/web');

/** Everything the three outputs are made from. Tests, benches and fixtures are not. */
const INPUTS = [
  'apps/agent/src',
  'apps/hub/src',
  'apps/lab/src',
  'apps/cli/src',
  'packages/shared/src',
  'apps/web/src',
  'apps/web/index.html',
  'apps/web/vite.config.ts',
  'apps/web/public',
  'package-lock.json',
  'scripts/build-dist.mjs',
];

function* files(path) {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isFile()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) yield* files(join(path, name));
}

function inputsHash() {
  const h = createHash('sha256');
  for (const input of INPUTS) {
    for (const f of files(join(ROOT, input))) {
      h.update(relative(ROOT, f));
      h.update('\0');
      h.update(readFileSync(f));
      h.update('\0');
    }
  }
  return h.digest('hex');
}

/**
 * ws and express are CommonJS: inside an ESM bundle their `require('events')` needs a real
 * `require`. ws probes the optional native add-ons bufferutil/utf-8-validate in a try/catch:
 * left external, they are found at run time among the package's own dependencies. bufferutil is
 * one (native unmasking of the agents' frames, apps/hub/README.md); utf-8-validate is not, and
 * its probe fails as it does without it.
 */
const BANNER = [
  "import { createRequire as __hwCreateRequire } from 'node:module';",
  'const require = __hwCreateRequire(import.meta.url);',
].join('\n');

async function bundle() {
  const esbuild = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    sourcemap: false,
    legalComments: 'none',
    banner: { js: BANNER },
    logLevel: 'warning',
    external: ['bufferutil', 'utf-8-validate'],
    // Resolved against the bundle's own location (see apps/hub/src/http/static.ts, traffic.ts).
    define: { HOPWATCH_BUNDLE_LAYOUT: 'true' },
  };
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'apps/cli/src/main-bundle.ts')],
    outfile: join(DIST, 'hopwatch.mjs'),
    external: [...common.external, 'better-sqlite3'],
  });
  const agent = await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'apps/cli/src/agent-bundle.ts')],
    outfile: join(DIST, 'hopwatch-agent.mjs'),
    metafile: true,
  });
  for (const out of ['hopwatch.mjs', 'hopwatch-agent.mjs']) asciiOnly(join(DIST, out));
  // The agent imports the protocol's constants, never its zod schemas: zod was ~750 KB of the
  // agent's 1 MB and megabytes of its RSS (apps/agent/README.md, Cost). A runtime import of
  // '@hopwatch/shared' (the index) in the agent or its command brings it back: fail here.
  const zod = Object.keys(agent.metafile.inputs).filter((f) => f.includes('node_modules/zod/'));
  if (zod.length > 0) {
    throw new Error(
      `dist/hopwatch-agent.mjs must not contain zod (${zod.length} files): import runtime values ` +
        "from '@hopwatch/shared/ids', '/text' or '/protocol/constants' in apps/agent, types with `import type`",
    );
  }
}

/**
 * V8 keeps a script's source as one string, and one character above 0x7f anywhere in it (an
 * arrow in a comment esbuild kept) makes the whole string two bytes a character: the agent's
 * 320 KB bundle was 640 KB of its heap for the life of the process. esbuild already escapes
 * strings, templates and regular expressions (charset 'ascii'); what is left is in comments,
 * where an escape reads the same.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every non-ASCII code unit
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

function buildWeb() {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: WEB,
      stdio: 'inherit',
    },
  );
  rmSync(join(DIST, 'web'), { recursive: true, force: true });
  cpSync(join(WEB, 'dist'), join(DIST, 'web'), { recursive: true });
}

function copyLab() {
  mkdirSync(join(DIST, 'lab'), { recursive: true });
  for (const f of ['sender.mjs', 'sink.mjs'])
    cpSync(join(ROOT, 'apps/lab/src/traffic', f), join(DIST, 'lab', f));
}

const force = process.argv.includes('--force');
const hash = inputsHash();
if (
  !force &&
  existsSync(STAMP) &&
  readFileSync(STAMP, 'utf8') === hash &&
  existsSync(join(DIST, 'web/index.html'))
) {
  console.error('build: dist/ is up to date');
  process.exit(0);
}
const t0 = performance.now();
mkdirSync(DIST, { recursive: true });
rmSync(STAMP, { force: true });
buildWeb();
await bundle();
copyLab();
writeFileSync(STAMP, hash);
console.error(`build: dist/ built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
