-- Weights a tenant in fair share (admin): claims take from the tenants of an agent in turn, a
-- tenant of weight 2 twice as much as one of weight 1 (the default). fair_key is the
-- fairness_key submit option, or the task's app. NULL removes the weight.
create or replace function agent_runtime.set_fairness_weight(fair_key text, weight double precision)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- GUARD
  perform agent_runtime._check_identifier(set_fairness_weight.fair_key, 'fair_key');
  if set_fairness_weight.weight is not null and set_fairness_weight.weight not between 0.01 and 1000 then
    raise exception using errcode = 'AR001',
      message = format('weight must be from 0.01 to 1000, got %s', set_fairness_weight.weight),
      hint = 'Weights are relative: 2 takes twice the share of 1. NULL removes the weight.';
  end if;

  -- MUTATE
  if set_fairness_weight.weight is null then
    delete from agent_runtime.fairness_weights w where w.fair_key = set_fairness_weight.fair_key;
  else
    insert into agent_runtime.fairness_weights as w (fair_key, weight)
    values (set_fairness_weight.fair_key, set_fairness_weight.weight)
    on conflict on constraint fairness_weights_pkey do update set weight = excluded.weight, updated_at = now();
  end if;
  insert into agent_runtime.events (type, data)
  values ('fairness.weighted', jsonb_build_object('fair_key', set_fairness_weight.fair_key, 'weight', set_fairness_weight.weight));
end
$$;
