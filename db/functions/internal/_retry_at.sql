-- The one rule of retries, for a reported failure and for a lost lease alike: a run that may be
-- retried (retryable) and has attempts left (attempt < max_attempts) runs again after the capped,
-- jittered backoff of _retry_delay_seconds; returns that time, or NULL when the step gives up.
-- plpgsql, not sql: its body is resolved when called, not when migrated, so it does not depend on
-- the order in which the migration creates the helpers.
create or replace function agent_runtime._retry_at(
  attempt integer, max_attempts integer, backoff_seconds double precision,
  max_backoff_seconds double precision, retryable boolean)
returns timestamptz
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if retryable and attempt < max_attempts then
    return now() + make_interval(secs => agent_runtime._retry_delay_seconds(attempt, backoff_seconds, max_backoff_seconds));
  end if;
  return null;
end
$$;
