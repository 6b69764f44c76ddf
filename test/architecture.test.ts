// docs/architecture.md names files; they must exist (a renamed file shows up here, not in a
// newcomer's confusion).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/sandbox.js';

describe('docs/architecture.md', () => {
  it('names only files and directories that exist', () => {
    const text = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const named = [
      ...text.matchAll(/`((?:src|test|bin|hooks|scripts|docs)\/[^`\s]*|eslint\.config\.mjs|\.ci\/run)`/g),
    ].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(40);
    const missing = named.filter((p) => !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });
  it('is where the README sends a newcomer', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('docs/architecture.md');
  });
});
