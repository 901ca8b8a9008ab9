-- Searches a user's memories (ADK's search_memory), best first, at most k (1-1000):
--   by meaning: query_embedding (a real[] of memory_dimensions() values) against the HNSW
--     cosine index; score = cosine similarity (1 - cosine distance);
--   hybrid, when query_text has words: the nearest 2k (at least 50) by embedding and the best
--     2k (at least 50) full-text matches (any of the words, ranked by ts_rank_cd) are fused by
--     reciprocal rank: score = sum over both lists of 1 / (60 + rank). An exact keyword (a name,
--     a part number) that the embedding ranks low is still found; query_embedding may be NULL
--     for a text-only search.
-- filter keeps memories whose metadata contains it (@>, served by memories_metadata). Another
-- tenant's user, or (for a role that is only a worker) a user whose step it does not hold, has
-- no memories. The index scan is approximate: hnsw.ef_search 100 (raised to the candidates'
-- number when that is more, up to pgvector's maximum of 1000) gives recall@10 of 0.98 on 100k
-- vectors (bench/memory.sh); iterative scans (relaxed order, re-sorted here) keep filtered
-- searches, and those that want more candidates than ef_search, from coming back short.
create or replace function agent_runtime.search_memory(
  app_name text,
  user_id text,
  query_embedding real[],
  query_text text default null,
  k integer default 10,
  filter jsonb default null)
returns setof agent_runtime.memory_match
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
set hnsw.ef_search = 100
set hnsw.iterative_scan = 'relaxed_order'
as $$
#variable_conflict use_column
declare
  v_query tsquery;
  v_candidates integer;
  v_schema text;
  v_where text;
begin
  -- GUARD
  perform agent_runtime._check_json(search_memory.filter, 'filter');
  perform agent_runtime._check_identifier(search_memory.app_name, 'app_name');
  perform agent_runtime._check_identifier(search_memory.user_id, 'user_id');
  if search_memory.query_embedding is null and nullif(btrim(search_memory.query_text), '') is null then
    raise exception using errcode = 'AR001',
      message = 'query_embedding or query_text is required',
      hint = 'Pass the embedding of the query, its text for a full-text search, or both for a hybrid search.';
  end if;
  if search_memory.query_embedding is not null then
    perform agent_runtime._check_embedding(search_memory.query_embedding, 'query_embedding');
  end if;
  if length(search_memory.query_text) > 4000 then
    raise exception using errcode = 'AR001',
      message = format('query_text has %s characters, over the limit of 4000', length(search_memory.query_text)),
      hint = 'Search with the words that matter.';
  end if;
  if search_memory.k is null or search_memory.k not between 1 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('k must be from 1 to 1000, got %s', coalesce(search_memory.k::text, 'NULL')),
      hint = 'Pass how many memories to return, e.g. 10.';
  end if;
  if search_memory.filter is not null then
    perform agent_runtime._check_object(search_memory.filter, 'filter');
    perform agent_runtime._check_size(search_memory.filter, 'filter', 65536);
  end if;
  if not agent_runtime._memory_visible(search_memory.app_name, search_memory.user_id) then
    return;
  end if;

  -- Any of the query's words (the 'simple' configuration, like the content's tsvector).
  select string_agg('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''', ' | ')::tsquery into v_query
  from unnest(tsvector_to_array(to_tsvector('simple'::regconfig, coalesce(search_memory.query_text, '')))) as l(lexeme);
  v_candidates := greatest(2 * search_memory.k, 50);
  if v_candidates > 100 then
    perform set_config('hnsw.ef_search', least(v_candidates, 1000)::text, true); -- undone when the function returns (its SET clause)
  end if;
  v_schema := agent_runtime._vector_schema();
  v_where := 'm.app_name = $1 and m.user_id = $2' || case when search_memory.filter is null then '' else ' and m.metadata @> $5' end;

  if v_query is null then
    return query execute format($sql$
      with nearest as materialized (
        select m.id, m.embedding operator(%1$I.<=>) $3::%1$I.vector as distance
        from agent_runtime.memories m
        where %2$s
        order by distance
        limit $4)
      select m.id, m.content, m.metadata, 1 - n.distance, m.created_at
      from nearest n
      join agent_runtime.memories m on m.id = n.id
      order by n.distance, m.id$sql$, v_schema, v_where)
    using search_memory.app_name, search_memory.user_id, search_memory.query_embedding, search_memory.k,
          search_memory.filter;
    return;
  end if;

  return query execute format($sql$
    with nearest as materialized (
      select m.id, m.embedding operator(%1$I.<=>) $3::%1$I.vector as distance
      from agent_runtime.memories m
      where %2$s and $3 is not null
      order by distance
      limit $6),
    matches as materialized (
      select m.id, ts_rank_cd(m.content_tsv, $7) as relevance
      from agent_runtime.memories m
      where %2$s and m.content_tsv @@ $7
      order by relevance desc, m.id
      limit $6),
    fused as (
      select coalesce(v.id, t.id) as id, coalesce(1.0 / (60 + v.rank), 0) + coalesce(1.0 / (60 + t.rank), 0) as score
      from (select n.id, row_number() over (order by n.distance, n.id) as rank from nearest n) as v
      full join (select x.id, row_number() over (order by x.relevance desc, x.id) as rank from matches x) as t on t.id = v.id)
    select m.id, m.content, m.metadata, f.score::double precision, m.created_at
    from fused f
    join agent_runtime.memories m on m.id = f.id
    order by f.score desc, m.id
    limit $4$sql$, v_schema, v_where)
  using search_memory.app_name, search_memory.user_id, search_memory.query_embedding, search_memory.k,
        search_memory.filter, v_candidates, v_query;
end
$$;
