// thinlab ui: the page. Plain modules, no framework: the state is the branch, the position and the
// selected thin; the URL holds branch and position so that a link reopens the same view.
const FREE = -1;
const SHARED = -2;
const LEAKED = -3;
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  branches: [],
  branch: null,
  position: 0,
  length: 0,
  timeline: null,
  events: [],
  at: null,
  selected: null, // { pool, id }
  changed: null, // { pool: runs } from the last diff
  zoom: {}, // pool -> [start, end) window of blocks
};

const $ = (id) => document.getElementById(id);

function message(text, isError = false) {
  const m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function getJson(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

async function postJson(path, value) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    // Colours name CSS variables, which only style properties resolve.
    if ((k === 'fill' || k === 'stroke') && String(v).startsWith('var(')) e.style[k] = v;
    else e.setAttribute(k, String(v));
  }
  return e;
}

const percent = (used, total) => (used === null || !total ? null : (used * 100) / total);
const mib = (sectors) => (sectors === null ? '' : `${(sectors / 2048).toFixed(1)} MiB`);

// ---- history: branches, events, slider ------------------------------------------------------

function renderBranchTree() {
  const tree = $('branch-tree');
  tree.replaceChildren();
  const children = (parent) => state.branches.filter((b) => b.parent === parent);
  const item = (b) => {
    const from = b.parent === null ? '' : ` from ${b.parent}@${b.forkPosition}`;
    const link = el('a', { 'data-branch': b.name, onclick: () => selectBranch(b.name, b.length) }, b.name);
    if (b.name === state.branch) link.className = 'selected';
    const li = el('li', {}, link, ` ${b.length} events${from}${b.head ? ' (head)' : ''}`);
    const kids = children(b.name);
    if (kids.length > 0) li.append(el('ul', {}, ...kids.map(item)));
    return li;
  };
  for (const b of children(null)) tree.append(item(b));
  const select = $('branch');
  select.replaceChildren(...state.branches.map((b) => el('option', { value: b.name }, b.name)));
  select.value = state.branch ?? '';
}

function renderEvents() {
  const list = $('events');
  list.replaceChildren(
    el('div', { 'data-pos': 0, onclick: () => moveTo(0) }, '     0  (the fresh lab)'),
    ...state.events.map((e) =>
      el(
        'div',
        { 'data-pos': e.position, class: e.status ? 'failed' : '', onclick: () => moveTo(e.position) },
        `${String(e.position).padStart(6)}  ${(e.timeMs / 1000).toFixed(3).padStart(9)}s  `,
        el('span', { class: 'text' }, e.text),
      ),
    ),
  );
  markCurrentEvent();
}

function markCurrentEvent() {
  for (const d of $('events').children) d.classList.toggle('current', Number(d.dataset.pos) === state.position);
  const current = $('events').querySelector('.current');
  current?.scrollIntoView({ block: 'nearest' });
  const e = state.events.find((x) => x.position === state.position);
  $('event-output').textContent = e === undefined ? '(position 0: nothing has run yet)' : `$ ${e.text}\n${e.output}`;
}

async function loadEvents() {
  const rows = [];
  for (let from = 0; from < state.length; from += 2000) {
    rows.push(
      ...(await getJson(`/api/events?branch=${encodeURIComponent(state.branch)}&from=${from}&to=${from + 2000}`)),
    );
    if (rows.length >= 20000) break; // a long branch: the list shows its first 20,000 events
  }
  state.events = rows;
}

async function selectBranch(name, position) {
  const b = state.branches.find((x) => x.name === name);
  if (b === undefined) return message(`no branch '${name}'`, true);
  state.branch = name;
  state.length = b.length;
  state.changed = null;
  $('slider').max = String(b.length);
  renderBranchTree();
  message(`loading ${name} ...`);
  await loadEvents();
  renderEvents();
  state.timeline = expandTimeline(await getJson(`/api/timeline?branch=${encodeURIComponent(name)}`));
  await moveTo(Math.max(0, Math.min(position, b.length)));
  message('');
}

