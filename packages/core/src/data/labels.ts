/**
 * Label identity, one rule for every data file: a label that reads as a decimal number (an
 * optional sign, digits, an optional fraction: `1`, `01`, `1.0`, `-2.50`, or a JSON number) is
 * that number and is written in its shortest form (`1`, `-2.5`), so `"01"`, `"1.0"`, `1` and `1.0`
 * are one class; any other label is its text with surrounding white space trimmed, compared
 * exactly (`Yes` and `yes` are two classes).
 */
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

export function canonicalLabel(raw: string | number): string {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (!DECIMAL.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? String(Object.is(n, -0) ? 0 : n) : text;
}

/** Whether a canonical label is a number (then labels sort numerically). */
export function isNumericLabel(label: string): boolean {
  return DECIMAL.test(label);
}
