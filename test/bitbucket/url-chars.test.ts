/**
 * The URL tests the guard runs on every push, written out instead of as RegExps: each against the
 * RegExp (or replace chain) it stands for, on generated strings over the characters that matter.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { hostAndPort, isProjectKey } from '../../src/bitbucket/url.js';
import { isLoopbackHost } from '../../src/credential/transport.js';
import { userInfo, withoutPassword } from '../../src/git/config.js';
import { hasControl, hasControlOrSpace, indexOfAny, isWordChar, schemePrefixLength } from '../../src/prepush/chars.js';

import { agree, stringsOver as from } from '../helpers/generated.js';

describe('written-out URL tests agree with their RegExps', () => {
  it('hostAndPort', () => {
    const re = /^(\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]|[A-Za-z0-9_~.-]+)(?::(\d{1,5}))?$/;
    agree(
      fc.oneof(from('[]:%.-_~aZfF09x @/'), from('[]:%1a', 12), from('a.b:0123456789', 12)),
      (s) => hostAndPort(s),
      (s) => {
        const m = re.exec(s);
        return m ? { name: m[1], ...(m[2] !== undefined ? { port: m[2] } : {}) } : null;
      },
    );
  });

  it('isProjectKey', () => {
    agree(from('~aZ09_.@-/ é'), isProjectKey, (s) => /^~?[A-Za-z0-9_][A-Za-z0-9_.@-]*$/.test(s));
  });

  it('isLoopbackHost', () => {
    const old = (host: string) => {
      const name = host
        .replace(/^\[(.*)\](:\d+)?$/, '$1')
        .replace(/^([^:]*):\d+$/, '$1')
        .toLowerCase();
      return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
    };
    agree(
      fc.oneof(
        from('[]:127.0019', 20),
        from('[]:1.:', 10),
        fc.constantFrom(
          'localhost',
          'LOCALHOST:80',
          '[::1]',
          '[::1]:8080',
          '127.0.0.1',
          '[127.0.0.1]:5',
          '[a]b]',
          '[\n]',
        ),
        from('127.0:[]\u2028\n', 14),
      ),
      isLoopbackHost,
      old,
    );
  });

  it('withoutPassword and userInfo', () => {
    const urls = fc.oneof(from('htps:/@?#a:b', 24), from('hT+.-p:/@x:y?', 20));
    agree(urls, withoutPassword, (url) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:]*):[\s\S]*@/i, '$1@'));
    agree(
      urls,
      (u) => userInfo(u)?.text,
      (u) => /^[a-z][a-z0-9+.-]*:\/\/([^/@?#]*)@/i.exec(u)?.[1],
    );
  });

  it('schemePrefixLength', () => {
    agree(
      from('hHtps+.-9:/x', 12),
      schemePrefixLength,
      (s) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(s)?.[0].length ?? 0,
    );
  });

  it('hasControl, hasControlOrSpace, indexOfAny, isWordChar', () => {
    const any = fc.string({ unit: 'binary', maxLength: 12 });
    agree(any, hasControl, (s) => /[\u0000-\u001f\u007f]/.test(s));
    agree(any, hasControlOrSpace, (s) => /[\u0000-\u001f\u007f\s]/.test(s));
    const spaces = from(' \t\n\v\f\r\u00a0\u1680\u2000\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\u0085x', 3);
    agree(spaces, hasControlOrSpace, (s) => /[\u0000-\u001f\u007f\s]/.test(s));
    agree(
      from('ab/?#c', 10),
      (s) => indexOfAny(s, '/?#'),
      (s) => s.search(/[/?#]/),
    );
    agree(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), isWordChar, (s) => /^[A-Za-z0-9_]$/.test(s));
  });
});