/** The server sends each column as [value, count] runs; the plot wants one value per position. */
function expandTimeline(t) {
  const expand = (runs) => runs.flatMap(([v, n]) => new Array(n).fill(v));
  const columns = [
    'dataUsed',
    'dataTotal',
    'metaUsed',
    'metaTotal',
    'mode',
    'lowWaterBlocks',
    'dockerMinFree',
    'lvmAutoextend',
  ];
  return {
    ...t,
    timeMs: expand(t.timeMs),
    pools: t.pools.map((p) => ({ ...p, ...Object.fromEntries(columns.map((c) => [c, expand(p[c])])) })),
  };
}

let moveSeq = 0;

async function moveTo(position) {
  state.position = position;
  $('slider').value = String(position);
  $('where').textContent = `${state.branch}@${position} / ${state.length}`;
  const url = new URL(location.href);
  url.searchParams.set('branch', state.branch);
  url.searchParams.set('pos', String(position));
  history.replaceState(null, '', url);
  markCurrentEvent();
  renderUsage();
  const seq = ++moveSeq;
  const at = await getJson(`/api/at?branch=${encodeURIComponent(state.branch)}&pos=${position}`);
  if (seq !== moveSeq) return; // the slider moved on while this one loaded
  state.at = at;
  renderAt();
  if ($('diff-a').value === '' || $('diff-a').dataset.auto === '1') {
    $('diff-a').value = `${state.branch}@${Math.max(0, position - 1)}`;
    $('diff-a').dataset.auto = '1';
  }
  if ($('diff-b').value === '' || $('diff-b').dataset.auto === '1') {
    $('diff-b').value = `${state.branch}@${position}`;
    $('diff-b').dataset.auto = '1';
  }
}

// ---- usage over time ---------------------------------------------------------------------------

const MARKER_GLYPHS = { snapshot: '▼', delete: '✕', discard: '◆', fault: '⚡', crash: '☠' };

/**
 * A line over positions. A long branch has more positions than the plot has pixels: each of about
 * 2000 buckets then draws its lowest and highest value, so no peak is lost and the path stays small.
 */
function polyline(values, x, y, cls, color, dashed) {
  let d = '';
  const step = Math.max(1, Math.floor(values.length / 2000));
  let broken = true;
  for (let start = 0; start < values.length; start += step) {
    let lo = null;
    let hi = null;
    let loAt = start;
    let hiAt = start;
    for (let i = start; i < Math.min(values.length, start + step); i++) {
      const v = values[i];
      if (v === null) continue;
      if (lo === null || v < lo) [lo, loAt] = [v, i];
      if (hi === null || v > hi) [hi, hiAt] = [v, i];
    }
    if (lo === null) {
      broken = true;
      continue;
    }
    const points =
      loAt <= hiAt
        ? [
            [loAt, lo],
            [hiAt, hi],
          ]
        : [
            [hiAt, hi],
            [loAt, lo],
          ];
    for (const [i, v] of step === 1 ? [points[0]] : points) {
      d += `${broken ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      broken = false;
    }
  }
  return svg('path', {
    d,
    class: cls,
    fill: 'none',
    stroke: color,
    'stroke-width': dashed ? 1.2 : 2,
    ...(dashed ? { 'stroke-dasharray': '5 3' } : {}),
  });
}

function modeBands(pool, x, top, height) {
  const g = svg('g', { class: 'bands' });
  let start = 0;
  for (let i = 1; i <= pool.mode.length; i++) {
    if (i < pool.mode.length && pool.mode[i] === pool.mode[start]) continue;
    const m = pool.mode[start];
    if (m !== null) {
      const mode = pool.modes[m];
      const rect = svg('rect', {
        class: 'band',
        'data-mode': mode,
        'data-from': start,
        'data-to': i - 1,
        x: x(start - 0.5),
        y: top,
        width: Math.max(1, x(i - 0.5) - x(start - 0.5)),
        height,
        fill: `var(--${mode}, #ccc)`,
        opacity: 0.55,
      });
      rect.append(svg('title'));
      rect.lastChild.textContent = `${mode}: positions ${start}..${i - 1}`;
      g.append(rect);
    }
    start = i;
  }
  return g;
}

