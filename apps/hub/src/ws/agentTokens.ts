import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/**
 * Which agent may report as which host. With one shared `--agent-token` any agent holding it may
 * take any host name, so one compromised hypervisor could feed the hub another's counters. An
 * `--agent-tokens-file` binds names to tokens (`HOST TOKEN` a line, `#` comments): an agent that
 * presents host X's token may only say hello as X. The shared token keeps working beside it for
 * small setups (it may report as any host, as before).
 */
export interface AgentCredentials {
  /** The shared token, any host; null: none. */
  shared: string | null;
  /** Per-host tokens: token → the one host it may report as. */
  perHost: ReadonlyMap<string, string>;
}

/** Who a presented token says the agent is. */
export type AgentIdentity = { ok: true; host: string | null } | { ok: false };

export class AgentTokensFileError extends Error {}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Tokens shorter than this are guessable; refused when the file is read. */
export const AGENT_TOKEN_MIN_CHARS = 16;
const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

export function parseAgentTokens(text: string, file = 'agent tokens file'): Map<string, string> {
  const out = new Map<string, string>();
  const hosts = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file} line ${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw new AgentTokensFileError(`${where}: expected "HOST TOKEN", got ${parts.length} fields`);
    const [host, token] = parts as [string, string];
    if (!HOST_RE.test(host)) throw new AgentTokensFileError(`${where}: "${host}" is not a host name`);
    if (token.length < AGENT_TOKEN_MIN_CHARS)
      throw new AgentTokensFileError(
        `${where}: the token of ${host} is shorter than ${AGENT_TOKEN_MIN_CHARS} characters`,
      );
    if (hosts.has(host)) throw new AgentTokensFileError(`${where}: ${host} is listed twice`);
    if (out.has(token))
      throw new AgentTokensFileError(`${where}: ${host} has the same token as ${out.get(token)}`);
    hosts.add(host);
    out.set(token, host);
  });
  return out;
}

/** Reads the file; `warn` hears when other users may read it (the tokens are secrets). */
export function loadAgentTokens(path: string, warn: (msg: string) => void): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AgentTokensFileError(
      `cannot read --agent-tokens-file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if ((statSync(path).mode & 0o077) !== 0)
    warn(`--agent-tokens-file ${path} is readable by other users; chmod 600 it`);
  return parseAgentTokens(text, path);
}

/**
 * `Authorization: Bearer T` → who it identifies, in time independent of which token matched:
 * every candidate is compared (SHA-256 of both sides, timingSafeEqual), none short-circuits.
 */
export function identifyAgent(creds: AgentCredentials, header: string | undefined): AgentIdentity {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = digest(m?.[1] ?? '');
  const present = m !== null;
  let result: AgentIdentity = { ok: false };
  if (creds.shared !== null && timingSafeEqual(digest(creds.shared), given) && present)
    result = { ok: true, host: null };
  for (const [token, host] of creds.perHost)
    if (timingSafeEqual(digest(token), given) && present && !result.ok) result = { ok: true, host };
  return result;
}
