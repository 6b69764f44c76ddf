/**
 * `setup --hook` and its undoing: the pre-push guard for every repository as a global
 * config-based hook (git 2.54+), else in the current repository; unsetup removes the global hook
 * with the last setup that installed it.
 */
import { getAll, removeSectionIfEmpty, type ConfigTarget, type Scope } from '../git/credential-config.js';
import { setConfigHook } from '../git/config-hooks.js';
import { CONFIG_HOOK_NAME } from '../git/hooks.js';
import { readSettings } from '../store/settings.js';
import { storesFor } from './shared/accounts.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandIO } from './shared/io.js';

/**
 * `setup --hook`: the pre-push guard for every repository through a config-based hook where git
 * has them (2.54+) and the scope is global, else in the current repository.
 */
export async function installGuard(
  scope: Scope,
  io: CommandIO,
): Promise<{ code: number; hook?: 'installed' | 'found' }> {
  const { hookInstallRun } = await import('./hook.js');
  const { gitVersion } = await import('../git/repo.js');
  const { supportsConfigHooks } = await import('../git/hooks.js');
  const version = gitVersion({ env: io.env });
  if (scope === 'global' && version && supportsConfigHooks(version)) {
    const had = (await getAll({ scope: 'global', env: io.env }, GLOBAL_HOOK_COMMAND)).length > 0;
    const code = await hookInstallRun({ global: true }, io);
    return code === EXIT.ok ? { code, hook: had ? 'found' : 'installed' } : { code };
  }
  const inRepo = (await import('../git/hooks.js')).hooksDir({ env: io.env }) !== undefined;
  if (!inRepo) {
    throw new CommandError(
      `this git (${version?.join('.') ?? 'unknown'}) has no config-based hooks (2.54+), so the guard is installed per repository: run 'git credential-bitbucket hook install' inside each one`,
      EXIT.usage,
    );
  }
  return { code: await hookInstallRun({}, io) };
}

const GLOBAL_HOOK_COMMAND = `hook.${CONFIG_HOOK_NAME}.command`;

/** unsetup: the global config-based hook goes with the last setup that installed it. */
export async function removeGlobalHook(io: CommandIO, recordKey: string, changes: string[]): Promise<void> {
  const setups = readSettings(storesFor(io).dir).setups ?? {};
  if (setups[recordKey]?.hook !== 'installed') return;
  if (Object.entries(setups).some(([k, r]) => k !== recordKey && r.hook === 'installed')) return;
  const g: ConfigTarget = { scope: 'global', env: io.env };
  const command = await getAll(g, GLOBAL_HOOK_COMMAND);
  if (command.length === 0) return;
  const removed = setConfigHook('global', null, { env: io.env });
  if (!removed.ok) throw new CommandError(removed.message);
  await removeSectionIfEmpty(g, `hook.${CONFIG_HOOK_NAME}`);
  changes.push(
    `- hook.${CONFIG_HOOK_NAME} (the pre-push guard setup --hook installed for every repository: ${command.join(', ')})`,
  );
}
