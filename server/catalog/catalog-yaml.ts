// Reading a catalog file: multi-document YAML → plain values, or a 400 naming "yaml" when the file breaks a limit
// (bytes, documents, YAML aliases per document: alias bombs), is not YAML, or holds a value Postgres cannot store
// (NUL, lone surrogates, deep nesting). Documents are composed one at a time (the yaml library's streaming Parser and
// Composer), so a 20 MB file never has its whole syntax tree in memory, and the event loop is let go every few
// documents so a large file does not stall the other requests of the process.
import { Composer, LineCounter, Parser } from "yaml";
import { badRequest } from "../errors";
import { findUnsafeValue, stringProblem } from "../platform/input-rules";

/** Aliases a document may expand (Backstage files use none or a few); more is refused as an alias bomb. */
const MAX_ALIAS_COUNT = 100;
const YIELD_EVERY_DOCUMENTS = 200;

type ImportLimits = { bytes: number; documents: number };

/**
 * The checks that need only the text (size, characters, document markers), so a file far over a limit costs no
 * parsing. `tooMany` words the refusal (the inline import suggests the background one).
 */
function checkText(text: string, limits: ImportLimits, tooMany: (documents: number) => string) {
  if (Buffer.byteLength(text) > limits.bytes) throw badRequest(`The file is larger than ${limits.bytes / 1_000_000} MB`, "yaml");
  const problem = stringProblem(text);
  if (problem) throw badRequest(`The file ${problem}`, "yaml");
  const markers = text.match(/^---(?:[ \t]|$)/gm)?.length ?? 0;
  if (markers > limits.documents) throw badRequest(tooMany(markers), "yaml");
}

/** The file's non-empty documents as plain values, in order. */
export async function readCatalogDocuments(text: string, limits: ImportLimits, tooMany: (documents: number) => string): Promise<unknown[]> {
  checkText(text, limits, tooMany);
  const lines = new LineCounter();
  const composer = new Composer();
  const out: unknown[] = [];
  let i = 0;
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
    if (i >= limits.documents) throw badRequest(tooMany(i + 1), "yaml");
    if (doc.errors.length) {
      const err = doc.errors[0];
      const { line, col } = lines.linePos(err.pos[0]);
      throw badRequest(`Document ${i + 1} is not valid YAML: ${err.message.split("\n")[0]} (line ${line}, column ${col})`, "yaml");
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // yaml throws a ReferenceError when aliases would expand past maxAliasCount (an alias bomb).
      if (err instanceof ReferenceError) throw badRequest(`Document ${i + 1} expands more than ${MAX_ALIAS_COUNT} aliases; it is refused`, "yaml");
      throw badRequest(`Document ${i + 1} cannot be read: ${(err as Error).message.split("\n")[0]}`, "yaml");
    }
    // Escapes ("\0", "\uD800"), .inf and deep nesting pass YAML but cannot be stored.
    const unsafe = findUnsafeValue(value);
    if (unsafe) throw badRequest(`Document ${i + 1}: ${unsafe.field} ${unsafe.problem}`, "yaml");
    if (value !== null && value !== undefined) out.push(value);
    i++;
    if (i % YIELD_EVERY_DOCUMENTS === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (!out.length) throw badRequest("No entities found: paste one or more catalog-info.yaml documents", "yaml");
  return out;
}
