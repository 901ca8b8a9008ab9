-- A UUID of version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.
-- Task and session ids are made with it so that keys of rows written together sit together in
-- every index that leads with them (tasks, sessions, steps by task, events by task, messages by
-- session): a version 4 id sends each insert to a random leaf page of each of those indexes, and
-- after every checkpoint each first touch of a page writes the whole page to the WAL. Measured on
-- 257k tasks, the first 5,000 bulk submits after a checkpoint: 3.2 full-page images and 22 kB of
-- WAL per task with random ids. The 74 random bits keep ids unguessable; they are not secrets
-- (access is decided by role and tenant), and the time they carry is the task's created_at.
create or replace function agent_runtime._uuid_v7()
returns uuid
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  -- a random (v4) uuid already has the RFC variant bits; overlay the time on its first 6 bytes
  -- and turn version 0100 into 0111
  return encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
              from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid;
end
$$;
