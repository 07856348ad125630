import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { AgentTokensFileError, parseAgentTokens } from '../src/ws/agentTokens.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample } from './helpers/data.ts';
import { TEST_AUTH } from './helpers/auth.ts';

const H1_TOKEN = 'h1-token-0123456789abcdef';
const H2_TOKEN = 'h2-token-0123456789abcdef';
const SHARED = 'shared-token-0123456789';
const dirs: string[] = [];
const hubs: Hub[] = [];
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.terminate();
  for (const h of hubs.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tokensFile(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-tokens-'));
  dirs.push(dir);
  const path = join(dir, 'agent-tokens');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}
async function hub(over: Partial<Parameters<typeof startHub>[0]> = {}): Promise<Hub> {
  const h = await startHub({
    auth: TEST_AUTH,
    port: 0,
    db: ':memory:',
    agentToken: SHARED,
    log: silentLogger,
    ...over,
  });
  hubs.push(h);
  return h;
}
function agent(h: Hub, host: string, token: string | null): FakeAgent {
  const a = new FakeAgent(h.url, host, { token });
  agents.push(a);
  return a;
}

describe('agent identity (--agent-tokens-file)', () => {
  it('ID1: a host’s token may only report as that host; the shared token as any; others get 401', async () => {
    const h = await hub({
      agentTokensFile: tokensFile(`# hypervisors\nh1 ${H1_TOKEN}\n\nh2   ${H2_TOKEN}\n`),
    });
    const own = agent(h, 'h1', H1_TOKEN);
    expect((await own.hello()).type).toBe('welcome');
    const thief = agent(h, 'h2', H1_TOKEN);
    await thief.opened;
    thief.send({
      type: 'hello',
      protocol: 1,
      host: 'h2',
      agentVersion: 't',
      instance: thief.instance,
      intervalMs: 1000,
      tracing: 'on',
    });
    const c = await thief.closed;
    expect(c.code).toBe(CLOSE.badToken);
    expect(c.reason).toMatch(/belongs to host "h1"; it may not report as "h2"/);
    expect(h.core.counters.refused.get('wrong_host_for_token')).toBe(1);
    expect((await agent(h, 'h2', H2_TOKEN).hello()).type).toBe('welcome');
    expect((await agent(h, 'h3', SHARED).hello()).type).toBe('welcome');
    expect(await agent(h, 'h4', 'not-a-token-0123456789').refused).toBe(401);
    expect(await agent(h, 'h4', null).refused).toBe(401);
  });

  it('ID2: a tokens file alone (no shared token) admits only its hosts', async () => {
    const h = await hub({ agentToken: null, agentTokensFile: tokensFile(`h1 ${H1_TOKEN}\n`) });
    expect((await agent(h, 'h1', H1_TOKEN).hello()).type).toBe('welcome');
    expect(await agent(h, 'h2', null).refused).toBe(401);
  });

  it('ID3: the file is checked when read: fields, host names, short, duplicate and shared tokens; mode', async () => {
    expect(() => parseAgentTokens('h1\n')).toThrow(/line 1: expected "HOST TOKEN"/);
    expect(() => parseAgentTokens(`h1 short\n`)).toThrow(/shorter than 16/);
    expect(() => parseAgentTokens(`-rf ${H1_TOKEN}\n`)).toThrow(/not a host name/);
    expect(() => parseAgentTokens(`h1 ${H1_TOKEN}\nh1 ${H2_TOKEN}\n`)).toThrow(/line 2: h1 is listed twice/);
    expect(() => parseAgentTokens(`h1 ${H1_TOKEN}\nh2 ${H1_TOKEN}\n`)).toThrow(/same token as h1/);
    await expect(hub({ agentTokensFile: '/nonexistent/tokens' })).rejects.toThrow(AgentTokensFileError);
    const warnings: string[] = [];
    await hub({
      agentTokensFile: tokensFile(`h1 ${H1_TOKEN}\n`, 0o644),
      log: { info() {}, warn: (m) => warnings.push(m), error() {} },
    });
    expect(warnings.join('\n')).toMatch(/readable by other users; chmod 600/);
  });
});

describe('agent hello and clock bounds', () => {
  it('ID4: an interval outside 100 ms..60 s is refused in words (it sets when a silent host counts as gone)', async () => {
    const h = await hub();
    for (const intervalMs of [10, 3_600_000]) {
      const a = agent(h, `h-${intervalMs}`, SHARED);
      await a.opened;
      a.send({
        type: 'hello',
        protocol: 1,
        host: a.host,
        agentVersion: 't',
        instance: a.instance,
        intervalMs,
        tracing: 'on',
      });
      const c = await a.closed;
      expect(c.code).toBe(CLOSE.badFrame);
      expect(c.reason).toMatch(new RegExp(`interval ${intervalMs} ms is outside 100\\.\\.60000 ms`));
    }
    expect(h.core.counters.refused.get('bad_interval')).toBe(2);
  });

  it('ID5: a sample a minute ahead of the hub clock is refused; a few seconds ahead is taken', async () => {
    const h = await hub();
    const a = agent(h, 'h1', SHARED);
    await a.hello();
    const ahead = Date.now() + 60_000;
    a.sample(makeSample(ahead));
    const near = Date.now() + 3000;
    a.sample(makeSample(near));
    await expect.poll(() => h.store.lastT('h1')).toBe(near);
    expect(h.core.counters.rejected.get('future')).toBe(1);
  });
});
