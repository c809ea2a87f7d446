// A cascade page: the tree drawn by cytoscape.js (breadthfirst, one row per
// generation) from the #cascade-data block (the same dict as the page's .json
// twin), and a playback of the spread in time. People appear when they
// converted and conversations when they were first touched; the count says how
// many by the date shown.
//
// For tests and benchmarks: window.womSpread = {cy, frames, renders, playing()}:
// cytoscape's own state (hidden elements carry the class "later") and the frames
// counted while playing, by requestAnimationFrame and by cytoscape's render event.
// #tree carries data-state ("loading", then "drawn") and data-nodes.
'use strict';

(function () {
  const data = womCy.data('cascade-data');
  const container = document.getElementById('tree');
  const button = document.getElementById('play');
  const speed = document.getElementById('speed');
  const scrub = document.getElementById('scrub');
  const count = document.getElementById('playback-count');
  const key = function (id) { return 'n:' + id; };
  // The whole span plays in this long at 1×.
  const SPAN_MS = 40000;

  // A time the server does not know counts as the very start.
  const time = function (iso) { const at = Date.parse(iso); return isNaN(at) ? -Infinity : at; };
  // The starter and the largest below carry their names.
  const labelFrom = womCy.topFrom(data.nodes.map(function (n) { return n.reach; }), 30);
  const elements = [];
  data.nodes.forEach(function (n, order) {
    elements.push({group: 'nodes', classes: n.generation === 0 || n.reach >= labelFrom ? 'named' : '', data: {
      id: key(n.id), order: order, label: n.name || n.id, at: time(n.acquired_at),
      size: n.generation === 0 ? 28 : 10 + 14 * Math.sqrt(Math.min(n.reach, 100) / 100),
    }});
  });
  data.edges.forEach(function (e, i) {
    elements.push({group: 'edges', data: {
      id: 'e:' + i, source: key(e.source), target: key(e.target), at: time(e.at),
      kind: womCy.primaryKind(e.kinds), credited: e.credited,
    }});
  });

  const cy = cytoscape({
    container: container,
    elements: elements,
    layout: {name: 'preset'},
    minZoom: 0.02,
    maxZoom: 4,
    style: womCy.nodeStyles('#0f766e').concat([
      {selector: 'edge', style: {'width': 1, 'curve-style': 'haystack', 'opacity': 0.35}},
      {selector: 'edge[?credited]', style: {'width': 2.5, 'opacity': 0.9}},
    ], womCy.kindStyles(), [
      {selector: '.later', style: {'visibility': 'hidden'}},
    ]),
  });

  // Generations as rows: the tree's own edges decide the rows, from the starter.
  // The box gives each person of the widest shown row some room.
  let widest = 0;
  const rows = new Map();
  data.nodes.forEach(function (n) { rows.set(n.generation, (rows.get(n.generation) || 0) + 1); });
  rows.forEach(function (count) { widest = Math.max(widest, count); });
  cy.elements('node, edge[?credited]').layout({
    name: 'breadthfirst',
    roots: cy.getElementById(key(data.nodes[0].id)),
    directed: true,
    animate: false,
    // The server's order is breadth first, each one's children together:
    // kept in every row, no two lines of the tree cross.
    depthSort: function (a, b) { return a.data('order') - b.data('order'); },
    boundingBox: {x1: 0, y1: 0, w: Math.max(600, 24 * widest), h: 70 * rows.size},
  }).run();
  cy.fit(undefined, 20);
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.state = 'drawn';

  // -- playback ----------------------------------------------------------------

  const byTime = function (a, b) { return a.data('at') - b.data('at'); };
  const people = cy.nodes().toArray().sort(byTime);
  const talks = cy.edges().toArray().sort(byTime);
  const start = Date.parse(data.timeline.start);
  const end = Date.parse(data.timeline.end);
  const span = Math.max(end - start, 1);
  let now = end; // every element shown: where the page starts
  let shownPeople = people.length;
  let shownTalks = talks.length;
  let playing = false;
  let last = null;
  const state = {cy: cy, frames: 0, renders: 0, playing: function () { return playing; }};
  window.womSpread = state;
  cy.on('render', function () { if (playing) state.renders += 1; });

  // How many of ``sorted`` happened by ``at``: a binary search.
  function upTo(sorted, at) {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle].data('at') <= at) low = middle + 1; else high = middle;
    }
    return low;
  }

  function show(at) {
    const people_ = upTo(people, at);
    const talks_ = upTo(talks, at);
    if (people_ !== shownPeople || talks_ !== shownTalks) {
      cy.batch(function () {
        step(people, shownPeople, people_);
        step(talks, shownTalks, talks_);
      });
      shownPeople = people_;
      shownTalks = talks_;
    }
    now = at;
    scrub.value = String(Math.round(1000 * (at - start) / span));
    count.textContent = womCy.number(people_) + ' people, ' + womCy.number(talks_) +
      ' conversations by ' + womCy.day(new Date(at).toISOString());
  }

  // Only what crossed the time changes: the few elements of this frame.
  function step(sorted, from, to) {
    for (let i = from; i < to; i++) sorted[i].removeClass('later');
    for (let i = to; i < from; i++) sorted[i].addClass('later');
  }

  function frame(time) {
    if (!playing) return;
    state.frames += 1;
    if (last !== null) {
      const next = now + (time - last) * Number(speed.value) * span / SPAN_MS;
      show(Math.min(next, end));
      if (next >= end) { pause(); return; }
    }
    last = time;
    requestAnimationFrame(frame);
  }

  function play() {
    if (now >= end) show(start);
    playing = true;
    last = null;
    button.textContent = 'Pause';
    requestAnimationFrame(frame);
  }

  function pause() {
    playing = false;
    button.textContent = 'Play';
  }

  button.addEventListener('click', function () { if (playing) pause(); else play(); });
  scrub.addEventListener('input', function () {
    pause();
    show(start + span * Number(scrub.value) / 1000);
  });
  show(end);
})();
