// Small SQL expressions Kysely's builder has no word for, typed.
import { sql, type RawBuilder } from "kysely";

/**
 * `= ANY(array)` for a list of text values: `.where("id", "=", anyOf(ids))`. One statement text whatever the
 * list's length (an IN list would make a new prepared statement per length).
 */
export const anyOf = (values: readonly string[]): RawBuilder<string> => sql<string>`ANY(${values}::text[])`;
