// The dashboard page: renders /api/state, filters it in place, and asks /api/explain.
// Plain DOM (no framework, no build step); every text goes in through textContent.
'use strict'

const COLUMNS = {
  routers: [
    ['Status', (r) => badge(r.status)],
    ['Name', (r) => el('code', { class: 'name' }, r.name)],
    ['Rule', (r) => code(r.rule)],
    ['Service', (r) => code(r.service)],
    ['Source', (r) => source(r.source)],
  ],
  services: [
    ['Status', (r) => badge(r.status)],
    ['Name', (r) => el('code', { class: 'name' }, r.name)],
    ['Kind', (r) => text(r.kind)],
    ['Servers', (r) => text(String(r.servers.length))],
    ['Source', (r) => source(r.source)],
  ],
  middlewares: [
    ['Status', (r) => badge(r.status)],
    ['Name', (r) => el('code', { class: 'name' }, r.name)],
    ['Type', (r) => text(r.type)],
    ['Source', (r) => source(r.source)],
  ],
  tlsOptions: [
    ['Status', (r) => badge(r.status)],
    ['Name', (r) => el('code', { class: 'name' }, r.name)],
    ['Hosts', (r) => text(r.hosts.join(', '))],
    ['Source', (r) => source(r.source)],
  ],
}

// Enough rows to scroll through; a table of thousands is narrowed with the search instead.
const MAX_ROWS = 500

let state = null
let tab = 'routers'
let selected = null

const $ = (sel) => document.querySelector(sel)

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v
    else e.setAttribute(k, v)
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)))
  return e
}
const text = (t) => document.createTextNode(t ?? '')
const code = (t) => el('code', {}, t ?? '')
const badge = (s) => el('span', { class: `status ${s}` }, s)
const sourceText = (s) =>
  s ? `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}${s.location ? ` (${s.location})` : ''}${s.field ? ` ${s.field}` : ''}` : ''
// Lists show the object and its file's name; the detail panel gives the full path.
const source = (s) =>
  s
    ? el(
        'span',
        { title: sourceText(s) },
        `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`,
        s.location ? el('span', { class: 'where' }, ` ${s.location.split('/').pop()}`) : '',
      )
    : text('—')

async function load() {
  const res = await fetch('api/state')
  if (!res.ok) {
    $('#version').textContent = 'no configuration built yet'
    return
  }
  state = await res.json()
  renderHeader()
  render()
}

function renderHeader() {
  const v = $('#version')
  v.replaceChildren()
  if (state.published) {
    v.append(
      'serving routes ',
      code(state.published.routesVersion.slice(0, 12)),
      ' endpoints ',
      code(state.published.endpointsVersion.slice(0, 12)),
      ` pushed ${new Date(state.published.pushedAt).toLocaleString()}`,
    )
    v.dataset.routesVersion = state.published.routesVersion
    v.dataset.pushedAt = state.published.pushedAt
  } else v.append('not published')
  v.append(` · ${state.files.length} file(s) · entry points ${state.entryPoints.join(', ')} · target ${state.target}`)
  for (const k of ['routers', 'services', 'middlewares', 'tlsOptions']) $(`#count-${k}`).textContent = String(state[k].length)
  $('#count-problems').textContent = String(state.problems.length)
}

function matches(row, q, status) {
  if (status && row.status !== status) return false
  if (!q) return true
  const hay = [
    row.name,
    row.rule,
    row.service,
    row.type,
    row.kind,
    sourceText(row.source),
    ...(row.middlewares ?? []),
    ...row.diagnostics.map((d) => d.message),
  ]
  return hay.some((h) => typeof h === 'string' && h.toLowerCase().includes(q))
}

function render() {
  for (const v of ['list', 'problems', 'explain', 'changes']) $(`#${v}-view`).hidden = true
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === tab)
  if (tab === 'problems') return renderProblems()
  if (tab === 'explain') return ($('#explain-view').hidden = false)
  if (tab === 'changes') return renderChanges()
  if (!state) return
  $('#list-view').hidden = false
  const cols = COLUMNS[tab]
  const q = $('#search').value.trim().toLowerCase()
  const status = $('#status').value
  const rows = state[tab].filter((r) => matches(r, q, status))
  $('#list thead').replaceChildren(el('tr', {}, ...cols.map(([h]) => el('th', {}, h))))
  const body = $('#list tbody')
  body.replaceChildren()
  if (!rows.length) body.append(el('tr', {}, el('td', { class: 'empty', colspan: String(cols.length) }, 'nothing matches')))
  for (const r of rows.slice(0, MAX_ROWS)) {
    const tr = el('tr', { 'data-name': r.name }, ...cols.map(([, f]) => el('td', {}, f(r))))
    if (r.name === selected) tr.classList.add('selected')
    tr.addEventListener('click', () => {
      selected = r.name
      render()
    })
    body.append(tr)
  }
  if (rows.length > MAX_ROWS)
    body.append(el('tr', {}, el('td', { class: 'empty', colspan: String(cols.length) }, `showing ${MAX_ROWS} of ${rows.length}: narrow the search`)))
  const row = state[tab].find((r) => r.name === selected)
  renderDetail(row)
}

