-- One element of a completion's "artifacts" effect, checked and decoded: {"filename", "mime_type",
-- "content_base64" | "text", "metadata"}. Exactly one of content_base64 (bytes, base64) and text
-- (stored as UTF-8); mime_type defaults to "text/plain" for text and "application/octet-stream"
-- for bytes; metadata to {}. Returns the element as a save_artifact call takes it:
-- (filename, content, mime_type, metadata).
create or replace function agent_runtime._effect_artifact(
  artifact jsonb, what text,
  out filename text, out content bytea, out mime_type text, out metadata jsonb)
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform agent_runtime._check_object(artifact, what);
  perform agent_runtime._check_keys(artifact, array['filename', 'mime_type', 'content_base64', 'text', 'metadata'],
                                    format('keys of %s', what));
  if jsonb_typeof(artifact -> 'filename') is distinct from 'string' then
    raise exception using errcode = 'AR001',
      message = format('%s needs a "filename" string', what),
      hint = 'Name the file, e.g. "report.md" (the session''s) or "user:profile.json" (the user''s).';
  end if;
  filename := artifact ->> 'filename';
  perform agent_runtime._check_artifact_filename(filename, format('%s "filename"', what));
  if (jsonb_typeof(artifact -> 'content_base64') = 'string') = (jsonb_typeof(artifact -> 'text') = 'string')
     or (artifact ? 'content_base64' and jsonb_typeof(artifact -> 'content_base64') <> 'string')
     or (artifact ? 'text' and jsonb_typeof(artifact -> 'text') <> 'string') then
    raise exception using errcode = 'AR001',
      message = format('%s needs exactly one of "content_base64" and "text", as a string', what),
      hint = 'Pass bytes as {"content_base64": "..."} or text as {"text": "..."}.';
  end if;
  if artifact ? 'text' then
    content := convert_to(artifact ->> 'text', 'UTF8');
  else
    begin
      content := decode(artifact ->> 'content_base64', 'base64');
    exception when invalid_parameter_value then
      raise exception using errcode = 'AR001',
        message = format('%s "content_base64" is not valid base64', what),
        hint = 'Encode the bytes with standard base64 (RFC 4648, with padding).';
    end;
  end if;
  perform agent_runtime._check_artifact_content(content, format('%s content', what));
  mime_type := coalesce(artifact ->> 'mime_type', case when artifact ? 'text' then 'text/plain' else 'application/octet-stream' end);
  perform agent_runtime._check_mime_type(mime_type, format('%s "mime_type"', what));
  metadata := coalesce(nullif(artifact -> 'metadata', 'null'::jsonb), '{}'::jsonb);
  perform agent_runtime._check_object(metadata, format('%s "metadata"', what));
  perform agent_runtime._check_size(metadata, format('%s "metadata"', what), 65536);
end
$$;
