-- An artifact version as one A2A part. Content up to 64 KiB comes inline: text/plain as a text
-- part, application/json holding an object as a data part, anything else as a file part with
-- its bytes (base64). Larger content is a file part with a "uri" instead, an artifact: reference
-- (artifact:<session_id>/<filename>?version=<n>, percent-encoded) that names what load_artifact
-- takes (content is then NULL: the caller does not read it). Text that is not UTF-8 and JSON
-- that does not parse fall back to a file part.
create or replace function agent_runtime._artifact_part(
  session_id text, filename text, version integer, mime_type text, size_bytes bigint, content bytea)
returns jsonb
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_base_type text := lower(trim(split_part(mime_type, ';', 1)));
  v_data jsonb;
begin
  if size_bytes > 65536 then
    return jsonb_build_object('kind', 'file', 'file', jsonb_build_object(
      'name', filename, 'mimeType', mime_type,
      'uri', format('artifact:%s/%s?version=%s', agent_runtime._percent_encode(session_id),
                    agent_runtime._percent_encode(filename), version)));
  end if;
  begin
    if v_base_type = 'text/plain' then
      return jsonb_build_object('kind', 'text', 'text', convert_from(content, 'UTF8'));
    end if;
    if v_base_type = 'application/json' then
      v_data := convert_from(content, 'UTF8')::jsonb;
      if jsonb_typeof(v_data) = 'object' then
        return jsonb_build_object('kind', 'data', 'data', v_data);
      end if;
    end if;
  exception when character_not_in_repertoire or invalid_text_representation or untranslatable_character then
    null; -- not text after all: the bytes as a file part
  end;
  return jsonb_build_object('kind', 'file', 'file', jsonb_build_object(
    'name', filename, 'mimeType', mime_type, 'bytes', translate(encode(content, 'base64'), E'\n', '')));
end
$$;
