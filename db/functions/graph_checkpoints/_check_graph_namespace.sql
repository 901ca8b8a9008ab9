-- A checkpoint namespace: '' is the root graph; subgraphs use "node:task|node:task" paths.
create or replace function agent_runtime._check_graph_namespace(checkpoint_ns text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if checkpoint_ns is null or length(checkpoint_ns) > 1024 or checkpoint_ns ~ '[[:cntrl:]]' then
    raise exception using errcode = 'AR001',
      message = format('checkpoint_ns %s is not valid', coalesce(left(quote_literal(checkpoint_ns), 120), 'NULL')),
      hint = 'Pass '''' for the root graph, or the namespace of a subgraph (up to 1024 characters, no control characters).';
  end if;
end
$$;
