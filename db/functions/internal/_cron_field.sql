-- One field of a cron expression as the sorted values it allows: "*", "N", "N-M", "*/S",
-- "N-M/S", "N/S" (from N to the end, every S), lists of those separated by commas, and names
-- (JAN..DEC, SUN..SAT) where names is given (the name at position i has value low + i - 1).
create or replace function agent_runtime._cron_field(expr text, what text, low integer, high integer, names text[] default null)
returns integer[]
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_item text;
  v_range text;
  v_step integer;
  v_from integer;
  v_to integer;
  v_values integer[] := '{}';
  v_name integer;
begin
  foreach v_item in array string_to_array(upper(expr), ',') loop
    v_range := split_part(v_item, '/', 1);
    v_step := case when strpos(v_item, '/') > 0 then
                case when split_part(v_item, '/', 2) ~ '^[0-9]{1,3}$' then split_part(v_item, '/', 2)::integer end
              else 1 end;
    if v_range = '*' then
      v_from := low;
      v_to := high;
    else
      foreach v_name in array array[1, 2] loop
        declare
          v_part text := split_part(v_range, '-', v_name);
          v_value integer;
        begin
          v_value := case when v_part ~ '^[0-9]{1,2}$' then v_part::integer
                          when names is not null then array_position(names, v_part) + low - 1 end;
          if v_name = 1 then
            v_from := v_value;
          else
            v_to := case when v_part = '' then case when strpos(v_item, '/') > 0 then high else v_from end else v_value end;
          end if;
        end;
      end loop;
    end if;
    if v_step is null or v_step < 1 or v_from is null or v_to is null or v_from < low or v_to > high or v_from > v_to
       or (v_range <> '*' and array_length(string_to_array(v_range, '-'), 1) > 2) then
      raise exception using errcode = 'AR001',
        message = format('cron %s field %s is not valid (%s to %s)', what, agent_runtime._quote(v_item), low, high),
        hint = 'Use *, N, N-M, */S, N-M/S or lists of these, e.g. "*/15" or "1-5".';
    end if;
    v_values := v_values || array(select generate_series(v_from, v_to, v_step));
  end loop;
  return array(select distinct v from unnest(v_values) as v order by v);
end
$$;