function usagePlot(pool, t) {
  const W = 1000;
  const H = 230;
  const left = 40;
  const right = 10;
  const top = 18;
  const bottom = 22;
  const n = t.length;
  const x = (i) => left + ((W - left - right) * i) / Math.max(1, n);
  const y = (p) => top + (H - top - bottom) * (1 - p / 100);
  const plot = svg('svg', {
    class: 'usage',
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'none',
    'data-pool': pool.name,
  });
  plot.append(modeBands(pool, x, top, H - top - bottom));
  for (const p of [0, 25, 50, 75, 100]) {
    plot.append(svg('line', { x1: left, x2: W - right, y1: y(p), y2: y(p), stroke: '#ddd' }));
    const label = svg('text', { x: 4, y: y(p) + 4 });
    label.textContent = `${p}%`;
    plot.append(label);
  }
  const data = pool.dataUsed.map((u, i) => percent(u, pool.dataTotal[i]));
  const meta = pool.metaUsed.map((u, i) => percent(u, pool.metaTotal[i]));
  const lowWater = pool.lowWaterBlocks.map((lw, i) =>
    lw && pool.dataTotal[i] ? 100 - (lw * 100) / pool.dataTotal[i] : null,
  );
  plot.append(polyline(lowWater, x, y, 'low-water', 'var(--lowwater)', true));
  plot.append(polyline(pool.dockerMinFree, x, y, 'docker-min-free', 'var(--docker)', true));
  plot.append(polyline(pool.lvmAutoextend, x, y, 'lvm-autoextend', 'var(--lvm)', true));
  const dataLine = polyline(data, x, y, 'data', 'var(--data)', false);
  dataLine.dataset.max = String(data.reduce((m, v) => (v !== null && v > m ? v : m), 0));
  plot.append(dataLine, polyline(meta, x, y, 'meta', 'var(--meta)', false));
  for (const m of t.markers) {
    if (pool.mode[m.position] === null) continue;
    const mark = svg('text', { x: x(m.position) - 4, y: 12, class: `marker marker-${m.kind}` });
    mark.textContent = MARKER_GLYPHS[m.kind];
    mark.append(svg('title'));
    mark.lastChild.textContent = `${m.kind} at ${m.position}`;
    plot.append(mark);
  }
  plot.append(
    svg('line', {
      class: 'cursor',
      x1: x(state.position),
      x2: x(state.position),
      y1: top,
      y2: H - bottom,
      stroke: '#000',
    }),
  );
  const caption = svg('text', { x: left, y: H - 6 });
  const i = state.position;
  caption.textContent =
    pool.mode[i] === null
      ? `${pool.name}: no such pool at ${i}`
      : `${pool.name} at ${i}: data ${pool.dataUsed[i]}/${pool.dataTotal[i]} blocks (${data[i].toFixed(1)}%), metadata ${pool.metaUsed[i]}/${pool.metaTotal[i]} (${meta[i].toFixed(1)}%), ${pool.modes[pool.mode[i]]}`;
  plot.append(caption);
  plot.addEventListener('click', (ev) => {
    const box = plot.getBoundingClientRect();
    const vx = ((ev.clientX - box.left) * W) / box.width;
    const pos = Math.round(((vx - left) * Math.max(1, n)) / (W - left - right));
    moveTo(Math.max(0, Math.min(n, pos)));
  });
  return plot;
}

function renderUsage() {
  const t = state.timeline;
  const box = $('usage');
  box.replaceChildren();
  if (t === null) return;
  if (t.pools.length === 0) box.append(el('p', {}, 'No pool on this branch yet.'));
  for (const pool of t.pools) box.append(el('h3', {}, pool.name), usagePlot(pool, t));
}

// ---- at a position: device tree, block map, tables ---------------------------------------------

// Styles are set through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
function indented(td, depth) {
  td.style.paddingLeft = `${0.5 + depth * 1.4}em`;
  return td;
}

function thinRow(pool, t, depth) {
  const row = el(
    'tr',
    { class: 'thin', 'data-pool': pool.name, 'data-thin': t.id, onclick: () => selectThin(pool.name, t.id) },
    indented(el('td', {}, `${depth > 0 ? '└ ' : ''}${t.id}: ${t.label}`), depth),
    el('td', {}, mib(t.sizeSectors)),
    el('td', {}, String(t.mapped)),
    el('td', { class: 'exclusive' }, String(t.exclusive)),
    el('td', { class: 'shared' }, String(t.shared)),
    el(
      'td',
      { title: t.device ?? '' },
      t.device === null ? '(inactive)' : t.device.length > 32 ? `${t.device.slice(0, 31)}…` : t.device,
    ),
  );
  if (state.selected?.pool === pool.name && state.selected.id === t.id) row.classList.add('selected');
  if (t.originBy !== null) row.title = `snapshot of ${t.originId} (by ${t.originBy})`;
  return row;
}

