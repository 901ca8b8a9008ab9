// Small DOM helpers: every value is set as text (never parsed as HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value !== undefined && value !== null) element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

export const status = (word) => h('span', { class: `status ${word}` }, word);

export function link(href, text) {
  return h('a', { href }, text);
}

export function time(value) {
  if (!value) return '–';
  const date = new Date(value);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

export function ago(value, now = Date.now()) {
  if (!value) return '–';
  return duration(now - new Date(value).getTime());
}

export function duration(ms) {
  if (ms < 0) ms = 0;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function json(value) {
  return h('pre', { class: 'json', tabindex: '0' }, value === undefined ? '' : JSON.stringify(value, null, 2));
}

// A table: columns are [header, cell(row), {num: true}] triples; empty says what no rows mean.
export function table(label, columns, rows, empty = 'Nothing here.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    h('caption', { class: 'visually-hidden' }, label),
    h('thead', {}, h('tr', {}, columns.map(([title, , options]) =>
      h('th', { scope: 'col', class: options?.num ? 'num' : undefined }, title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, options]) =>
      h('td', { class: options?.num ? 'num' : undefined }, cell(row)))))));
}

export function notice(text, kind = '') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function problem(error) {
  return notice(error.hint ? `${error.message} (${error.hint})` : error.message, 'error');
}

// Task ids are time-ordered (UUIDv7): tasks created together share their first digits, so ids show whole.
export const taskLink = (id) => h('a', { href: `/console/tasks/${id}`, class: 'mono' }, String(id));
