/**
 * Hostile stdin against the real binary (get/store/erase and unknown operations), ~60 processes.
 * Every run must end cleanly (exit 0, or one `git-credential-bitbucket: ...` line), print only
 * answer lines, never print a token except the one stored for the request's own host, and leave
 * the entry stored for another host byte-identical.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCredential } from '../../src/credential/protocol.js';
import { describe as desc, makeSandbox, runBin, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { bounded, bytesOf, credentialsFile, expectWellBehaved } from './util.js';

const TOKENS: Record<string, string> = {
  'a.example': 'BBDC-aaaaTOKENaaaa0123456789+/aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'victim.example': 'BBDC-vvvvVICTIMvvvv0123456789+/vvvvvvvvvvvvvvvvvvvvvvvvvvv',
};
const MiB = 1024 * 1024;

let getSb: Sandbox;
let writeSb: Sandbox;

async function seed(sb: Sandbox): Promise<void> {
  for (const [host, password] of Object.entries(TOKENS)) {
    const r = await runBin(
      sb,
      ['store'],
      desc({ protocol: 'https', host, username: host === 'a.example' ? 'alice' : 'vic', password }),
    );
    expect(r.exitCode, r.stderr).toBe(0);
  }
}

beforeAll(async () => {
  getSb = makeSandbox();
  writeSb = makeSandbox();
  await Promise.all([seed(getSb), seed(writeSb)]);
});
afterAll(() => {
  getSb?.cleanup();
  writeSb?.cleanup();
});

/** The token the request may legitimately get back: the one stored for its parsed host. */
function allowedToken(input: string | Buffer): string | undefined {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const p = parseCredential(text.split('\n\n')[0] ?? '');
  if (!p.ok || p.request.protocol !== 'https' || p.request.path || p.request.username === 'nobody') return undefined;
  return TOKENS[p.request.host ?? ''];
}

function checkSecrets(r: RunResult, op: string, input: string | Buffer): void {
  const allowed = op === 'get' ? allowedToken(input) : undefined;
  for (const token of Object.values(TOKENS)) {
    expect(r.stderr, `${op}: token in stderr`).not.toContain(token);
    if (token === allowed) {
      const lines = r.stdout.split('\n').filter((l) => l.includes(token));
      for (const l of lines) expect(l).toBe(`password=${token}`);
    } else {
      expect(
        r.stdout,
        `${op}: token of another host printed for ${JSON.stringify(String(input).slice(0, 120))}`,
      ).not.toContain(token);
    }
  }
}

async function run(sb: Sandbox, op: string, input: string | Buffer): Promise<RunResult> {
  const r = await runBin(sb, [op], '', { input, stripFinalNewline: false });
  expectWellBehaved(r, `${op} ${JSON.stringify(String(input).slice(0, 160))}`);
  checkSecrets(r, op, input);
  return r;
}

