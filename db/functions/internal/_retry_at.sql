-- The one rule of retries, for a reported failure and for a lost lease alike: a run that may be
-- retried (retryable) and has attempts left (attempt < max_attempts) runs again after the capped,
-- jittered backoff of _retry_delay_seconds; returns that time, or NULL when the step gives up.
create or replace function agent_runtime._retry_at(
  attempt integer, max_attempts integer, backoff_seconds double precision,
  max_backoff_seconds double precision, retryable boolean)
returns timestamptz
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  select case when retryable and attempt < max_attempts
              then now() + make_interval(secs => agent_runtime._retry_delay_seconds(attempt, backoff_seconds, max_backoff_seconds))
         end
$$;