function deviceTree(pool) {
  const table = el(
    'table',
    { class: 'device-tree' },
    el('tr', {}, ...['device', 'size', 'mapped', 'exclusive', 'shared', 'active as'].map((h) => el('th', {}, h))),
  );
  const ids = new Set(pool.thins.map((t) => t.id));
  const walk = (origin, depth) => {
    for (const t of pool.thins.filter((x) => (ids.has(x.originId) ? x.originId : null) === origin)) {
      table.append(thinRow(pool, t, depth));
      walk(t.id, depth + 1);
    }
  };
  walk(null, 0);
  return table;
}

function colorOf(code) {
  if (code === FREE) return '#eceff1';
  if (code === SHARED) return '#546e7a';
  if (code === LEAKED) return '#d50000';
  return `hsl(${(code * 67) % 360}, 65%, 55%)`;
}

function expandRuns(runs, length) {
  const out = new Int32Array(length).fill(FREE);
  let i = 0;
  for (const [v, n] of runs) {
    out.fill(v, i, i + n);
    i += n;
  }
  return out;
}

function blockSet(runs, length) {
  const out = new Uint8Array(length);
  for (const [start, n] of runs) out.fill(1, start, Math.min(length, start + n));
  return out;
}

/** Draws the pool's blocks from `start` to `end`, each cell one or more blocks. */
function drawBlockMap(canvas, pool) {
  const owners = expandRuns(pool.map, pool.dataTotal);
  const [start, end] = state.zoom[pool.name] ?? [0, pool.dataTotal];
  const count = Math.max(1, end - start);
  const W = canvas.width;
  const H = canvas.height;
  const cell = Math.max(1, Math.min(24, Math.floor(Math.sqrt((W * H) / count))));
  const cols = Math.floor(W / cell);
  const rows = Math.floor(H / cell);
  const perCell = Math.max(1, Math.ceil(count / (cols * rows)));
  const selected = state.selected?.pool === pool.name ? pool.thins.find((t) => t.id === state.selected.id) : null;
  const mine = selected ? blockSet(selected.runs, pool.dataTotal) : null;
  const changed = state.changed?.[pool.name] ? blockSet(state.changed[pool.name], pool.dataTotal) : null;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  let exclusive = 0;
  let shared = 0;
  let used = 0;
  let changedCount = 0;
  for (let b = 0; b < owners.length; b++) {
    if (owners[b] !== FREE && owners[b] !== LEAKED) used++;
    if (mine?.[b]) owners[b] === SHARED ? shared++ : exclusive++;
    if (changed?.[b]) changedCount++;
  }
  for (let c = 0; c * perCell < count; c++) {
    let code = FREE;
    let hit = false;
    let diff = false;
    for (let b = start + c * perCell; b < Math.min(end, start + (c + 1) * perCell); b++) {
      if (owners[b] !== FREE && (code === FREE || owners[b] === LEAKED || owners[b] === SHARED)) code = owners[b];
      if (mine?.[b]) hit = true;
      if (changed?.[b]) diff = true;
    }
    let color = colorOf(code);
    if (mine !== null)
      color = hit ? (code === SHARED ? '#ffc400' : colorOf(selected.id)) : code === FREE ? '#f7f7f7' : '#cfd8dc';
    const x = (c % cols) * cell;
    const y = Math.floor(c / cols) * cell;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, Math.max(1, cell - (cell > 3 ? 1 : 0)), Math.max(1, cell - (cell > 3 ? 1 : 0)));
    if (diff) {
      ctx.strokeStyle = '#e000e0';
      ctx.lineWidth = Math.max(1, cell / 5);
      ctx.strokeRect(x + 0.5, y + 0.5, Math.max(1, cell - 2), Math.max(1, cell - 2));
    }
  }
  Object.assign(canvas.dataset, {
    used: String(used),
    total: String(pool.dataTotal),
    highlightExclusive: String(exclusive),
    highlightShared: String(shared),
    changed: String(changedCount),
    window: `${start}-${end}`,
    blocksPerCell: String(perCell),
  });
  canvas.onclick = (ev) => {
    const box = canvas.getBoundingClientRect();
    const c = Math.floor((ev.clientY - box.top) / cell) * cols + Math.floor((ev.clientX - box.left) / cell);
    const centre = start + c * perCell;
    const half = Math.max(8, Math.floor(count / 4));
    state.zoom[pool.name] = [Math.max(0, centre - half), Math.min(pool.dataTotal, centre + half)];
    drawBlockMap(canvas, pool);
  };
}

