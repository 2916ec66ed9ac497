/*
 * permit-web's pages: one script for the wall board, the project, department, blocked and
 * overdue pages. Data comes from /api/... as JSON and is put on the page with textContent and
 * DOM/SVG nodes only, never as markup, so a name holding "<script>", quotes or a bidi override
 * shows as the text it is. Live updates come over /events (Server-Sent Events): the browser
 * resumes by Last-Event-ID after any reconnection, so the ticker misses nothing and shows
 * nothing twice.
 */
'use strict';

const SVGNS = 'http://www.w3.org/2000/svg';
const params = new URLSearchParams(location.search);
const langParam = params.get('lang');
let lang = 'zh';
let labels = { states: {}, colours: {}, kinds: {} };

const WORDS = {
  zh: {
    title: '联审联批', board: '大屏', blocked: '受阻', overdue: '超期预警',
    rate: '办结率', target: '目标', procedures: '事项', projects: '项目',
    byRegion: '各旗县区办结率', byDept: '各部门办结率', longest: '超期最久',
    ticker: '最近一小时动态', project: '项目', procedure: '事项', dept: '部门',
    state: '状态', deadline: '办结时限', colour: '预警', days: '工作日',
    daysOver: '超期工作日', daysLeft: '剩余工作日', blockedBy: '等待',
    graph: '前置关系图（红色：关键路径）', commitments: '容缺承诺', history: '全部记录',
    missing: '承诺补交', due: '承诺期限', open: '在办', waits: '本部门在等',
    holds: '本部门卡住了别人', deptOverdue: '本部门超期', region: '旗县区', steward: '项目管家',
    leader: '包联领导', none: '无', notFound: '没有这个页面', error: '出错了',
    all: '全部', red: '红色', yellow: '黄色', filter: '筛选', critical: '关键路径剩余工作日',
    live: '实时', offline: '已断开', kind: '类型', time: '时间', head: '日志序号',
    report: '周调度通报', asOf: '截至', period: '周期', week: '本周', month: '本月', show: '查看',
    download: '下载', otherLang: 'English',
    reportOff: '周调度通报未启用：permit-web 从调度平台（permitd）的数据库读取通报的数字，与 permitctl report 相同。' +
      '请在调度平台所在的机器上运行 permit-web，并在其配置的 [web] 段中设置 db = 调度平台的数据库文件（见 docs/web.md）。',
    login: '登录', logout: '退出', ack: '确认收到', acked: '已确认',
  },
  en: {
    title: 'Joint review and approval', board: 'Wall board', blocked: 'Blocked', overdue: 'Overdue',
    rate: 'Completion rate', target: 'target', procedures: 'Procedures', projects: 'Projects',
    byRegion: 'Completion by region', byDept: 'Completion by department', longest: 'Longest overdue',
    ticker: 'The last hour', project: 'Project', procedure: 'Procedure', dept: 'Department',
    state: 'State', deadline: 'Deadline', colour: 'Colour', days: 'Working days',
    daysOver: 'working days over', daysLeft: 'working days left', blockedBy: 'Waits for',
    graph: 'Prerequisites (red: critical path)', commitments: 'Commitments (容缺)', history: 'History',
    missing: 'Missing item', due: 'Due', open: 'Open', waits: 'Waiting for others',
    holds: 'Holding up others', deptOverdue: 'Overdue', region: 'Region', steward: 'Steward',
    leader: 'Leader', none: 'none', notFound: 'No such page', error: 'Error',
    all: 'all', red: 'red', yellow: 'yellow', filter: 'Filter', critical: 'Critical path, working days left',
    live: 'live', offline: 'offline', kind: 'Kind', time: 'Time', head: 'Log head',
    report: 'Bulletin', asOf: 'As of', period: 'Period', week: 'week', month: 'month', show: 'Show',
    download: 'Download', otherLang: '中文',
    reportOff: 'The bulletin is not enabled: permit-web reads its figures from the broker\'s (permitd\'s) ' +
      'database, as permitctl report does. Run permit-web on the broker\'s machine and set db = the ' +
      'broker\'s database file in the [web] section of its config (see docs/web.md).',
    login: 'Sign in', logout: 'Sign out', ack: 'Acknowledge', acked: 'acknowledged',
  },
};
function w(key) { return (WORDS[lang] || WORDS.zh)[key] || key; }

