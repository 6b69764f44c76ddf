/**
 * doctor's findings on the pre-push guard: how many times a push runs it (hook file, config-based
 * hooks), config-based hooks whose command names a file git cannot run, the hook file in the
 * repository, and hooks directories the guard's file does not go into (husky's, the work tree's).
 */
import fs from 'node:fs';
import path from 'node:path';
import { configHookTarget } from '../git/config-hook-command.js';
import { describeGuardRuns, guardRuns, type GuardRuns } from '../git/config-hooks.js';
import { guardTakesInput, hooksDirRefusal, runsGuardLine, type Refusal } from '../git/hook-refusal.js';
import { CHAINED_NAME, CONFIG_HOOK_NAME, hooksDir, isOurHook, readTemplate, renderHook } from '../git/hooks.js';
import type { GitRun } from '../git/repo.js';
import type { Finding } from './doctor-findings.js';
import type { CommandIO } from './shared/io.js';

export function hookFindings(io: CommandIO): Finding[] {
  const run = { env: io.env };
  const g = guardRuns(run);
  const commands = configHookFindings(g, run);
  if (commands.some((f) => f.level === 'error')) return commands;
  return [...guardFindings(g, run), ...commands];
}

/**
 * The guard's enabled config-based hooks whose command names a file git cannot run (a ~/.gitconfig
 * copied to another machine, a wiped data directory): with the command of older versions every
 * push fails; with the command written now (configHookCommand) no push is checked. A command of an older
 * version that still works is worth renewing.
 */
function configHookFindings(g: GuardRuns, run: GitRun): Finding[] {
  const out: Finding[] = [];
  for (const h of g.configHooks) {
    if (h.state !== 'enabled') continue;
    const t = configHookTarget(h.name, run);
    if (t.file === undefined) continue;
    const reinstall =
      h.scope === 'global' || h.scope === 'local'
        ? `git credential-bitbucket hook install ${h.scope === 'global' ? '--global' : '--config'}`
        : `git config --${h.scope ?? 'global'} --remove-section hook.${h.name}`;
    const hook = `config-based hook hook.${h.name}${h.scope ? ` (${h.scope})` : ''}`;
    if (!t.runnable)
      out.push({
        id: 'hook',
        level: 'error',
        title: `${hook} runs ${t.file}, which is missing or not executable: ${t.form === 'plain' ? 'git fails every push it runs for' : 'no push is checked'}`,
        fix: reinstall,
      });
    else if (t.form === 'plain' && h.name === CONFIG_HOOK_NAME)
      out.push({
        id: 'hook-outdated',
        level: 'info',
        title: `${hook} was written by an older version: git would fail every push if ${t.file} went missing`,
        fix: reinstall,
      });
  }
  return out;
}

