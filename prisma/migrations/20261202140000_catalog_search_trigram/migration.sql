-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "searchText" TEXT NOT NULL DEFAULT '';

-- pier:not-in-schema
-- Catalog search (server/catalog/catalog-search.ts) looks for every word of the query, case-insensitively, anywhere
-- in a service's name, slug, description or tags. "searchText" holds those four joined by spaces and lowered (a word
-- holds no space, so '%word%' matches the joined text exactly when it matches one of the four; and in a UTF-8
-- database ILIKE is LIKE on both sides lowered), kept by a trigger so that every writer agrees; a trigram index
-- serves the LIKE. A stored column rather than an index on an expression: rechecking thousands of candidate rows (a
-- short word has no trigrams) is then a plain LIKE, not a function call and a lower() per row.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION pier_service_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."searchText" := lower(NEW.name || ' ' || NEW.slug || ' ' || NEW.description || ' ' || array_to_string(NEW.tags, ' '));
  RETURN NEW;
END $$;

CREATE TRIGGER "Service_search_text" BEFORE INSERT OR UPDATE OF name, slug, description, tags, "searchText" ON "Service"
  FOR EACH ROW EXECUTE FUNCTION pier_service_search_text();

UPDATE "Service" SET "searchText" = lower(name || ' ' || slug || ' ' || description || ' ' || array_to_string(tags, ' '));

-- fastupdate off: catalog writes are few, and a pending list (unindexed until vacuum) makes searches after a large
-- import scan it on every query, and the planner cost the index above a sequential scan.
CREATE INDEX "Service_searchText_trgm_idx" ON "Service" USING gin ("searchText" gin_trgm_ops) WITH (fastupdate = off);