/* An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === undefined || k === null) continue;
    e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
  return e;
}
function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, v);
  for (const k of kids.flat()) {
    if (k === undefined || k === null) continue;
    e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
  return e;
}
function withLang(path) {
  return langParam ? path + (path.includes('?') ? '&' : '?') + 'lang=' + encodeURIComponent(langParam) : path;
}
function link(path, text) { return el('a', { href: withLang(path) }, text); }
function projectLink(id, name) { return link('/p/' + encodeURIComponent(id), name || id); }
function deptLink(code, name) { return link('/d/' + encodeURIComponent(code), name || code); }
function dot(colour) { return el('span', { class: 'dot ' + (colour || 'none') }); }
function pct(v) { return v === null || v === undefined ? '–' : v.toFixed(1) + '%'; }
// Times are the jurisdiction's (time_zone from the server), whatever zone the browser is in.
let zone = 'Asia/Shanghai';
let offsetS = 8 * 3600;
function zoned(ms, withDate) {
  const opts = { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' };
  if (withDate) Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit' });
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-GB', opts).formatToParts(new Date(ms));
  } catch (e) { // a fixed-offset fallback zone ("UTC+08:00") is no IANA name: shift by hand
    parts = new Intl.DateTimeFormat('en-GB', Object.assign(opts, { timeZone: 'UTC' }))
      .formatToParts(new Date(ms + offsetS * 1000));
  }
  const p = {};
  for (const x of parts) p[x.type] = x.value;
  const time = p.hour + ':' + p.minute + ':' + p.second;
  return withDate ? p.year + '-' + p.month + '-' + p.day + ' ' + time : time;
}
function offsetText() {
  const a = Math.abs(offsetS);
  return (offsetS < 0 ? '-' : '+') + String(Math.floor(a / 3600)).padStart(2, '0') + ':' +
    String(Math.floor((a % 3600) / 60)).padStart(2, '0');
}
function hhmm(ms) { return zoned(ms, false); }

async function getJSON(path) {
  const r = await fetch(withLang(path), { headers: { Accept: 'application/json' } });
  const doc = await r.json();
  if (!r.ok) throw new Error(doc && doc.error ? doc.error : String(r.status));
  if (doc.lang) { lang = doc.lang; document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'; }
  if (doc.labels) labels = doc.labels;
  if (doc.time_zone) zone = doc.time_zone;
  if (typeof doc.utc_offset_s === 'number') offsetS = doc.utc_offset_s;
  return doc;
}

/* Who is signed in (/api/me): the header shows the name and a sign-out form, or a sign-in link;
 * the project page shows ack buttons to accounts that may act. Forms post with the session's
 * CSRF token; the server decides what the account may do. */
let me = { user: null };
async function loadMe() {
  try {
    const r = await fetch('/api/me', { headers: { Accept: 'application/json' } });
    if (r.ok) me = await r.json();
  } catch (err) { me = { user: null }; }
  const who = el('span', { id: 'who' });
  if (me.user) {
    who.append(`${me.user} (${me.role}) `, el('form', { class: 'inline', method: 'post', action: '/logout' },
      el('input', { type: 'hidden', name: 'csrf', value: me.csrf }), el('button', { type: 'submit', id: 'logout' }, w('logout'))));
  } else {
    who.append(link('/login', w('login')));
  }
  const old = document.getElementById('who');
  if (old) old.replaceWith(who); else document.getElementById('top').insertBefore(who, document.getElementById('live'));
}
function ackCell(r) {
  if (!r.alert_seq) return null;
  if (r.ack_seq) return el('span', { class: 'acked' }, w('acked'));
  if (!me.user || me.role === 'viewer') return null;
  return el('form', { class: 'inline ack', method: 'post', action: '/alert-ack' },
    el('input', { type: 'hidden', name: 'csrf', value: me.csrf }),
    el('input', { type: 'hidden', name: 'seq', value: String(r.alert_seq) }),
    el('button', { type: 'submit', class: 'ack', 'data-seq': String(r.alert_seq) }, w('ack')));
}

function nav() {
  const n = document.getElementById('nav');
  n.replaceChildren(link('/', w('board')), link('/blocked', w('blocked')), link('/overdue', w('overdue')),
    link('/report', w('report')));
  document.getElementById('home').textContent = w('title');
  document.title = w('title');
}

function table(head, rows) {
  return el('div', { class: 'scroll' }, el('table', {},
    el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows)));
}

