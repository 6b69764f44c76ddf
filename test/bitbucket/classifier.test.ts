/**
 * Walks the classifier's decision table as docs/classifier.md writes it: every row of "What each
 * server variant yields" runs against the emulator with those switches and must give that kind,
 * status and row; and every row of "The decision table" must be reached by at least one of them.
 * The rows are read from the document, so the table and the code cannot drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { DEFAULT_SWITCHES, type Switches } from '../emulator/types.js';
import { BitbucketClient } from '../../src/bitbucket/client.js';
import { classifyToken, type Credential } from '../../src/bitbucket/classifier.js';
import type { RefusalMemory } from '../../src/bitbucket/refusals.js';
import { ALL_TOKENS, TOK, bitbucketFixture } from './fixture.js';
import { ROOT } from '../helpers/sandbox.js';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/classifier.md'), 'utf8');

/** The rows of the first markdown table under the heading `## title`, as cells. */
function table(title: string): string[][] {
  const section = DOC.split(/^## /m).find((s) => s.startsWith(`${title}\n`));
  if (!section) throw new Error(`docs/classifier.md has no section "${title}"`);
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim()),
  );
}

const decisionRows = table('The decision table');
const variantRows = table('What each server variant yields');

/** A refusal memory in memory (the classifier only reads it; the client writes it). */
function memory(): RefusalMemory & { held: Set<string> } {
  const held = new Set<string>();
  return {
    held,
    refusedAt: (secret) => (held.has(secret) ? Date.parse('2026-01-02T00:00:00Z') : undefined),
    remember: (secret) => void held.add(secret),
  };
}

function credential(cell: string): Credential {
  const bearer = /^Bearer (\w+)$/.exec(cell);
  if (bearer) {
    const secret = TOK[bearer[1] as keyof typeof TOK];
    if (!secret) throw new Error(`unknown token ${bearer[1]}`);
    return { scheme: 'bearer', secret };
  }
  const basic = /^Basic (\w+):password$/.exec(cell);
  if (basic) return { scheme: 'basic', username: basic[1]!, secret: `${basic[1]}-pw` };
  throw new Error(`unknown credential ${cell}`);
}

function switches(cell: string): { switches: Partial<Switches>; hang: boolean } {
  const out: Partial<Switches> = {};
  let hang = false;
  if (cell === 'defaults') return { switches: out, hang };
  for (const pair of cell.split(',').map((p) => p.trim())) {
    const [k, v] = pair.split('=') as [string, string];
    if (k === 'fault' && v === 'hang') hang = true;
    else if (!(k in DEFAULT_SWITCHES)) throw new Error(`unknown switch ${k}`);
    else
      (out as Record<string, unknown>)[k] =
        typeof DEFAULT_SWITCHES[k as keyof Switches] === 'boolean'
          ? v === 'true'
          : typeof DEFAULT_SWITCHES[k as keyof Switches] === 'number'
            ? Number(v)
            : v;
  }
  return { switches: out, hang };
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ data: bitbucketFixture() });
});
afterAll(async () => {
  await emu.stop();
});

describe('docs/classifier.md', () => {
  it('has both tables', () => {
    expect(decisionRows.map((r) => r[0])).toEqual(Array.from({ length: 15 }, (_, i) => `R${i + 1}`));
    expect(variantRows.length).toBeGreaterThan(15);
  });

  it('every decision row is reached by a server variant', () => {
    const reached = new Set(variantRows.map((r) => r[5]));
    expect(decisionRows.map((r) => r[0]).filter((row) => !reached.has(row))).toEqual([]);
  });

  for (const [sw, cred, repo, basic, kind, row] of variantRows as Array<
    [string, string, string, string, string, string]
  >) {
    it(`${sw} | ${cred} | ${repo} | Basic ${basic} → ${kind} (${row})`, async () => {
      const s = switches(sw);
      emu.setSwitches({ ...DEFAULT_SWITCHES, ...s.switches });
      emu.setFaults(s.hang ? [{ kind: 'hang' }] : []);
      try {
        const c = credential(cred);
        const refusals = memory();
        if (basic === 'refused before') refusals.held.add(c.secret);
        const client = new BitbucketClient({
          baseUrl: emu.baseUrl,
          settings: { sslVerify: true },
          timeoutMs: 5000,
          refusals,
          sleep: async () => undefined,
        });
        const [projectKey, repoSlug] = repo === '—' ? [] : repo.split('/');
        const started = Date.now();
        const r = await classifyToken({
          client,
          credential: c,
          budgetMs: 1500,
          allowBasic: basic === 'allowed',
          ...(projectKey ? { repository: { projectKey, ...(repoSlug ? { repoSlug } : {}) } } : {}),
        });
        const text = JSON.stringify(r);
        for (const t of [...ALL_TOKENS, 'alice-pw']) expect(text).not.toContain(t);
        expect(r.decidedBy, text).toBe(row);
        if (r.status === 'valid') expect(r.kind, text).toBe(kind);
        else expect(r.status, text).toBe(kind);
        if (s.hang) expect(Date.now() - started).toBeLessThan(1500 * 10);
      } finally {
        emu.setFaults([]);
        emu.setSwitches(DEFAULT_SWITCHES);
      }
    });
  }
});
