-- Serialized values as the graph functions take them: parallel arrays of equal length, a
-- serializer tag for every value, each value at most 64 MiB (a channel value, a pending write).
create or replace function agent_runtime._check_graph_blobs(names text[], types text[], blobs bytea[], what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_i integer;
begin
  if coalesce(cardinality(names), 0) <> coalesce(cardinality(types), 0)
     or coalesce(cardinality(names), 0) <> coalesce(cardinality(blobs), 0) then
    raise exception using errcode = 'AR001',
      message = format('%s: the arrays have different lengths (%s, %s, %s)', what,
                       coalesce(cardinality(names), 0), coalesce(cardinality(types), 0), coalesce(cardinality(blobs), 0)),
      hint = 'Element i of each array belongs to one value.';
  end if;
  for v_i in 1 .. coalesce(cardinality(names), 0) loop
    if names[v_i] is null or names[v_i] = '' or length(names[v_i]) > 1024 then
      raise exception using errcode = 'AR001',
        message = format('%s: channel %s is not valid', what, coalesce(left(quote_literal(names[v_i]), 120), 'NULL')),
        hint = 'Name every channel (1 to 1024 characters).';
    end if;
    if types[v_i] is null or types[v_i] = '' or length(types[v_i]) > 100 then
      raise exception using errcode = 'AR001',
        message = format('%s: the type of channel %s is not valid', what, left(quote_literal(names[v_i]), 120)),
        hint = 'Pass the serializer''s type tag of every value (e.g. "json", "bytes", "empty").';
    end if;
    if octet_length(blobs[v_i]) > 67108864 then
      raise exception using errcode = 'AR002',
        message = format('%s: the value of channel %s is %s bytes, over the limit of 67108864 bytes', what,
                         left(quote_literal(names[v_i]), 120), octet_length(blobs[v_i])),
        hint = 'Keep large content outside the graph state (an artifact, a URL) and store a reference.';
    end if;
  end loop;
end
$$;