/* Horizontal bars of a rate per row, with the target as a dashed line. */
function rateChart(rows, target, nameOf, linkOf) {
  const rowH = 22, left = 150, width = 520, right = 56;
  const h = rows.length * rowH + 10;
  const s = svg('svg', { viewBox: `0 0 ${width} ${h}`, width: '100%', role: 'img' });
  const scale = (width - left - right) / 100;
  rows.forEach((r, i) => {
    const y = i * rowH + 5, rate = r.rate === null ? 0 : r.rate;
    const label = svg('text', { x: left - 8, y: y + 15, 'text-anchor': 'end' }, nameOf(r));
    const a = linkOf ? svg('a', { href: withLang(linkOf(r)) }, label) : label;
    s.append(a, svg('rect', { class: 'bar' + (rate >= target ? ' done' : ' below'), x: left, y: y + 3,
      width: Math.max(1, rate * scale), height: rowH - 7 }),
    svg('text', { x: left + rate * scale + 6, y: y + 15 }, pct(r.rate)));
  });
  s.append(svg('line', { class: 'target', x1: left + target * scale, x2: left + target * scale, y1: 0, y2: h }));
  return s;
}

function entryText(e) {
  const parts = [labels.kinds[e.kind] || e.kind];
  if (e.procedure_name || e.procedure) parts.push(e.procedure_name || e.procedure);
  if (e.dept) parts.push(e.dept);
  if (e.colour) parts.push(labels.colours[e.colour] || e.colour);
  return parts.join(' · ');
}
function tickerItem(e, fresh) {
  return el('li', { 'data-seq': e.seq, class: fresh ? 'fresh' : undefined },
    el('span', { class: 'seq' }, '#' + e.seq), el('span', { class: 'time' }, hhmm(e.recv_ms)),
    e.colour ? dot(e.colour) : null,
    e.project ? [projectLink(e.project, e.project_name), ' · '] : null, entryText(e));
}

/* The live stream: every entry once, in order; onEntry sees each. */
function stream(after, onEntry, onReset) {
  const es = new EventSource('/events?after=' + after);
  const live = document.getElementById('live');
  es.onopen = () => { live.className = 'live on'; live.title = w('live'); };
  es.onerror = () => { live.className = 'live off'; live.title = w('offline'); };
  es.onmessage = (m) => { try { onEntry(JSON.parse(m.data)); } catch (err) { console.error(err); } };
  es.addEventListener('reset', () => onReset && onReset());
  /* A browser allows six connections to a host: a page left behind must not keep its stream. */
  window.addEventListener('pagehide', () => es.close());
  return es;
}

/* Many entries arrive together: one refresh after the burst. */
function debounce(fn, ms) {
  let t = null;
  return () => { if (t) clearTimeout(t); t = setTimeout(() => { t = null; fn(); }, ms); };
}

/* ---- the wall board ---- */
async function pageBoard(main) {
  let doc = await getJSON('/api/board');
  nav();
  const figures = el('div', { class: 'grid board', id: 'figures' });
  const regions = el('section', { class: 'panel tall' });
  const depts = el('div', { class: 'stack' });
  const ticker = el('ul', { class: 'ticker', id: 'ticker' });
  main.replaceChildren(figures, el('div', { class: 'grid board2' }, regions, depts,
    el('section', { class: 'panel tall' }, el('h2', {}, w('ticker')), ticker)));
  const render = (d) => {
    const t = d.totals, c = d.colours;
    const counts = (what) => el('div', { class: 'counts' },
      ['red', 'yellow', 'green'].map((k) => el('span', { class: 'c-' + k, id: `count-${what}-${k}` },
        dot(k), String(c[k][what]))));
    figures.replaceChildren(
      el('section', { class: 'panel' }, el('h2', {}, w('rate')),
        el('div', { class: 'kpi ' + ((t.rate || 0) >= d.target_pct ? 'above' : 'below'), id: 'rate' }, pct(t.rate),
          el('small', {}, ` / ${w('target')} ${d.target_pct}%`)),
        el('div', {}, `${t.done} / ${t.procedures} ${w('procedures')} · ${t.projects_done} / ${t.projects} ${w('projects')}`)),
      el('section', { class: 'panel' }, el('h2', {}, w('procedures')), counts('procedures')),
      el('section', { class: 'panel' }, el('h2', {}, w('projects')), counts('projects')),
      el('section', { class: 'panel' }, el('h2', {}, w('head')), el('div', { class: 'kpi', id: 'head' }, String(d.head))));
    regions.replaceChildren(el('h2', {}, w('byRegion')),
      rateChart(d.by_region, d.target_pct, (r) => r.name || '–'));
    depts.replaceChildren(
      el('section', { class: 'panel' }, el('h2', {}, w('byDept')),
        rateChart(d.by_department, d.target_pct, (r) => r.name || r.key, (r) => '/d/' + encodeURIComponent(r.key))),
      el('section', { class: 'panel', id: 'overdue' }, el('h2', {}, w('longest')),
        d.overdue_error ? el('p', { class: 'error' }, d.overdue_error) : null,
        d.overdue.length === 0 ? el('p', {}, w('none')) :
          table([w('project'), w('procedure'), w('dept'), w('days')],
            d.overdue.map((r) => el('tr', {},
              el('td', {}, dot(r.colour), projectLink(r.project, r.project_name)),
              el('td', {}, r.name || r.code), el('td', {}, deptLink(r.dept, r.dept_name)),
              el('td', { class: 'num' }, String(r.days)))))));
  };
  render(doc);
  ticker.replaceChildren(...doc.recent.slice().reverse().filter((e) => e.kind !== 'template' && e.kind !== 'calendar')
    .map((e) => tickerItem(e, false)));
  const refresh = debounce(async () => { try { render(await getJSON('/api/board')); } catch (err) { console.error(err); } }, 150);
  stream(doc.head, (e) => {
    ticker.prepend(tickerItem(e, true));
    while (ticker.children.length > 300) ticker.lastChild.remove();
    refresh();
  }, refresh);
}

