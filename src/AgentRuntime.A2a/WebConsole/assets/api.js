// The console's API client: every call carries the API key kept in this browser tab's session
// (sessionStorage), and live views arrive as Server-Sent Events read through fetch (EventSource
// cannot send the key).
const KEY = 'agent-runtime-console-key';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.hint = body?.hint;
  }
}

export const keyStore = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

function headers(extra = {}) {
  const key = keyStore.get();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function check(response) {
  if (response.ok) return response;
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const error = new ApiError(response.status, body);
  if (response.status === 401) onUnauthorized(error);
  throw error;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== '') search.append(name, v);
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function get(path, params) {
  const response = await check(await fetch(`/console/api/${path}${query(params)}`, { headers: headers() }));
  return response.json();
}

export async function download(path) {
  const response = await check(await fetch(`/console/api/${path}`, { headers: headers() }));
  return response.blob();
}

export async function post(path, body = {}) {
  const response = await check(await fetch(`/console/api/${path}`, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', 'X-Agent-Runtime-Console': '1' }),
    body: JSON.stringify(body),
  }));
  return response.json();
}

// Follows a view: onView gets it at once and after every change; onError gets an ApiError
// (the stream then ends). Reconnects after a dropped connection, waiting longer each time.
// Returns a function that stops following.
export function live(view, params, onView, onError) {
  const controller = new AbortController();
  let retry = 500;
  (async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await check(await fetch(`/console/api/live/${view}${query(params)}`,
          { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal }));
        retry = 500;
        await readEvents(response.body, (event, data) => {
          if (event === 'view') onView(JSON.parse(data));
          else if (event === 'problem') throw new ApiError(400, JSON.parse(data));
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError) { onError?.(error); return; }
      }
      await new Promise((resolve) => setTimeout(resolve, retry));
      retry = Math.min(retry * 2, 10000);
    }
  })();
  return () => controller.abort();
}

async function readEvents(body, handle) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) handle(event, data.join('\n'));
    }
  }
}
