-- Exponential backoff, capped, with "equal jitter" (a random point in the upper half of
-- the delay) so that steps that failed together do not all come back together.
create or replace function agent_runtime._retry_delay_seconds(
  attempt integer, backoff_seconds double precision, max_backoff_seconds double precision)
returns double precision
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
  select least(max_backoff_seconds, backoff_seconds * power(2::double precision, greatest(attempt - 1, 0)))
         * (0.5 + random() * 0.5)
$$;
