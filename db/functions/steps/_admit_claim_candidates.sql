-- Of the locked candidates of a claim (_lock_claim_candidates), those that concurrency keys and
-- queue limits admit, in claim order. A concurrency key admits its limit minus its running steps;
-- a queue its concurrency_limit minus its running steps, and no more than the tokens of its rate
-- (a token bucket refilled at rate_per_second, at most burst). Keys and limited queues are
-- counted under a lock, in a statement after taking it, so that concurrent claimers never admit
-- more than the limit between them; unrelated claims take no such lock:
--   a key: a transaction-level advisory lock, tried (a claimer that finds it taken leaves the
--     key's steps to the claimer holding it, as SKIP LOCKED does with rows);
--   a limited queue: its row in agent_runtime.queues, waited for (claims of one limited queue
--     take turns; the row also holds the token bucket).
-- Candidates not admitted stay locked by this claim until it commits, and ready.
create or replace function agent_runtime._admit_claim_candidates(
  step_ids bigint[], keys text[], key_limits integer[], queues text[], limited_queues text[])
returns bigint[]
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_keys text[];
  v_key_room jsonb := '{}'::jsonb;
  v_queue_room jsonb := '{}'::jsonb;
  v_admitted bigint[] := '{}';
  v_candidate record;
  v_taken jsonb := '{}'::jsonb;
begin
  -- LOCK the keys that are free now, then count their running steps
  select array_agg(k order by k) into v_keys
  from (select distinct k from unnest(keys) as k where k is not null) d
  where pg_try_advisory_xact_lock(hashtextextended('agent_runtime.concurrency_key:' || k, 0));
  select coalesce(jsonb_object_agg(k.key, greatest(0, k.key_limit - k.running)), '{}'::jsonb) into v_key_room
  from (select u.key, min(u.key_limit) as key_limit,
               (select count(*) from agent_runtime.steps s where s.status = 'running' and s.concurrency_key = u.key) as running
        from unnest(keys, key_limits) as u(key, key_limit)
        where u.key = any (v_keys)
        group by u.key) k;

  -- LOCK the limited queues of these candidates (in name order), refill their buckets, count
  if exists (select from unnest(queues) as q where q = any (limited_queues)) then
    perform from agent_runtime.queues q
    where q.name in (select distinct c from unnest(queues) as c where c = any (limited_queues))
    order by q.name
    for update;
    update agent_runtime.queues q
    set tokens = least(coalesce(q.burst, greatest(q.rate_per_second, 1)),
                       coalesce(q.tokens, coalesce(q.burst, greatest(q.rate_per_second, 1)))
                       + q.rate_per_second * extract(epoch from now() - coalesce(q.refilled_at, now()))),
        refilled_at = now()
    where q.name in (select distinct c from unnest(queues) as c where c = any (limited_queues))
      and q.rate_per_second is not null;
    select coalesce(jsonb_object_agg(q.name, least(
             case when q.concurrency_limit is not null
                  then greatest(0, q.concurrency_limit - (select count(*) from agent_runtime.steps s
                                                          where s.status = 'running' and s.queue = q.name)) end,
             case when q.rate_per_second is not null then floor(q.tokens) end)), '{}'::jsonb)
      into v_queue_room
    from agent_runtime.queues q
    where q.name in (select distinct c from unnest(queues) as c where c = any (limited_queues));
  end if;

  for v_candidate in
    select u.id, u.key, u.queue from unnest(step_ids, keys, queues) with ordinality as u(id, key, queue, ord) order by u.ord
  loop
    continue when v_candidate.key is not null
              and coalesce((v_key_room ->> v_candidate.key)::integer, 0) <= coalesce((v_taken ->> ('k:' || v_candidate.key))::integer, 0);
    continue when v_queue_room ? v_candidate.queue
              and (v_queue_room ->> v_candidate.queue)::integer <= coalesce((v_taken ->> ('q:' || v_candidate.queue))::integer, 0);
    v_admitted := v_admitted || v_candidate.id;
    if v_candidate.key is not null then
      v_taken := v_taken || jsonb_build_object('k:' || v_candidate.key, coalesce((v_taken ->> ('k:' || v_candidate.key))::integer, 0) + 1);
    end if;
    if v_queue_room ? v_candidate.queue then
      v_taken := v_taken || jsonb_build_object('q:' || v_candidate.queue, coalesce((v_taken ->> ('q:' || v_candidate.queue))::integer, 0) + 1);
    end if;
  end loop;

  -- MUTATE: the tokens the admitted steps took
  update agent_runtime.queues q
  set tokens = q.tokens - (v_taken ->> ('q:' || q.name))::integer, updated_at = now()
  where q.rate_per_second is not null and v_taken ? ('q:' || q.name);
  return v_admitted;
end
$$;
