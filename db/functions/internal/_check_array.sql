-- An array argument is one-dimensional and indexed from 1, as every function reads its arrays
-- (unnest beside other arrays, array_position, subscripts from 1): PostgreSQL's array functions
-- refuse a multi-dimensional array with 0A000, unnest flattens it, and subscripts miss the
-- elements of one indexed from elsewhere. NULL and empty arrays pass: the callers decide.
create or replace function agent_runtime._check_array(value anyarray, what text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if array_ndims(value) > 1 or array_lower(value, 1) <> 1 then
    raise exception using errcode = 'AR001',
      message = format('%s must be a one-dimensional array indexed from 1, got %s', what,
                       case when array_ndims(value) > 1 then format('%s dimensions', array_ndims(value))
                            else format('one indexed from %s', array_lower(value, 1)) end),
      hint = 'Pass a plain array, e.g. array[''a'', ''b''].';
  end if;
end
$$;