/* ---- a project ---- */
function graph(d) {
  const procs = d.procedures, byCode = new Map(procs.map((p) => [p.code, p]));
  const level = new Map();
  const depth = (code, seen) => {
    if (level.has(code)) return level.get(code);
    if (seen.has(code)) return 0;
    seen.add(code);
    let l = 0;
    for (const e of d.edges) if (e.to === code && byCode.has(e.from)) l = Math.max(l, depth(e.from, seen) + 1);
    level.set(code, l);
    return l;
  };
  procs.forEach((p) => depth(p.code, new Set()));
  const cols = [];
  procs.forEach((p) => { const l = level.get(p.code); (cols[l] = cols[l] || []).push(p); });
  const nodeW = 190, nodeH = 44, gapX = 60, gapY = 14;
  const pos = new Map();
  cols.forEach((col, x) => col.forEach((p, y) => pos.set(p.code, { x: 10 + x * (nodeW + gapX), y: 10 + y * (nodeH + gapY) })));
  const W = 20 + cols.length * (nodeW + gapX), H = 20 + Math.max(...cols.map((c) => c.length)) * (nodeH + gapY);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: Math.min(W, 1800), id: 'graph', role: 'img' });
  for (const e of d.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const crit = byCode.get(e.from).critical && byCode.get(e.to).critical;
    const x1 = a.x + nodeW, y1 = a.y + nodeH / 2, x2 = b.x, y2 = b.y + nodeH / 2;
    s.append(svg('path', { class: 'edge' + (e.parallel ? ' parallel' : '') + (crit ? ' critical' : ''),
      d: `M${x1},${y1} C${x1 + gapX / 2},${y1} ${x2 - gapX / 2},${y2} ${x2},${y2}` }));
  }
  for (const p of procs) {
    const q = pos.get(p.code);
    const cls = 'node' + (p.critical ? ' critical' : '') + (p.state === 'approved' || p.state === 'not_required' ? ' done' : '') +
      (p.state === 'blocked' ? ' blocked' : '');
    s.append(svg('g', { class: cls, 'data-code': p.code, transform: `translate(${q.x},${q.y})` },
      svg('rect', { width: nodeW, height: nodeH }),
      svg('circle', { cx: 12, cy: 14, r: 5, fill: { green: '#2fb56a', yellow: '#e8b829', red: '#e2453c' }[p.colour] || '#6b7a95' }),
      svg('text', { x: 22, y: 18 }, (p.name || p.code).slice(0, 14)),
      svg('text', { x: 10, y: 36, class: 'sub' }, `${p.state_label} · ${p.dept_name || p.dept || ''}`.slice(0, 26))));
  }
  return s;
}

