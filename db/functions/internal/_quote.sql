-- A client's value as an error message (or hint) shows it: quoted as a literal, cut to its
-- first 100 characters when longer ("..." and its length follow), NULL as NULL. Messages go
-- back to the caller and into the server's log: a value echoed whole would make both as large
-- as the input (a 10 MB key, a 10 MB log line). Lists are joined first, then quoted: the cut
-- bounds them too. Every message that shows client input goes through here.
create or replace function agent_runtime._quote(value text)
returns text
language sql immutable parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select case when value is null then 'NULL'
              when length(value) <= 100 then quote_literal(value)
              else quote_literal(left(value, 100)) || format('... (%s characters)', length(value)) end
$$;
