import { expect, test } from '@playwright/test';
import { e2eToken, LOGIN_URL_ENV, skipReason } from './harness.ts';

/**
 * Signing in, as a person does it: the login URL the hub printed opens the app signed in and
 * leaves no token in the address bar; a browser without a session gets the sign-in screen, can
 * paste the token, and can sign out. All of it under the hub's Content-Security-Policy with no
 * violation reported.
 */
test.skip(() => skipReason() !== '', skipReason());

const NOBODY = { cookies: [], origins: [] };

declare global {
  interface Window {
    cspViolations?: string[];
  }
}

test('the printed login URL opens the app signed in, and the address bar no longer holds the token', async ({
  browser,
}) => {
  const login = process.env[LOGIN_URL_ENV] ?? '';
  expect(login).toMatch(/\/\?token=[\w-]{43}$/);
  const context = await browser.newContext({ storageState: NOBODY });
  const page = await context.newPage();
  const logged: string[] = [];
  page.on('console', (m) => logged.push(m.text()));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations ??= [];
      window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(login);
  await expect(page.getByTestId('session')).toContainText('admin · operator');
  await expect(page.locator('[data-hop]').first()).toBeVisible();
  expect(page.url()).not.toContain('token');
  expect(await page.evaluate(() => window.location.href)).not.toContain(e2eToken());
  // The cookie is the browser's only credential, and no script can read it.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  const cookies = await context.cookies();
  expect(cookies).toHaveLength(1);
  expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

  expect(await page.evaluate(() => window.cspViolations ?? [])).toEqual([]);
  expect(logged.filter((t) => /Content[- ]Security[- ]Policy/i.test(t))).toEqual([]);
  await context.close();
});

test('a fresh browser sees the sign-in screen; a pasted token signs in, sign out signs out', async ({
  browser,
}) => {
  const context = await browser.newContext({ storageState: NOBODY });
  const page = await context.newPage();
  await page.goto('/?host=x&t=live');
  await expect(page.getByTestId('signin')).toBeVisible();
  await expect(page.locator('[data-hop]')).toHaveCount(0);

  await page.getByTestId('signin-token').fill('not-the-token-0123456789');
  await page.getByTestId('signin-submit').click();
  await expect(page.getByTestId('signin-error')).toContainText('not valid');

  await page.getByTestId('signin-token').fill(e2eToken());
  await page.getByTestId('signin-submit').click();
  await expect(page.getByTestId('session')).toContainText('operator');
  await expect(page.getByTestId('signin')).toHaveCount(0);

  await page.getByTestId('signout').click();
  await expect(page.getByTestId('signin')).toBeVisible();
  await context.close();
});

test('a login URL with a wrong token says so on the sign-in screen, and drops the token too', async ({
  browser,
}) => {
  const context = await browser.newContext({ storageState: NOBODY });
  const page = await context.newPage();
  await page.goto('/?token=wrong-token-0123456789abcdef');
  await expect(page.getByTestId('signin-error')).toContainText("link's token was not accepted");
  expect(page.url()).not.toContain('token');
  await context.close();
});
