/** What `doctor` reports: one finding per check, and how findings print for a person. */
import { paint, type CommandIO } from './shared/io.js';
import { visible } from '../visible.js';

export type Level = 'ok' | 'info' | 'warn' | 'error';
export interface Finding {
  id: string;
  level: Level;
  title: string;
  detail?: string;
  fix?: string;
  /** Token findings: the classifier's answer (docs/classifier.md). */
  kind?: 'personal' | 'project' | 'unknown';
  decidedBy?: string;
}

export function printFindings(findings: Finding[], io: CommandIO): void {
  const p = paint(io.stdoutIsTTY, io.env);
  const mark = { ok: p.green('✓'), info: p.dim('i'), warn: p.yellow('!'), error: p.red('✗') };
  for (const f of findings) {
    // titles and details quote the server (version, names, its error messages) and git's config
    io.stdout(`${mark[f.level]} ${visible(f.title)}\n`);
    if (f.detail) io.stdout(`    ${p.dim(visible(f.detail))}\n`);
    if (f.fix && f.level !== 'ok') io.stdout(`    fix: ${visible(f.fix)}\n`);
  }
}
