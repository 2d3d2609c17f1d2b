/**
 * JSON laid out the way prettier lays it out (printWidth 120), so that the committed report passes
 * `prettier --check`: objects one key per line, arrays of plain values on one line when they fit.
 *
 * @module
 */
const PRINT_WIDTH = 120;

export function formatJson(value: unknown): string {
  return `${render(value, '', 0)}\n`;
}

function render(value: unknown, indent: string, column: number): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inline = `[${value.map((item) => JSON.stringify(item) ?? 'null').join(', ')}]`;
    if (value.every((item) => item === null || typeof item !== 'object') && column + inline.length < PRINT_WIDTH) {
      return inline;
    }
    return `[\n${value.map((item) => inner + render(item, inner, inner.length)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([key, item]) => {
      const prefix = `${inner}${JSON.stringify(key)}: `;
      return prefix + render(item, inner, prefix.length);
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