function poolSection(pool) {
  const canvas = el('canvas', { class: 'blockmap', width: 960, height: 240, 'data-pool': pool.name });
  const reset = el(
    'button',
    {
      onclick: () => {
        delete state.zoom[pool.name];
        drawBlockMap(canvas, pool);
      },
    },
    'whole pool',
  );
  const clear = el(
    'button',
    {
      onclick: () => {
        state.selected = null;
        state.changed = null;
        renderAt();
      },
    },
    'clear highlight',
  );
  const section = el(
    'div',
    { class: 'pool', 'data-pool': pool.name },
    el(
      'h3',
      {},
      `${pool.name}: ${pool.mode}, data ${pool.dataUsed}/${pool.dataTotal} blocks, metadata ${pool.metaUsed}/${pool.metaTotal}, block ${pool.blockSizeSectors / 2} KiB${pool.leaked ? `, ${pool.leaked} leaked` : ''}`,
    ),
    deviceTree(pool),
    el(
      'p',
      { class: 'map-tools' },
      'Data blocks (click to zoom in; colours: one per thin, dark grey shared, red leaked, light free; a selected thin: its colour exclusive, yellow shared; magenta outline changed) ',
      reset,
      ' ',
      clear,
    ),
    canvas,
  );
  drawBlockMap(canvas, pool);
  return section;
}

function selectThin(pool, id) {
  state.selected = state.selected?.pool === pool && state.selected.id === id ? null : { pool, id };
  renderAt();
}

function renderAt() {
  const at = state.at;
  $('at-title').textContent = `${at.branch}@${at.position}  time ${(at.timeMs / 1000).toFixed(3)}s  state ${at.state}`;
  const pools = $('pools');
  pools.replaceChildren(
    ...(at.pools.length === 0 ? [el('p', {}, 'No thin pool at this position.')] : at.pools.map(poolSection)),
  );
  $('tables').textContent =
    at.devices.length === 0
      ? 'No devices found'
      : at.devices
          .map((d) => `${d.name} (${d.state})\n  table:  ${d.table ?? ''}\n  status: ${d.status ?? ''}`)
          .join('\n');
  $('lifecycle').textContent = [
    ...Object.entries(at.lifecycle.pools).map(([k, v]) => `pool ${k}: ${v}`),
    ...Object.entries(at.lifecycle.thins).map(([k, v]) => `thin ${k}: ${v}`),
  ].join('\n');
  renderLvm(at.lvm);
  renderDocker(at.docker);
}

function renderLvm(vgs) {
  const box = $('lvm-view');
  box.replaceChildren();
  if (vgs.length === 0) return;
  const table = el(
    'table',
    {},
    el('tr', {}, ...['LV', 'VG', 'role', 'size', 'Data%', 'Meta%', 'pool'].map((h) => el('th', {}, h))),
  );
  for (const vg of vgs)
    for (const lv of vg.volumes)
      table.append(
        el(
          'tr',
          {},
          ...[
            lv.name,
            vg.name,
            lv.role,
            mib(lv.sizeSectors),
            lv.dataPercent?.toFixed(2) ?? '',
            lv.metaPercent?.toFixed(2) ?? '',
            lv.pool ?? '',
          ].map((c) => el('td', {}, c)),
        ),
      );
  box.append(el('h3', {}, 'LVM'), table);
}

function renderDocker(docker) {
  const box = $('docker-view');
  box.replaceChildren();
  if (docker === null) return;
  const images = el(
    'table',
    {},
    el('tr', {}, el('th', {}, 'image'), el('th', {}, 'layers')),
    ...docker.images.map((i) => el('tr', {}, el('td', {}, i.ref), el('td', {}, String(i.layers)))),
  );
  const containers = el(
    'table',
    {},
    el('tr', {}, ...['container', 'state', 'image', 'thin id'].map((h) => el('th', {}, h))),
    ...docker.containers.map((c) =>
      el('tr', {}, ...[c.name, c.state, c.image, c.thinId ?? ''].map((v) => el('td', {}, String(v)))),
    ),
  );
  box.append(el('h3', {}, 'Docker'), images, containers);
}

