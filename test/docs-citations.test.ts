/** Code comments cite the project's own account of server behaviour, docs/bitbucket-server.md, which exists. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/sandbox.js';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === 'fixtures' ? [] : sources(p);
    return /\.(ts|mjs|js|sh)$/.test(d.name) ? [p] : [];
  });
}

describe('docs citations', () => {
  const files = ['src', 'test', 'scripts', 'bench', 'hooks'].flatMap((d) =>
    fs.existsSync(path.join(ROOT, d)) ? sources(path.join(ROOT, d)) : [],
  );

  it('the server facts are cited as docs/bitbucket-server.md, which exists', () => {
    expect(fs.existsSync(path.join(ROOT, 'docs', 'bitbucket-server.md'))).toBe(true);
    const bare = files.filter(
      (f) => f !== import.meta.filename && /(?<![/\w])bitbucket-server\.md/.test(fs.readFileSync(f, 'utf8')),
    );
    expect(bare.map((f) => path.relative(ROOT, f))).toEqual([]);
    expect(files.filter((f) => fs.readFileSync(f, 'utf8').includes('docs/bitbucket-server.md')).length).toBeGreaterThan(
      20,
    );
  });
});