async function pageProject(main, id) {
  const d = await getJSON('/api/project/' + encodeURIComponent(id));
  nav();
  const p = d.project;
  const dayText = (r) => r.colour === 'none' ? '' : r.colour === 'red' ? `${r.days} ${w('daysOver')}` : `${r.days} ${w('daysLeft')}`;
  main.replaceChildren(
    el('h1', { id: 'title' }, dot(d.colour), p.name || p.id),
    el('p', {}, `${p.id} · ${w('region')}: ${p.region || '–'} · ${w('steward')}: ${p.steward || '–'} · ${w('leader')}: ${p.leader || '–'} · ${w('critical')}: ${d.critical_days}`),
    el('section', { class: 'panel' }, el('h2', {}, w('procedures')),
      table([w('procedure'), w('dept'), w('state'), w('deadline'), w('colour'), w('days'), w('blockedBy')],
        d.procedures.map((r) => el('tr', { 'data-code': r.code, 'data-state': r.state },
          el('td', {}, r.name || r.code), el('td', {}, deptLink(r.dept, r.dept_name)),
          el('td', {}, r.state_label), el('td', {}, r.deadline || ''),
          el('td', {}, dot(r.colour), r.colour_label, ' ', ackCell(r)), el('td', { class: 'num' }, dayText(r)),
          el('td', { class: 'blockers' }, r.blockers.map((b) => `${b.name || b.code} (${b.dept || ''}, ${labels.states[b.state] || b.state})`).join('; ')))))),
    el('section', { class: 'panel' }, el('h2', {}, w('graph')), el('div', { class: 'scroll' }, graph(d))),
    el('section', { class: 'panel' }, el('h2', {}, w('commitments')),
      d.commitments.length === 0 ? el('p', {}, w('none')) :
        table([w('procedure'), w('dept'), w('missing'), w('due')], d.commitments.map((r) => el('tr', {},
          el('td', {}, r.name || r.code), el('td', {}, r.dept_name || r.dept), el('td', {}, r.missing || ''), el('td', {}, r.commitment || ''))))),
    el('section', { class: 'panel' }, el('h2', {}, w('history')),
      el('ul', { class: 'ticker', id: 'history' }, d.history.slice().reverse().map((e) => tickerItem(e, false)))));
  const reload = debounce(() => pageProject(main, id).catch(showError), 200);
  if (!window.__stream) window.__stream = stream(d.head, (e) => { if (e.project === id) reload(); }, reload);
}

function listRows(rows, blocked) {
  return table(blocked ? [w('project'), w('procedure'), w('dept'), w('blockedBy')]
    : [w('colour'), w('project'), w('procedure'), w('dept'), w('deadline'), w('days')],
  rows.map((r) => blocked
    ? el('tr', { 'data-project': r.project, 'data-code': r.code }, el('td', {}, projectLink(r.project, r.project_name)), el('td', {}, r.name || r.code),
      el('td', {}, deptLink(r.dept, r.dept_name)),
      el('td', { class: 'blockers' }, r.blockers.map((b) => `${b.name || b.code} (${b.dept || ''}, ${labels.states[b.state] || b.state})`).join('; ')))
    : el('tr', { 'data-project': r.project, 'data-code': r.code }, el('td', {}, dot(r.colour), r.colour_label),
      el('td', {}, projectLink(r.project, r.project_name)),
      el('td', {}, r.name || r.code), el('td', {}, deptLink(r.dept, r.dept_name)),
      el('td', {}, r.deadline || ''), el('td', { class: 'num' }, String(r.days)))));
}

async function pageList(main, blocked) {
  const q = new URLSearchParams();
  for (const k of ['dept', 'region', 'project', 'colour']) if (params.get(k)) q.set(k, params.get(k));
  const d = await getJSON((blocked ? '/api/blocked' : '/api/overdue') + (q.toString() ? '?' + q : ''));
  nav();
  const form = el('form', { class: 'filters', method: 'get' },
    ['dept', 'region', 'project'].map((k) => el('input', { name: k, placeholder: w(k === 'dept' ? 'dept' : k), value: params.get(k) || '' })),
    blocked ? null : el('select', { name: 'colour' }, ['', 'red', 'yellow'].map((c) => {
      const o = el('option', { value: c }, c ? w(c) : w('all'));
      if (params.get('colour') === c) o.selected = true;
      return o;
    })),
    langParam ? el('input', { type: 'hidden', name: 'lang', value: langParam }) : null,
    el('button', { type: 'submit' }, w('filter')));
  main.replaceChildren(el('h1', {}, w(blocked ? 'blocked' : 'overdue')), form, el('section', { class: 'panel' }, listRows(d.rows, blocked)));
  const reload = debounce(() => pageList(main, blocked).catch(showError), 300);
  if (!window.__stream) window.__stream = stream(d.head, reload, reload);
}

