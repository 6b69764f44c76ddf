import { describe, expect, it } from 'vitest';
import { paint } from '../../src/commands/shared/io.js';

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(paint(true, {}).red('x')).toBe('\x1b[31mx\x1b[0m');
    expect(paint(false, {}).red('x')).toBe('x');
    expect(paint(true, { NO_COLOR: '1' }).red('x')).toBe('x');
    expect(paint(true, { TERM: 'dumb' }).bold('x')).toBe('x');
  });
});
