import { z } from 'zod';

/**
 * The hub serves the app under a Content-Security-Policy without 'unsafe-eval'
 * (apps/hub/src/http/auth/headers.ts). zod probes `new Function` to compile object parsers, and a
 * strict CSP reports that probe as a violation even though zod catches the throw; jitless skips
 * it. zod reads the setting when a schema is built, so this module is imported first by the app
 * and by each worker, before any schema exists.
 */
z.config({ jitless: true });
