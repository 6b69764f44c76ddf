/**
 * After setup wrote its lines: the helper chain git builds for the server from every scope and
 * include, and setup's lines moved to the end of their file when a helper read after them would
 * otherwise come after this one.
 */
import { getAll, keysWithPrefix, listMatching, removeSectionIfEmpty } from '../git/credential-config.js';
import { configListing } from '../git/repo.js';
import { parseConfigListing, scopesUnder, valuesFor, type ConfigEntry } from '../prepush/urlmatch.js';
import { helperChains, type Chain } from './doctor-helper-chain.js';
import type { Block } from './setup-plan.js';
import { applySteps, shown, type Apply } from './setup-apply.js';
import { CommandError } from './shared/errors.js';
import type { CommandIO } from './shared/io.js';

function chainsFromHere(baseUrl: string, io: CommandIO): { server: Chain; under: Chain[] } {
  return helperChains(baseUrl, parseConfigListing(configListing('^credential\\.', { env: io.env })));
}

/** What setup says of a path under the server whose chain asks a helper after this one, or not this one. */
export function underWarning(c: Chain): string {
  const list = c.after.map((h) => `'${h}'`).join(', ');
  return c.used
    ? `for repositories under ${c.url}, git asks ${list} after this helper and hands ${c.after.length > 1 ? 'them' : 'it'} every token it confirms`
    : `for repositories under ${c.url}, git does not ask this helper (it asks: ${list || 'no helper, and prompts'})`;
}

/**
 * After setup's lines are in place: git must ask this helper last for the server. A helper read
 * after them (a `credential.helper` later in the same file, added after setup) would come after
 * this one, and a later reset would drop it: then setup's lines move to the end of the file
 * (removed, their section with them, and added again, which git puts in a new section at the end),
 * when the section holds nothing of the user's. What is read after the file (an included file, the
 * repository's config, `-c`) setup cannot move past: it says so, exit 1 when git does not ask
 * this helper at all. The same for the repositories under a path of the server that a section
 * of their own reaches (`[credential "<base>/scm/prj"] helper = store`): their lines move, or
 * `under` names each such path (a warning: the server's own chain decides the exit code).
 */
export async function ensureLast(
  a: Apply,
  block: Block | undefined,
): Promise<{ after: string[]; under: Chain[]; why: string }> {
  const state = () => {
    const { server, under } = chainsFromHere(a.baseUrl, a.io);
    return { ...server, after: server.used ? server.after : [], under: under.filter((c) => c.after.length > 0) };
  };
  let now = state();
  if (!block || (now.used && now.after.length === 0 && now.under.length === 0))
    return { after: [], under: [], why: '' };
  const laterHere = await laterInFile(a, block);
  let why = `they are read after ${a.file} (another scope or an included file), which setup does not change; git config --show-origin --get-regexp '^credential\\.' shows where`;
  if (laterHere.length > 0 && !(await movable(a, block))) {
    why = `they are set later in ${a.file}, after the section [credential "${a.baseUrl}"], which also holds settings of yours, so setup cannot move its lines after them: move those lines before the section, or remove them`;
  } else if (laterHere.length > 0) {
    const values = await getAll(a.t, a.key);
    const mine = [block.reset, block.cache, block.anchor].filter((i) => i !== undefined);
    await applySteps(
      mine.map((at) => ({ op: 'remove', at, why: 'moved to the end of the file' })),
      { ...a, values },
    );
    await removeSectionIfEmpty(a.t, `credential.${a.baseUrl}`);
    const added = mine.map((at) => ({ op: 'add', value: values[at]!, why: 'moved' }) as const);
    await applySteps(added, { ...a, values: [] });
    // what the server's chain said, else the first path under it whose chain asked a helper after this one
    const scoped = now.used && now.after.length === 0 ? now.under[0] : undefined;
    const asked = scoped ?? now;
    const where = scoped ? ` for repositories under ${scoped.url}` : '';
    a.changes.push(
      `  (moved to the end of ${a.file}: ${laterHere.map((v) => `'${shown(v)}'`).join(', ')} came after them, so git ${asked.used ? `asked ${asked.after.join(', ')} after this helper` : 'did not ask this helper'}${where})`,
    );
    now = state();
  }
  if (!now.used)
    throw new CommandError(
      `git does not ask this helper for ${a.baseUrl} (it asks: ${now.helpers.join(', ') || 'no helper, and prompts'}): ${why}`,
    );
  return { after: now.after, under: now.under, why };
}

/** Values of `credential.helper` for the server in the file after setup's lines (resets included). */
async function laterInFile(a: Apply, block: Block): Promise<string[]> {
  const entries = parseConfigListing(await listMatching(a.t, '^credential\\.'));
  const isKey = (e: ConfigEntry) => e.name === 'helper' && e.url === a.baseUrl;
  const ours = entries.filter(isKey);
  const anchorAt = entries.indexOf(ours[block.anchor]!);
  if (anchorAt < 0) return [];
  const after = entries.slice(anchorAt + 1);
  // for the server, and for each path under it a later section applies to
  const urls = [`${a.baseUrl}/`, ...scopesUnder(after, 'credential', a.baseUrl)];
  const later = urls.flatMap((url) => valuesFor(after, 'credential', url, 'all').get('credential.helper') ?? []);
  return [...new Set(later.map((v) => v ?? ''))];
}

/** setup's lines can move when their section holds nothing else: no other value or key of the user's. */
async function movable(a: Apply, block: Block): Promise<boolean> {
  const values = await getAll(a.t, a.key);
  const mine = [block.reset, block.cache, block.anchor].filter((i) => i !== undefined).length;
  const keys = await keysWithPrefix(a.t, `credential.${a.baseUrl}.`);
  return values.length === mine && keys.every((k) => k.toLowerCase() === a.key.toLowerCase());
}