const victimLine = 'host=victim.example';
/** Descriptions that try to reach victim.example's token while asking for a.example. */
const HOSTILE_GET: Array<[string, string | Buffer]> = [
  ['CR in a wwwauth[] value', `protocol=https\nhost=a.example\nwwwauth[]=Basic realm=x\r${victimLine}\n\n`],
  ['CR at the end of a wwwauth[] value', `protocol=https\nhost=a.example\nwwwauth[]=Basic\r\r\n${victimLine}\r\r\n\n`],
  ["CR in an unknown key's value", `protocol=https\nhost=a.example\nx-note=hi\r${victimLine}\n\n`],
  ['CR inside a key', `protocol=https\nhost=a.example\nho\rst=victim.example\n\n`],
  ['CR in the host value', `protocol=https\nhost=a.example\r${victimLine}\n\n`],
  ['NUL in the host value', `protocol=https\nhost=a.example\0\n${victimLine}\n\n`],
  ['NUL in a key', `protocol=https\nhost=a.example\nho\0st=victim.example\n\n`],
  ['url= with encoded CR', `protocol=https\nhost=a.example\nurl=https://victim.example%0d/\n\n`],
  ['url= with encoded LF in user', `url=https://x%0a${victimLine}@a.example/\n\n`],
  ['url= with encoded NUL in path', `url=https://a.example/p%00${victimLine}\n\n`],
  [
    'long wwwauth[] naming the victim',
    `protocol=https\nhost=a.example\nwwwauth[]=Basic realm="${'r'.repeat(65_000)}" ${victimLine}\n\n`,
  ],
  ['repeated host, last wins', `protocol=https\n${victimLine}\nhost=a.example\n\n`],
  ['missing terminator', `protocol=https\nhost=a.example`],
  ['missing terminator after CRLF lines', `protocol=https\r\nhost=a.example\r\n`],
  ['1 MiB line, under the limit', `protocol=https\nhost=a.example\nwwwauth[]=${'w'.repeat(MiB - 100)}\n\n`],
  ['just over 1 MiB', `protocol=https\nhost=a.example\nwwwauth[]=${'w'.repeat(MiB)}\n\n`],
  ['just over 1 MiB, no terminator, no LF', 'a'.repeat(MiB + 10)],
  ['over 1 MiB after the blank line is not read', `protocol=https\nhost=a.example\n\n${'z'.repeat(MiB + 10)}`],
  ['blank line first', `\nprotocol=https\nhost=a.example\n\n`],
  ['empty input', ''],
  ['path traversal', `protocol=https\nhost=a.example\npath=../../victim.example\n\n`],
  ['unknown username', `protocol=https\nhost=a.example\nusername=nobody\n\n`],
  [
    'authtype capability with garbage',
    `capability[]=authtype\ncapability[]=\r\nprotocol=https\nhost=a.example\nauthtype=\0\n\n`,
  ],
  ['expiry garbage', `protocol=https\nhost=a.example\npassword_expiry_utc=-1e999\n\n`],
  [
    'invalid UTF-8',
    Buffer.concat([
      Buffer.from('protocol=https\nhost=a.example\nwwwauth[]='),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
      Buffer.from('\n\n'),
    ]),
  ],
];

describe('get with hostile input', () => {
  it('ends cleanly, injects nothing, leaks nothing, leaves the store byte-identical', async () => {
    const before = bytesOf(credentialsFile(getSb));
    expect(before).not.toBeNull();
    const random = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
        fc
          .array(
            fc.constantFrom(
              'protocol=https\n',
              'host=a.example\n',
              `${victimLine}\n`,
              '\r',
              '\n',
              '\0',
              '=',
              'url=https://',
              '%0d',
              'wwwauth[]=',
              'x',
            ),
            { maxLength: 30 },
          )
          .map((a) => a.join('')),
      ),
      { numRuns: 16, seed: 20240601 },
    );
    const cases: Array<[string, string | Buffer]> = [
      ...HOSTILE_GET,
      ...random.map((r, i): [string, string | Buffer] => [`random ${i}`, r]),
    ];
    const results = await bounded(
      8,
      cases.map(
        ([, input]) =>
          () =>
            run(getSb, 'get', input),
      ),
    );
    expect(bytesOf(credentialsFile(getSb))).toEqual(before);

    const byName = new Map(cases.map(([name], i) => [name, results[i]!]));
    const answered = (name: string) => byName.get(name)!.stdout;
    // The clean parts of these must still work: the answer is a.example's, nothing else.
    for (const name of [
      'long wwwauth[] naming the victim',
      'repeated host, last wins',
      'missing terminator',
      'missing terminator after CRLF lines',
      '1 MiB line, under the limit',
      'CR inside a key',
      "CR in an unknown key's value",
    ]) {
      expect(answered(name), name).toBe(`username=alice\npassword=${TOKENS['a.example']}\n`);
    }
    // The injections themselves are refused with one line on stderr.
    for (const name of [
      'CR in a wwwauth[] value',
      'CR in the host value',
      'NUL in the host value',
      'url= with encoded CR',
      'url= with encoded LF in user',
      'url= with encoded NUL in path',
      'just over 1 MiB',
      'just over 1 MiB, no terminator, no LF',
    ]) {
      const r = byName.get(name)!;
      expect(r.exitCode, name).toBe(1);
      expect(r.stdout, name).toBe('');
      expect(r.stderr, name).toMatch(/^git-credential-bitbucket: get: .*; nothing was returned\n$/);
    }
  });
});

