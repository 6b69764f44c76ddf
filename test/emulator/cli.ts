// CLI entry: `node dist/emulator.js --data FIXTURE.json [...]`. Prints one JSON line
// `{"baseUrl","pid"[,"caFile"]}` on stdout once ready; stops cleanly on SIGTERM/SIGINT.
// The only place that calls process.exit: 2 for bad arguments or fixtures.
import { readFile } from 'node:fs/promises';
import { parseCli } from './args.js';
import { startEmulator, type Emulator } from './index.js';

function fail(message: string): never {
  process.stderr.write(`emulator: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2));
  if (!parsed.ok) fail(parsed.error);
  const o = parsed.options;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(o.data, 'utf8'));
  } catch (err) {
    fail(`cannot read fixture ${o.data}: ${(err as Error).message}`);
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      data: data as never,
      port: o.port,
      context: o.context,
      https: o.https,
      reposDir: o.reposDir,
      switches: o.switches,
      faults: o.faults,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const ready: Record<string, unknown> = { baseUrl: emulator.baseUrl, pid: process.pid };
  if (emulator.caFile) ready.caFile = emulator.caFile;
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => fail((err as Error).message));
