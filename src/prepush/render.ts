/**
 * The verdict as text for stderr: one headline per finding, indented details, and how to
 * bypass a block. Prints nothing when there is nothing to say. Pure, but for one git run when a
 * push is blocked (whether this is a submodule). Every line passes through visible(): findings
 * quote commit metadata and server strings.
 */
import path from 'node:path';
import { superprojectOf, type GitRun } from '../git/repo.js';
import { repoLabel, type CheckFacts } from './facts.js';
import { bypassHint, type Submodule, type Verdict } from './verdict.js';
import { PROGRAM as PREFIX } from '../settings.js';
import { visible } from '../visible.js';

const LABEL = { block: 'blocked', warn: 'warning', note: 'note' } as const;

/** `run`: where git runs to ask whether the repository is a submodule (the hook's own directory by default). */
export function renderVerdict(
  v: Verdict,
  facts: CheckFacts,
  problems: readonly string[] = [],
  run: GitRun = {},
): string {
  if (v.findings.length === 0 && problems.length === 0) return '';
  const out: string[] = [`${PREFIX}: pre-push check of ${repoLabel(facts.remote)} on ${facts.remote.baseUrl}`];
  for (const p of problems) out.push(`  config: ${p}`);
  for (const f of v.findings) {
    out.push(`  ${LABEL[f.severity]}: ${f.title}`);
    for (const d of f.details) out.push(`      ${d}`);
  }
  if (v.exitCode !== 0) out.push(`Push blocked. ${bypassHint(v.findings, submoduleOf(facts, run))}`);
  return out.map(visible).join('\n') + '\n';
}

function submoduleOf(facts: CheckFacts, run: GitRun): Submodule | undefined {
  const where = superprojectOf(run);
  if (!where) return undefined;
  return {
    path: path.relative(where.superproject, where.toplevel) || '.',
    remote: facts.remote.name,
    refs: facts.pushed ?? [],
  };
}

/** One paragraph of what was found, for `check`: who the token acts as and what it may do. */
export function renderSummary(facts: CheckFacts): string {
  const lines = [`${repoLabel(facts.remote)} on ${facts.remote.baseUrl} (remote ${facts.remote.name})`];
  const c = facts.credential;
  lines.push(
    c.found
      ? `  token:    from ${c.source}, sent as ${c.scheme === 'basic' ? `Basic for ${c.username ?? '?'}` : 'Bearer'}`
      : `  token:    none found (${c.reason})`,
  );
  const s = facts.server;
  if (s?.status === 'ok') {
    const f = s.facts;
    lines.push(
      `  acts as:  ${f.user.name || '(not named by the server)'}${f.user.email ? ` <${f.user.email}>` : ''}, ${f.kind === 'personal' ? 'personal token' : f.kind === 'project' ? 'project/repository token (bot identity)' : 'token of unknown kind'}${s.fromCache ? ' (cached)' : ''}`,
    );
    if (f.permissions) lines.push(`  grants:   ${f.tokenName ? `"${f.tokenName}" ` : ''}${f.permissions.join(', ')}`);
    lines.push(
      `  push:     ${f.writable === undefined ? (f.repositoryMissing !== undefined ? 'not checked: no such repository' : 'unknown') : f.writable ? 'allowed (REPO_WRITE)' : 'refused: no REPO_WRITE'}`,
    );
    lines.push(
      `  expires:  ${f.expiresAt === undefined ? 'unknown or never' : new Date(f.expiresAt).toISOString().slice(0, 10)}`,
    );
  } else if (s?.status === 'password') {
    lines.push('  server:   not asked: a password is never sent for these checks (see below)');
  } else if (s) {
    lines.push(`  server:   ${s.status}: ${s.message}`);
  }
  const id = facts.identity;
  if (id && !('error' in id))
    lines.push(
      id.unsure === undefined
        ? `  commits:  ${id.total} not yet on the remote`
        : `  commits:  ${id.total} pushed; could not tell which are new to ${facts.remote.name} (${id.unsure})`,
    );
  return lines.map(visible).join('\n') + '\n';
}
