import { ErrorCode } from '../common/errors';

/**
 * Serialization stays native below this depth; above it the answer is written piece by piece,
 * so an oversized answer is abandoned after about `maxBytes`, not after one giant string.
 */
const PIECEWISE_DEPTH = 4;

class Pieces {
  readonly parts: string[] = [];
  private chars = 0;
  /** Exact UTF-8 bytes, counted only once the text could be near the limit (a char is at most 3 bytes). */
  private bytes: number | null = null;

  constructor(private readonly maxBytes: number) {}

  add(text: string): boolean {
    this.chars += text.length;
    if (this.bytes !== null) this.bytes += Buffer.byteLength(text);
    else if (this.chars * 3 > this.maxBytes) this.bytes = this.parts.reduce((sum, part) => sum + Buffer.byteLength(part), Buffer.byteLength(text));
    if (this.bytes !== null && this.bytes > this.maxBytes) return false;
    this.parts.push(text);
    return true;
  }
}

const omitted = (value: unknown) => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function write(value: unknown, depth: number, out: Pieces): boolean {
  if (depth >= PIECEWISE_DEPTH || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return out.add(JSON.stringify(value) ?? 'null');
  }
  if (Array.isArray(value)) {
    if (!out.add('[')) return false;
    for (let i = 0; i < value.length; i++) {
      if (i > 0 && !out.add(',')) return false;
      if (!(omitted(value[i]) ? out.add('null') : write(value[i], depth + 1, out))) return false;
    }
    return out.add(']');
  }
  let separator = '{';
  for (const [key, item] of Object.entries(value)) {
    if (omitted(item)) continue;
    if (!out.add(`${separator}${JSON.stringify(key)}:`) || !write(item, depth + 1, out)) return false;
    separator = ',';
  }
  return out.add(separator === '{' ? '{}' : '}');
}

/** JSON.stringify's output, or null as soon as it would exceed `maxBytes` (UTF-8). */
export function stringifyWithin(value: unknown, maxBytes: number): string | null {
  const out = new Pieces(maxBytes);
  return write(value, 0, out) ? out.parts.join('') : null;
}

/** What the client gets instead of an answer over the ceiling: `data` null, so any status is 200-valid. */
export function responseTooLarge(maxBytes: number): string {
  return JSON.stringify({
    errors: [
      {
        message: `The answer is larger than ${maxBytes} bytes, the most this gateway sends; ask for fewer fields or fewer objects.`,
        extensions: { code: ErrorCode.RESPONSE_TOO_LARGE, limit: maxBytes },
      },
    ],
    data: null,
  });
}
