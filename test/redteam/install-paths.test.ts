// Issue 14 item 9: the installed hook names the program by its absolute path. Installed from a
// directory whose name holds `$&`, `$'`, `` $` ``, quotes, spaces, backslashes or non-ASCII, the
// hook must still run exactly that program (a broken hook silently skipped the guard).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readTemplate, renderHook } from '../../src/git/hooks.js';
import { makeSandbox } from '../helpers/sandbox.js';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

const NAMES = [
  'in$`st',
  "in$'st",
  'in$&st',
  'in$1$$st',
  "it's here",
  'say "hi"',
  'back\\slash',
  'spaces  and\ttab',
  'ünïcødé-日本',
  '$(touch pwned)',
];

describe.each(NAMES)('installed from %j', (name) => {
  it('the hook runs exactly the program it was installed from', async () => {
    const dir = path.join(sb.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    // a stand-in program and a link to node, both under the hostile name
    const bin = path.join(dir, 'gcb.js');
    const record = path.join(sb.dir, `ran-${NAMES.indexOf(name)}.json`);
    fs.writeFileSync(
      bin,
      `require('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    const node = path.join(dir, 'node');
    fs.symlinkSync(process.execPath, node);
    const hook = path.join(dir, 'pre-push');
    fs.writeFileSync(hook, renderHook(readTemplate(), { node, bin }), { mode: 0o755 });
    const r = await execa('sh', [hook, 'origin', 'ssh://git@127.0.0.1/prj/app.git'], {
      input: '',
      reject: false,
      cwd: sb.dir,
      env: sb.env,
      extendEnv: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toEqual([
      'hook',
      'pre-push',
      'origin',
      'ssh://git@127.0.0.1/prj/app.git',
    ]);
    expect(fs.existsSync(path.join(sb.dir, 'pwned'))).toBe(false);
  });
});