// ---- between two positions, actions ------------------------------------------------------------

async function runDiff() {
  try {
    const a = $('diff-a').value.trim();
    const b = $('diff-b').value.trim();
    const r = await getJson(`/api/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    $('diff-text').textContent = r.text;
    state.changed = r.changed;
    renderAt();
  } catch (e) {
    message(e.message, true);
  }
}

async function refreshBranches() {
  state.branches = await getJson('/api/branches');
}

async function branchHere() {
  try {
    const name = $('branch-name').value.trim();
    const r = await postJson('/api/branch', { branch: state.branch, position: state.position, name });
    $('action-result').textContent = r.text;
    await refreshBranches();
    await selectBranch(r.branch, state.position);
  } catch (e) {
    message(e.message, true);
  }
}

async function runWhatIf() {
  try {
    message('running whatif ...');
    const r = await postJson('/api/whatif', { branch: state.branch, at: state.position, inject: $('inject').value });
    const d = r.firstDifference;
    $('action-result').textContent =
      `recorded as branch ${r.name}\n` +
      (d === null
        ? 'every command after the injection printed the same'
        : `first difference at ${r.branch}@${d.originalPosition} = ${r.name}@${d.whatIfPosition}: ${d.command}`) +
      `\n${r.data.filter((x) => x.lost).length} range(s) of data lost`;
    await refreshBranches();
    renderBranchTree();
    message('');
  } catch (e) {
    message(e.message, true);
  }
}

function wire() {
  $('slider').addEventListener('input', () => moveTo(Number($('slider').value)));
  $('prev').addEventListener('click', () => moveTo(Math.max(0, state.position - 1)));
  $('next').addEventListener('click', () => moveTo(Math.min(state.length, state.position + 1)));
  $('branch').addEventListener('change', () => selectBranch($('branch').value, Number.MAX_SAFE_INTEGER));
  $('branch-here').addEventListener('click', branchHere);
  $('whatif').addEventListener('click', runWhatIf);
  $('diff-run').addEventListener('click', runDiff);
  for (const id of ['diff-a', 'diff-b']) $(id).addEventListener('input', () => ($(id).dataset.auto = '0'));
  document.addEventListener('keydown', (ev) => {
    // Inputs keep their keys: the slider steps by itself (and fires 'input'), text fields edit.
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 }[ev.key];
    if (step !== undefined) {
      ev.preventDefault();
      moveTo(Math.max(0, Math.min(state.length, state.position + step)));
    } else if (ev.key === 'Home') moveTo(0);
    else if (ev.key === 'End') moveTo(state.length);
  });
}

async function start() {
  wire();
  try {
    await refreshBranches();
    if (state.branches.length === 0) {
      message('The database has no lab yet: run `npx thinlab demo` (or `npm start`) first, then reload.', true);
      return;
    }
    const params = new URLSearchParams(location.search);
    const wanted = params.get('branch');
    // Without a branch in the URL: the first branch of the head's lineage, so that after
    // `npm start` the page opens on the demo's whole story rather than on the rolled-back branch.
    let root = state.branches.find((b) => b.head) ?? state.branches[0];
    while (root.parent !== null) root = state.branches.find((b) => b.name === root.parent) ?? { ...root, parent: null };
    const branch = state.branches.find((b) => b.name === wanted) ?? root;
    const pos = params.has('pos') ? Number(params.get('pos')) : branch.length;
    const posOk = Number.isInteger(pos) && pos >= 0 && pos <= branch.length;
    await selectBranch(branch.name, posOk ? pos : branch.length);
    // A link that names what is not there says so rather than quietly showing something else.
    if (wanted !== null && branch.name !== wanted)
      message(`no branch '${wanted}' in this database: showing ${branch.name}`, true);
    else if (!posOk)
      message(`position '${params.get('pos')}' is outside ${branch.name} (0..${branch.length}): showing its end`, true);
    document.body.dataset.ready = '1';
  } catch (e) {
    message(e.message, true);
  }
}

start();
