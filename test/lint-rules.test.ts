// The eslint rule that keeps process-starting code inside src/git/ (docs/architecture.md).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const PROBE = [
  "import { spawnSync } from 'node:child_process';",
  "import { execFile } from 'child_process';",
  "import { execa } from 'execa';",
  "import { simpleGit } from 'simple-git';",
  "export const a = process.getBuiltinModule('node:child_process');",
  "export const b = import('execa');",
  'export const c = [spawnSync, execFile, execa, simpleGit];',
  '',
].join('\n');

async function errorsFor(filePath: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(PROBE, { filePath });
  return result!.messages.map((m) => `${m.line}:${m.ruleId}`);
}

describe('only src/git/ starts processes', () => {
  it('refuses every way of reaching child_process, execa or simple-git elsewhere in src/', async () => {
    expect(await errorsFor('src/prepush/probe.ts')).toEqual([
      '1:no-restricted-imports',
      '2:no-restricted-imports',
      '3:no-restricted-imports',
      '4:no-restricted-imports',
      '5:no-restricted-syntax',
      '6:no-restricted-syntax',
    ]);
  });
  it('allows them in src/git/', async () => {
    expect(await errorsFor('src/git/probe.ts')).toEqual([]);
  });
});
