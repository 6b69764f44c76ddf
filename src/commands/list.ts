/** `list`: hosts and accounts, offline (no network, no secrets read). */
import type { CommandModule } from 'yargs';
import { byHost, expiryOf, listAccounts, storesFor } from './shared/accounts.js';
import { describeExpiry, refusalLines, refusalsFor } from './shared/describe.js';
import { readSettings } from '../store/settings.js';
import { EXIT } from './shared/errors.js';
import { paint, type CommandContext, type CommandIO } from './shared/io.js';
import { visible } from '../visible.js';

export async function listRun(opts: { json: boolean }, io: CommandIO): Promise<number> {
  const { dir, stores } = storesFor(io);
  const accounts = await listAccounts(stores);
  const refused = refusalsFor(readSettings(dir).refused);
  if (opts.json) {
    io.stdout(
      `${JSON.stringify(
        {
          version: 1,
          accounts: accounts.map((a) => ({
            protocol: a.protocol,
            host: a.host,
            path: a.path ?? null,
            baseUrl: a.meta?.baseUrl ?? null,
            username: a.username ?? null,
            default: Boolean(a.isDefault),
            kind: a.meta?.kind ?? null,
            backend: a.store.kind,
            expiresAt: expiryOf(a) === undefined ? null : new Date(expiryOf(a)!).toISOString(),
          })),
          refused: refused.map((r) => ({
            protocol: r.protocol,
            host: r.host,
            baseUrl: r.baseUrl ?? null,
            username: r.username ?? null,
            refusedAt: new Date(r.at).toISOString(),
          })),
        },
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  for (const line of refusalLines(refused)) io.stdout(`${visible(line)}\n`);
  if (accounts.length === 0 && refused.length === 0) {
    io.stderr('No tokens stored. Add one with: git credential-bitbucket login <URL>\n');
    return EXIT.ok;
  }
  const p = paint(io.stdoutIsTTY, io.env);
  for (const [host, list] of byHost(accounts)) {
    io.stdout(`${p.bold(visible(list[0]?.meta?.baseUrl ?? host))}\n`);
    for (const a of list) {
      const bits = [
        a.meta?.kind ?? 'stored by git',
        a.store.kind === 'keyring' ? 'keyring' : 'file',
        `expires: ${describeExpiry(expiryOf(a), io.now())}`,
      ];
      io.stdout(
        `  ${visible(a.username ?? '(no username)')}${a.path ? ` /${visible(a.path)}` : ''}${a.isDefault ? p.green(' (default)') : ''}  ${p.dim(bits.join(', '))}\n`,
      );
    }
  }
  return EXIT.ok;
}

export const listCommand = (ctx: CommandContext): CommandModule<object, { json: boolean }> => ({
  command: 'list',
  describe: 'list stored hosts and accounts (offline)',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }) as never,
  handler: async (argv) => {
    ctx.exitCode = await listRun(argv, ctx.io);
  },
});
