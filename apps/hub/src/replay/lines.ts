/**
 * NDJSON lines from byte chunks, in linear time and bounded memory.
 *
 * `(rest + chunk).split('\n')` re-copies and re-scans the whole unfinished line on every chunk:
 * a file that is one long line costs O(n²) and holds all of it as one string (a 1 GB line never
 * finishes, or dies at V8's string limit). Here each byte is scanned once (Buffer#indexOf from
 * where the last scan stopped), the unfinished line is kept as the chunks it came in, and a line
 * longer than `maxLineBytes` is refused the moment it gets that long, before it is decoded.
 * Splitting bytes at 0x0A is safe in UTF-8: no multi-byte character contains that byte.
 */
export class LineTooLongError extends Error {
  constructor(
    readonly lineNo: number,
    readonly maxLineBytes: number,
  ) {
    super(`line ${lineNo} is longer than ${maxLineBytes} bytes`);
  }
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private lineNo = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Every line the chunk completes (without its "\n"); keeps the unfinished tail. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) break;
      this.keep(chunk.subarray(from, nl));
      out.push(this.take());
      from = nl + 1;
    }
    if (from < chunk.length) this.keep(chunk.subarray(from));
    return out;
  }

  /** The last line when the input does not end with "\n", or null. */
  end(): string | null {
    return this.partBytes > 0 ? this.take() : null;
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.partBytes += piece.length;
    if (this.partBytes > this.maxLineBytes) throw new LineTooLongError(this.lineNo + 1, this.maxLineBytes);
    this.parts.push(piece);
  }

  private take(): string {
    this.lineNo += 1;
    const text =
      this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    return text;
  }
}
