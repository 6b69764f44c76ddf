/**
 * After setup wrote its lines: the helper chain git builds for the server from every scope and
 * include, and setup's lines moved to the end of their file when a helper read after them would
 * otherwise come after this one.
 */
import { getAll, keysWithPrefix, listMatching, removeSectionIfEmpty } from '../git/credential-config.js';
import { configListing } from '../git/repo.js';
import { parseConfigListing, valuesFor, type ConfigEntry } from '../prepush/urlmatch.js';
import { isOurHelper, resolveRemoteConfig } from '../prepush/remote-config.js';
import type { Block } from './setup-plan.js';
import { applySteps, shown, type Apply } from './setup-apply.js';
import { CommandError } from './shared/errors.js';
import type { CommandIO } from './shared/io.js';

/** The helpers git runs for `baseUrl` from here, every scope and include read as git reads them. */
function helperChain(baseUrl: string, io: CommandIO): string[] {
  const entries = parseConfigListing(configListing('^credential\\.', { env: io.env }));
  return resolveRemoteConfig(entries, `${baseUrl}/`).helpers;
}

/**
 * After setup's lines are in place: git must ask this helper last for the server. A helper read
 * after them (a `credential.helper` later in the same file, added after setup) would come after
 * this one, and a later reset would drop it: then setup's lines move to the end of the file
 * (removed, their section with them, and added again, which git puts in a new section at the end),
 * when the section holds nothing of the user's. What is read after the file (an included file, the
 * repository's config, `-c`) setup cannot move past: it says so, exit 1 when git does not ask
 * this helper at all.
 */
export async function ensureLast(a: Apply, block: Block | undefined): Promise<{ after: string[]; why: string }> {
  const state = () => {
    const helpers = helperChain(a.baseUrl, a.io);
    const last = helpers.findLastIndex(isOurHelper);
    return { helpers, used: last >= 0, after: last < 0 ? [] : helpers.slice(last + 1) };
  };
  let now = state();
  if (!block || (now.used && now.after.length === 0)) return { after: [], why: '' };
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
    a.changes.push(
      `  (moved to the end of ${a.file}: ${laterHere.map((v) => `'${shown(v)}'`).join(', ')} came after them, so git ${now.used ? `asked ${now.after.join(', ')} after this helper` : 'did not ask this helper'})`,
    );
    now = state();
  }
  if (!now.used)
    throw new CommandError(
      `git does not ask this helper for ${a.baseUrl} (it asks: ${now.helpers.join(', ') || 'no helper, and prompts'}): ${why}`,
    );
  return { after: now.after, why };
}

/** Values of `credential.helper` for the server in the file after setup's lines (resets included). */
async function laterInFile(a: Apply, block: Block): Promise<string[]> {
  const entries = parseConfigListing(await listMatching(a.t, '^credential\\.'));
  const isKey = (e: ConfigEntry) => e.name === 'helper' && e.url === a.baseUrl;
  const ours = entries.filter(isKey);
  const anchorAt = entries.indexOf(ours[block.anchor]!);
  if (anchorAt < 0) return [];
  const later = valuesFor(entries.slice(anchorAt + 1), 'credential', `${a.baseUrl}/`, 'all');
  return (later.get('credential.helper') ?? []).map((v) => v ?? '');
}

/** setup's lines can move when their section holds nothing else: no other value or key of the user's. */
async function movable(a: Apply, block: Block): Promise<boolean> {
  const values = await getAll(a.t, a.key);
  const mine = [block.reset, block.cache, block.anchor].filter((i) => i !== undefined).length;
  const keys = await keysWithPrefix(a.t, `credential.${a.baseUrl}.`);
  return values.length === mine && keys.every((k) => k.toLowerCase() === a.key.toLowerCase());
}