describe('store and erase with hostile input', () => {
  it("never touch another host's entry and never write an unsafe value", async () => {
    const victimBefore = victimEntry();
    const cases: Array<[string, string]> = [
      ['store', `protocol=https\nhost=victim.example\r\r\nusername=vic\npassword=evil\n\n`],
      ['store', `protocol=https\nhost=a.example\nusername=alice\npassword=new\r${victimLine}\n\n`],
      ['store', `protocol=https\nhost=a.example\nusername=alice\npassword=x\0y\n\n`],
      ['store', `url=https://vic:evil@victim.example%0d/\n\n`],
      ['store', `protocol=https\nhost=a.example\nusername=al\rice\npassword=pw\n\n`],
      ['store', `protocol=https\nhost=a.example\nusername=bob\npassword=${'p'.repeat(MiB)}\n\n`],
      ['store', `protocol=https\nhost=a.example\nusername=bob\npassword=pw`],
      ['store', `protocol=https\nhost=\nusername=bob\npassword=pw\n\n`],
      [
        'store',
        `capability[]=authtype\nprotocol=https\nhost=a.example\nauthtype=Bearer\ncredential=c\nephemeral=1\n\n`,
      ],
      ['erase', `protocol=https\nhost=victim.example\rx\n\n`],
      ['erase', `protocol=https\nhost=victim.example\npassword=wrong\n\n`],
      ['erase', `protocol=https\nhost=victim.example\nusername=other\n\n`],
      ['erase', `protocol=https\nhost=victim.example\npath=x\n\n`],
      ['erase', `url=https://victim.example%00/\n\n`],
      ['erase', `protocol=https\n\n`],
      ['erase', `host=victim.example\n\n`],
      ['erase', `protocol=https\nhost=a.example\nusername=carol\nwwwauth[]=${victimLine}\n\n`],
    ];
    await bounded(
      6,
      cases.map(
        ([op, input]) =>
          () =>
            run(writeSb, op, input),
      ),
    );
    expect(victimEntry()).toBe(victimBefore);
    const text = fs.readFileSync(credentialsFile(writeSb), 'utf8');
    const data = JSON.parse(text) as {
      entries: Array<{ host: string; username?: string; secrets?: Record<string, string> }>;
    };
    for (const e of data.entries) expect(JSON.stringify(e)).not.toMatch(/\\[rn]|\\u0000/);
    expect(text).not.toContain('evil');
    // the ephemeral Bearer credential was not kept; bob (terminated by EOF) was
    expect(data.entries.some((e) => e.secrets?.credential === 'c')).toBe(false);
    expect(data.entries.find((e) => e.username === 'bob')?.secrets?.password).toBe('pw');
  });

  function victimEntry(): string {
    const data = JSON.parse(fs.readFileSync(credentialsFile(writeSb), 'utf8')) as { entries: Array<{ host: string }> };
    return JSON.stringify(data.entries.filter((e) => e.host === 'victim.example'));
  }
});

describe('operations the helper does not know', () => {
  it.each(['approve', 'reject', 'capability', 'list-all', 'x'])('%s: exit 0, silent, nothing changed', async (op) => {
    const before = bytesOf(credentialsFile(getSb));
    const r = await runBin(getSb, [op], `protocol=https\nhost=a.example\n${victimLine}\r\n\n`, {
      stripFinalNewline: false,
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(bytesOf(credentialsFile(getSb))).toEqual(before);
  });
});
