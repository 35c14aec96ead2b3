// Request bodies for every REST route and the tRPC endpoint: read as a stream with a byte limit (a 30 MB body is cut
// off at the limit, never read whole first), JSON parsed only after a depth check on the text, and the result
// walked by the input rules (NUL, lone surrogates, depth) before anything uses it. Refusals carry the field.
import { findUnsafeValue, jsonNestsDeeperThan, MAX_INPUT_DEPTH, stringProblem } from "./input-rules";

export class BodyRefusal extends Error {
  constructor(
    public readonly status: 400 | 413 | 415,
    message: string,
    public readonly field: string,
    /** Short machine reason ("body_too_large", "invalid_json", …). */
    public readonly reason: string,
  ) {
    super(message);
    this.name = "BodyRefusal";
  }
}

const tooLarge = (limit: number) => new BodyRefusal(413, `The body is larger than ${limit} bytes`, "(body)", "body_too_large");

/** Reads at most `limit` bytes; a longer body (declared or actual) is refused with 413 without reading the rest. */
export async function readBoundedBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    await req.body?.cancel().catch(() => undefined);
    throw tooLarge(limit);
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  // A body that ends before its declared length was cut off on the way (a proxy's buffer limit): never half a file.
  if (Number.isFinite(declared) && size < declared)
    throw new BodyRefusal(400, "The body is shorter than its Content-Length (cut off on the way)", "(body)", "body_truncated");
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** The body as text (UTF-8), refused when it holds NUL characters (Postgres cannot store them). */
export function bodyText(raw: Uint8Array): string {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
  const problem = stringProblem(text);
  if (problem) throw new BodyRefusal(400, `The body ${problem}`, "(body)", "invalid_text");
  return text;
}

/**
 * Parses a JSON body: empty, malformed, nested deeper than `maxDepth`, or holding a string/key Postgres cannot
 * store → 400 naming the field. Returns the parsed value.
 */
export function parseJsonBody(raw: Uint8Array, maxDepth = MAX_INPUT_DEPTH): unknown {
  return parseJsonBodyText(raw, maxDepth).value;
}

/** parseJsonBody, also returning the text it parsed (stored as sent by the webhook intake). */
export function parseJsonBodyText(raw: Uint8Array, maxDepth = MAX_INPUT_DEPTH): { value: unknown; text: string } {
  if (raw.byteLength === 0) throw new BodyRefusal(400, "The body is empty; send JSON", "(body)", "empty_body");
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
  if (jsonNestsDeeperThan(text, maxDepth)) throw new BodyRefusal(400, `The JSON is nested deeper than ${maxDepth} levels`, "(body)", "too_deep");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyRefusal(400, `The body is not valid JSON: ${(err as Error).message.slice(0, 200)}`, "(body)", "invalid_json");
  }
  const unsafe = findUnsafeValue(value, maxDepth);
  if (unsafe) throw new BodyRefusal(400, `${unsafe.field} ${unsafe.problem}`, unsafe.field, "invalid_value");
  return { value, text };
}