function guardFindings(g: GuardRuns, run: GitRun): Finding[] {
  const where = describeGuardRuns(g);
  if (g.runs > 1)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard runs ${g.runs} times per push here: ${where}`,
        fix: g.fileHook
          ? 'git credential-bitbucket hook install --global (or --config, as it was installed) once more: its refreshed script makes hook files step aside; or hook uninstall here (removes the hook file)'
          : 'remove all but one of these config-based hooks (git config --unset-all hook.<name>.command)',
      },
    ];
  if (g.runs === 1 && g.configHooks.some((h) => h.state === 'enabled'))
    return [{ id: 'hook', level: 'ok', title: `the pre-push guard runs here as ${where}` }];
  if (g.runs === 0 && g.configHooks.length > 0) {
    const h = g.configHooks[0]!;
    const byEvent = h.state === 'event-disabled';
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard does not run here: ${describeGuardRuns(g, 'all')} is configured, but ${byEvent ? 'hook.pre-push.enabled=false turns off every config-based pre-push hook' : `hook.${h.name}.enabled=false turns it off`}`,
        fix: byEvent ? 'git config --unset hook.pre-push.enabled' : `git config --unset hook.${h.name}.enabled`,
      },
    ];
  }
  const dir = hooksDir(run);
  if (!dir) return [{ id: 'hook', level: 'info', title: 'not in a git repository: pre-push guard not checked' }];
  const refusal = hooksDirRefusal(dir, run);
  if (refusal) return refusedDirFindings(refusal, run);
  const file = path.join(dir, 'pre-push');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (text === undefined)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: 'the pre-push guard is not installed in this repository',
        fix: 'git credential-bitbucket hook install',
      },
    ];
  if (!isOurHook(text))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${file} is another tool's pre-push hook; the guard is not installed`,
        fix: 'git credential-bitbucket hook install (it chains the existing hook)',
      },
    ];
  if (!g.fileHook)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${file} is the guard but git does not run it (not executable)`,
        fix: `chmod +x ${file}`,
      },
    ];
  const chained = fs.existsSync(path.join(dir, CHAINED_NAME));
  const out: Finding[] = [
    {
      id: 'hook',
      level: 'ok',
      title: `the pre-push guard is installed in ${dir}${chained ? ` (and runs the previous hook, ${CHAINED_NAME})` : ''}`,
    },
  ];
  // the same script apart from the program paths hook install fills in
  const unfilled = { node: '', bin: '' };
  if (renderHook(text, unfilled) !== renderHook(readTemplate(), unfilled)) {
    out.push({
      id: 'hook-outdated',
      level: 'info',
      title: 'the installed hook script is from another version of this tool (it works, but may be slower)',
      fix: 'git credential-bitbucket hook install',
    });
  }
  return out;
}

/**
 * A hooks directory the guard's file does not go into (husky's, the work tree's, a tracked one):
 * whether the user's own hook runs the guard, and what an older version left there.
 */
function refusedDirFindings(r: Refusal, run: GitRun): Finding[] {
  const file = path.join(r.dir, 'pre-push');
  const chained = path.join(r.dir, CHAINED_NAME);
  const text = readText(file);
  const where = { husky: "husky's hook directory", 'work-tree': 'the work tree', tracked: 'a directory git tracks' }[
    r.kind
  ];
  const instead = r.userHook
    ? `add the lines git credential-bitbucket hook install prints to ${r.userHook}`
    : 'use husky 9 or newer, and add the lines hook install prints to .husky/pre-push';
  if (text !== undefined && isOurHook(text))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the guard's file ${file}, put there by an older version, is in ${where}: ${r.kind === 'husky' ? `husky runs a hook by its file name, so the pre-push hook it chained (${CHAINED_NAME}) does not run, and husky's next install removes the guard` : "committed, it would give everyone this machine's paths"}`,
        fix: `git credential-bitbucket hook uninstall, then ${instead}`,
      },
    ];
  const out: Finding[] = [];
  if (fs.existsSync(chained))
    out.push({
      id: 'hook-leftover',
      level: 'warn',
      title: `${chained} is left over from an older install: nothing runs it`,
      fix: `compare it with ${file}, then rm '${chained}'`,
    });
  const own = r.userHook ? readText(r.userHook) : undefined;
  if (!r.userHook || own === undefined || !runsGuardLine(own))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard is not installed here: the hooks directory is ${where}, so it runs only from your own hook`,
        fix: `${instead}; or with git 2.54+: git credential-bitbucket hook install --global`,
      },
      ...out,
    ];
  if (!onPath('git-credential-bitbucket', run.env ?? process.env))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${r.userHook} runs the guard by name, but git-credential-bitbucket is not on PATH here: the check is skipped`,
        fix: 'put the directory of git-credential-bitbucket on PATH; or with git 2.54+: git credential-bitbucket hook install --global',
      },
      ...out,
    ];
  if (guardTakesInput(own))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${r.userHook} runs the guard with the line of an older version, which takes git's ref list: what follows it there sees no ref, so a check of the refs in it passes every push`,
        fix: 'replace that line with the lines git credential-bitbucket hook install prints',
      },
      ...out,
    ];
  return [{ id: 'hook', level: 'ok', title: `the pre-push guard runs from your own hook, ${r.userHook}` }, ...out];
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** An executable `name` in one of PATH's directories, as `command -v` finds it. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d || '.', name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