function renderDetail(row) {
  const d = $('#detail')
  if (!row) {
    d.hidden = true
    return
  }
  d.hidden = false
  const fields = [
    ['Status', badge(row.status)],
    ['Source', text(row.source ? sourceText(row.source) : 'not from a manifest object')],
  ]
  if (tab === 'routers') {
    fields.push(
      ['Rule', code(row.rule)],
      ['Priority', text(row.priority == null ? '—' : String(row.priority))],
      ['Entry points', text(row.entryPoints.join(', ') || 'all')],
      ['TLS', text(row.tls ? `yes (options ${row.tlsOptions ?? 'default'})` : 'no')],
      ['Middlewares', text(row.middlewares.join(' → ') || 'none')],
      ['Service', code(row.service)],
    )
    if (row.answers) fields.push(['Answers', text(row.answers)])
  } else if (tab === 'services') {
    fields.push(['Kind', text(row.kind)])
    if (row.children.length) fields.push(['Children', text(row.children.join(', '))])
    fields.push([
      'Servers',
      el(
        'div',
        {},
        ...(row.servers.length
          ? row.servers.map((s) => el('div', {}, code(s.url), s.up ? '' : ' (down)', s.weight !== 1 ? ` weight ${s.weight}` : ''))
          : [text('none')]),
      ),
    ])
  } else if (tab === 'middlewares') {
    fields.push(['Type', text(row.type)], ['Config', el('pre', {}, JSON.stringify(row.config, null, 2))])
  } else if (tab === 'tlsOptions') {
    fields.push(['Hosts', text(row.hosts.join(', ') || 'none')], ['Config', el('pre', {}, JSON.stringify(row.config, null, 2))])
  }
  const diags = row.diagnostics.length
    ? el(
        'ul',
        { class: 'diag' },
        ...row.diagnostics.map((g) =>
          el(
            'li',
            { class: g.severity },
            `${g.severity} (${g.stage}) `,
            g.field ? code(g.field) : '',
            g.field ? ': ' : '',
            g.message,
            g.location ? el('div', { class: 'where' }, `${g.object ?? ''} ${g.location}`) : '',
          ),
        ),
      )
    : el('p', { class: 'empty' }, 'no diagnostics')
  d.replaceChildren(el('h2', {}, row.name), el('dl', {}, ...fields.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])), el('h3', {}, 'Diagnostics'), diags)
}

function renderProblems() {
  $('#problems-view').hidden = false
  const list = $('#problems')
  list.replaceChildren()
  if (!state?.problems.length) list.append(el('li', { class: 'empty' }, 'no problems'))
  for (const p of state?.problems ?? [])
    list.append(
      el('li', {}, badge(p.severity === 'error' ? 'error' : 'warning'), ' ', p.text, p.location ? el('span', { class: 'where' }, ` (${p.location})`) : ''),
    )
}

async function renderChanges() {
  $('#changes-view').hidden = false
  const res = await fetch('api/diff')
  const diff = await res.json()
  $('#changes').textContent = diff ? diff.text : 'no earlier configuration to compare with yet'
}

async function explain(event) {
  event.preventDefault()
  const form = new FormData(event.target)
  const headers = String(form.get('headers') ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(':'))
    .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()])
  const body = { url: form.get('url'), method: form.get('method'), headers, clientIp: form.get('clientIp'), entryPoint: form.get('entryPoint') }
  const res = await fetch('api/explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const out = $('#explain-result')
  const e = await res.json()
  if (!res.ok) {
    out.replaceChildren(el('p', { class: 'answer miss' }, e.error))
    return
  }
  const answer = e.router
    ? el('p', { class: 'answer', id: 'explain-answer' }, 'router ', code(e.router.name), ' rule ', code(e.router.rule))
    : el('p', { class: 'answer miss', id: 'explain-answer' }, e.summary)
  out.replaceChildren(answer, el('pre', { id: 'explain-text' }, e.text))
}

document.querySelector('#tabs').addEventListener('click', (e) => {
  const b = e.target.closest('button')
  if (!b) return
  tab = b.dataset.tab
  selected = null
  render()
})
$('#search').addEventListener('input', render)
$('#status').addEventListener('change', render)
$('#explain-form').addEventListener('submit', explain)
load()
// Picks up reloads of the manifests (npm run edge serves a change within 2 s).
setInterval(() => {
  if (document.visibilityState === 'visible' && tab !== 'explain') load()
}, 3000)
