-- pier:not-in-schema
-- The rollup triggers of 20261203032555_dora_day_rollups ran their statements with EXECUTE format(template, rows):
-- every statement that wrote rows planned two INSERT … ON CONFLICT statements per table afresh. Here each table and
-- operation gets its own trigger function whose statements are spelled out (static SQL: PL/pgSQL prepares each once
-- per session and reuses the plan). The functions are written from the same templates (dora_rollup_statements, also
-- used by dora_rollup_rebuild), so the two cannot drift: a migration that changes the templates calls
-- dora_rollup_define_triggers() again.

-- (Re)writes dora_rollup_<table>_<ins|upd|del>() from the templates and points the rollup triggers at them.
CREATE FUNCTION dora_rollup_define_triggers() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  tbl text;
  op record;
  fn text;
  body text;
  q text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['Deployment', 'DeploymentChange', 'Incident'] LOOP
    FOR op IN
      SELECT * FROM (VALUES
        ('ins', 'INSERT', 'REFERENCING NEW TABLE AS new_rows', 'new_rows', 'SELECT 1 AS sign, * FROM new_rows'),
        ('upd', 'UPDATE', 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows', 'new_rows',
         'SELECT -1 AS sign, * FROM old_rows UNION ALL SELECT 1 AS sign, * FROM new_rows'),
        ('del', 'DELETE', 'REFERENCING OLD TABLE AS old_rows', 'old_rows', 'SELECT -1 AS sign, * FROM old_rows')
      ) v(suffix, event, referencing, probe, src)
    LOOP
      fn := format('dora_rollup_%s_%s', lower(tbl), op.suffix);
      -- A statement that wrote no rows (most of the projection's guarded UPDATEs) costs one probe.
      body := format(E'BEGIN\n  IF NOT EXISTS (SELECT 1 FROM %s) THEN RETURN NULL; END IF;\n', op.probe);
      FOREACH q IN ARRAY dora_rollup_statements(tbl) LOOP
        body := body || '  ' || format(q, op.src) || E';\n';
      END LOOP;
      body := body || E'  RETURN NULL;\nEND';
      EXECUTE format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L', fn, body);
      EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %I %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                     format('%s_dora_rollup_%s', tbl, op.suffix), op.event, tbl, op.referencing, fn);
    END LOOP;
  END LOOP;
END
$fn$;

SELECT dora_rollup_define_triggers();

DROP FUNCTION dora_rollup_apply();
