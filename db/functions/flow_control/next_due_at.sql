-- When something next becomes due for hosts of these agents: the earliest future run_at of their
-- ready steps (scheduled, or retrying after a backoff), timer or deadline of a waiting step,
-- lease expiry, task deadline, slot of a schedule that is not paused, or the refill of a queue's
-- used-up bucket of model tokens (tokens_per_minute: when it holds one token again; the queue may
-- have no step of these agents, which costs a claim that finds nothing). A host sleeps until then (and no longer than its
-- poll interval), so delayed work starts within milliseconds of its due time; NOTIFY wakes it for
-- work due now. NULL: nothing is scheduled. "Future" is after now(), the transaction's start: a
-- host asks in its claim's transaction, so that a step falling due between the claim and the
-- question is still in the answer.
create or replace function agent_runtime.next_due_at(agents text[])
returns timestamptz
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
set jit = off
set enable_bitmapscan = off
as $$
begin
  perform agent_runtime._check_array(next_due_at.agents, 'agents');
  return (select least(
    (select min(d.run_at) from unnest(agents) as a(name)
     cross join lateral (select s.run_at from agent_runtime.steps s
                         where s.status = 'ready' and s.agent = a.name and s.run_at > now()
                         order by s.run_at limit 1) d),
    (select min(s.resume_at) from agent_runtime.steps s where s.status = 'waiting' and s.resume_at is not null),
    (select min(s.lease_expires_at) from agent_runtime.steps s where s.status = 'running'),
    (select min(t.deadline) from agent_runtime.tasks t where t.deadline is not null),
    (select min(c.next_fire_at) - (agent_runtime._now() - now()) from agent_runtime.schedules c where not c.paused),
    (select min(q.model_tokens_at + make_interval(secs => (1 - q.model_tokens) * 60 / q.tokens_per_minute))
     from agent_runtime.queues q
     where q.tokens_per_minute is not null and not q.paused and q.model_tokens < 1
       and q.model_tokens_at + make_interval(secs => (1 - q.model_tokens) * 60 / q.tokens_per_minute) > now())));
end
$$;
