import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type HtmlTagDescriptor, type Plugin } from 'vite';

/** The hub (apps/hub) serves the built app in production; in dev it answers behind this proxy. */
const HUB_ORIGIN = process.env.HOPWATCH_HUB ?? 'http://127.0.0.1:7070';

/**
 * The entry (src/main.tsx) is a few KB that opens the hub socket and then imports the app
 * (src/start.tsx) dynamically. Without help the browser would ask for the app only once the entry
 * ran; this puts the app's chunks (and its stylesheet) in index.html, so both are fetched at once.
 */
function preloadApp(): Plugin {
  return {
    name: 'hopwatch-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (bundle === undefined) return;
        const app = Object.values(bundle).find(
          (c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/start.tsx') === true,
        );
        if (app === undefined || app.type !== 'chunk')
          throw new Error('preloadApp: no chunk for src/start.tsx');
        const js = new Set<string>();
        const css = new Set<string>();
        const visit = (file: string) => {
          const c = bundle[file];
          if (js.has(file) || c === undefined || c.type !== 'chunk') return;
          js.add(file);
          // The point of the split: zod (and the schemas) load after the first picture, not in it.
          if (c.moduleIds.some((id) => id.includes('/node_modules/zod/')))
            throw new Error(
              `preloadApp: zod is in ${file}, on the way to the first picture (import from protocol/constants, not the package root)`,
            );
          for (const f of c.viteMetadata?.importedCss ?? []) css.add(f);
          for (const f of c.imports) visit(f);
        };
        visit(app.fileName);
        const tags: HtmlTagDescriptor[] = [];
        for (const [files, rel] of [
          [css, 'stylesheet'],
          [js, 'modulepreload'],
        ] as const)
          for (const f of files)
            if (!html.includes(`/${f}"`))
              tags.push({ tag: 'link', attrs: { rel, crossorigin: true, href: `/${f}` }, injectTo: 'head' });
        return tags;
      },
    },
  };
}

/** Smaller than this, a compressed twin saves less than its headers cost. */
const PRECOMPRESS_MIN_BYTES = 1024;

/**
 * Writes a brotli (`.br`) and a gzip (`.gz`) twin beside every script and stylesheet of the build,
 * compressed once here at the highest levels: the hub serves them to browsers that take them
 * (apps/hub/src/http/static.ts), so the app chunk crosses the network at about a quarter of its size (figures: apps/web/README.md § Speed).
 */
function precompress(): Plugin {
  return {
    name: 'hopwatch-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const file of Object.keys(bundle)) {
        if (!/\.(?:js|css)$/.test(file) || options.dir === undefined) continue;
        const path = join(options.dir, file);
        const body = readFileSync(path);
        if (body.length < PRECOMPRESS_MIN_BYTES) continue;
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), preloadApp(), precompress()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 800 },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': HUB_ORIGIN,
      '/ws': { target: HUB_ORIGIN, ws: true },
    },
  },
});
