import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The hub (apps/hub) serves the built app in production; in dev it answers behind this proxy. */
const HUB_ORIGIN = process.env.HOPWATCH_HUB ?? 'http://127.0.0.1:7070';

export default defineConfig({
  plugins: [react(), tailwindcss()],
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
