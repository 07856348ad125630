import { defineConfig } from '@playwright/test';
import { BASE_URL, CHROMIUM_ARGS, OVS_MODE, STORAGE_STATE } from './harness.ts';

/**
 * Real Chromium against the real hub, agent and lab (global-setup starts `hopwatch start --lab`).
 * One worker: the lab and net.core.* sysctls are global. Run as root under the shared lock:
 *   flock /tmp/hopwatch-root.lock npm run e2e
 */
export default defineConfig({
  testDir: '.',
  // The OVS lab is a run of its own (HOPWATCH_E2E_OVS=1): the other specs want the Linux lab.
  testMatch: OVS_MODE ? 'ovs.spec.ts' : '*.spec.ts',
  testIgnore: OVS_MODE ? [] : ['ovs.spec.ts'],
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 2 : 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  outputDir: 'test-results',
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    // Signed in as the hub's operator (global-setup); auth.spec.ts starts fresh contexts without it.
    storageState: STORAGE_STATE,
    browserName: 'chromium',
    viewport: { width: 1600, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
});
