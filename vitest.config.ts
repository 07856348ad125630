import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: pure and fixture-driven, parallel. `integration`: real namespaces,
 * sysctls, tracefs, processes; run one file at a time because `net.core.*` sysctls are global
 * (design.md, toolchain notes) and two labs would trip over each other.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'apps/*/test/**/*.test.tsx'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
          // CLI tests start `hopwatch` (tsx) a few times: seconds each on a loaded 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['apps/*/test/**/*.int.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          environment: 'node',
        },
      },
    ],
  },
});