async function pageDept(main, code) {
  const d = await getJSON('/api/department/' + encodeURIComponent(code));
  nav();
  main.replaceChildren(el('h1', {}, d.name || d.code),
    el('section', { class: 'panel' }, el('h2', {}, w('open')),
      table([w('project'), w('procedure'), w('state')], d.open.map((r) => el('tr', {},
        el('td', {}, projectLink(r.project, r.project_name)), el('td', {}, r.procedure_name || r.procedure),
        el('td', {}, dot(r.colour), r.state_label))))),
    el('section', { class: 'panel' }, el('h2', {}, w('waits')), listRows(d.waits_for, true)),
    el('section', { class: 'panel' }, el('h2', {}, w('holds')), listRows(d.holds_up, true)),
    el('section', { class: 'panel' }, el('h2', {}, w('deptOverdue')), listRows(d.overdue, false)));
  const reload = debounce(() => pageDept(main, code).catch(showError), 300);
  if (!window.__stream) window.__stream = stream(d.head, reload, reload);
}

/*
 * The weekly bulletin: permitctl report's own HTML (/report.html), framed, with the as-of day,
 * the period and the downloads. The frame is sandboxed: the bulletin needs no script.
 */
async function pageReport(main) {
  const d = await getJSON('/api/report');
  nav();
  if (!d.enabled) {
    main.replaceChildren(el('h1', {}, w('report')), el('p', { id: 'report-off', class: 'panel' }, w('reportOff')));
    return;
  }
  const asOf = params.get('as_of') || d.today;
  const period = params.get('period') === 'month' ? 'month' : 'week';
  const query = (l) => '?' + new URLSearchParams({ as_of: asOf, period: period, lang: l }).toString();
  const date = el('input', { type: 'date', id: 'as-of', name: 'as_of', value: asOf, max: d.today, required: '' });
  const sel = el('select', { id: 'period', name: 'period' },
    ['week', 'month'].map((p) => el('option', { value: p }, w(p))));
  sel.value = period;
  const form = el('form', { class: 'filters', method: 'get', action: '/report' },
    el('label', {}, w('asOf'), ' ', date), el('label', {}, w('period'), ' ', sel),
    el('input', { type: 'hidden', name: 'lang', value: lang }),
    el('button', { type: 'submit' }, w('show')));
  for (const c of [date, sel]) c.addEventListener('change', () => { if (date.value) form.submit(); });
  const other = lang === 'en' ? 'zh' : 'en';
  const downloads = el('p', { class: 'downloads' }, w('download'), ': ',
    el('a', { id: 'dl-html', href: '/report.html' + query(lang), download: '' }, 'HTML'), ' · ',
    el('a', { id: 'dl-csv', href: '/report.csv' + query(lang) }, 'CSV'), ' · ',
    el('a', { id: 'dl-xlsx', href: '/report.xlsx' + query(lang) }, 'Excel (xlsx)'), ' · ',
    el('a', { id: 'other-lang', href: '/report' + query(other) }, w('otherLang')));
  const frame = el('iframe', { id: 'bulletin', class: 'bulletin', src: '/report.html' + query(lang), title: w('report'), sandbox: '' });
  main.replaceChildren(el('h1', {}, w('report')), form, downloads, frame);
}

function showError(err) {
  nav();
  document.getElementById('main').replaceChildren(el('h1', { class: 'error' }, w('error')), el('p', {}, String(err.message || err)));
}

function tick() { document.getElementById('clock').textContent = zoned(Date.now(), true) + offsetText(); }

function start() {
  const main = document.getElementById('main');
  const path = location.pathname;
  /* Who is signed in first: the project page's ack buttons depend on it. */
  loadMe().then(() => {
    if (path === '/') return pageBoard(main);
    if (path.startsWith('/p/')) return pageProject(main, decodeURIComponent(path.slice(3)));
    if (path.startsWith('/d/')) return pageDept(main, decodeURIComponent(path.slice(3)));
    if (path === '/blocked') return pageList(main, true);
    if (path === '/overdue') return pageList(main, false);
    if (path === '/report') return pageReport(main);
    throw new Error(w('notFound'));
  }).catch(showError);
  tick();
  setInterval(tick, 1000);
}
document.addEventListener('DOMContentLoaded', start);
