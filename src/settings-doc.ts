/**
 * The tables of docs/configuration.md, rendered from src/settings.ts. test/settings.test.ts
 * fails when the file differs; `UPDATE_DOCS=1 npx vitest run test/settings.test.ts` rewrites
 * the part between the markers.
 */
import { CONFIG, ENV, FOREIGN_ENV, type EnvSetting } from './settings.js';

export const DOC_BEGIN = '<!-- begin: generated from src/settings.ts -->';
export const DOC_END = '<!-- end: generated from src/settings.ts -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function envTable(rows: readonly EnvSetting[]): string[] {
  return [
    '| Variable | Meaning |',
    '| --- | --- |',
    ...rows.map((e) => `| \`${e.name}\` | ${cell(e.doc)}${e.internal ? ' (internal)' : ''} |`),
  ];
}

/** The generated part of docs/configuration.md, markers included. */
export function renderSettingsTables(): string {
  return [
    DOC_BEGIN,
    '',
    '### git config keys',
    '',
    'Per URL: also `bitbucket.<url>.<name>`; the most specific URL wins, as for `http.<url>.*` (git-config(1)).',
    '',
    '| Key | Per URL | Values | Default | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...CONFIG.map(
      (c) =>
        `| \`${c.key}\` | ${c.perUrl ? 'yes' : 'no'} | ${
          {
            bool: 'boolean',
            level: '`off`, `note`, `warn`, `block`',
            int: 'whole number',
            choice: '`auto`, `keyring`, `file`',
          }[c.type]
        } | \`${c.default}\` | ${cell(c.doc)} |`,
    ),
    '',
    '### Environment variables of this program',
    '',
    ...envTable(Object.values(ENV)),
    '',
    '### Other environment variables it honours',
    '',
    ...envTable(FOREIGN_ENV),
    '',
    DOC_END,
  ].join('\n');
}
