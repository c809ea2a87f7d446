// The Graph page: draws the people and conversations the server chose (the
// #graph-data block, the same dict as /dashboard/graph.json) with cytoscape.js,
// laid out by fCoSE. A click on a person opens their figures; the search box
// finds a drawn person, or asks the server to start the graph from them.
//
// For tests and benchmarks: window.womGraph is the cytoscape instance, and
// #graph carries data-state ("loading", then "drawn") and data-nodes (the number
// of nodes cytoscape holds once drawn).
'use strict';

(function () {
  const marks = {start: performance.now()};
  const data = womCy.data('graph-data');
  marks.parsed = performance.now();
  const container = document.getElementById('graph');
  const status = document.getElementById('graph-status');
  const panel = document.getElementById('person-panel');
  const LABELLED = 40;
  const people = new Map(data.nodes.map(function (n) { return [n.id, n]; }));
  const key = function (id) { return 'n:' + id; };

  // Colours come from the legend's swatches (one source: the stylesheet).
  const swatches = new Map();
  document.querySelectorAll('#legend-colours .swatch').forEach(function (swatch) {
    swatches.set(swatch.dataset.community || swatch.dataset.via, womCy.colourOf(swatch));
  });
  function colour(n) {
    if (data.colour_by === 'community') {
      return swatches.get(String(n.community)) || swatches.get('other');
    }
    return swatches.get(n.status === 'prospect' ? 'prospect' : n.acquired_via || 'root');
  }

  let maxReach = 1;
  data.nodes.forEach(function (n) { maxReach = Math.max(maxReach, n.figures.reach || 0); });
  // The largest starters carry their names, as in Gephi.
  const labelFrom = womCy.topFrom(data.nodes.map(function (n) { return n.figures.reach || 0; }), LABELLED);
  const elements = [];
  data.nodes.forEach(function (n) {
    elements.push({
      group: 'nodes',
      data: {
        id: key(n.id),
        label: n.name || n.id,
        size: 8 + 42 * Math.sqrt((n.figures.reach || 0) / maxReach),
        colour: colour(n),
      },
      classes: (n.figures.reach || 0) >= labelFrom ? 'named' : '',
    });
  });
  data.edges.forEach(function (e, i) {
    elements.push({
      group: 'edges',
      data: {
        id: 'e:' + i,
        source: key(e.source),
        target: key(e.target),
        kind: womCy.primaryKind(e.kinds),
        width: e.credited ? 2.5 : 1,
      },
    });
  });

  const large = data.nodes.length > 1000;
  const cy = cytoscape({
    container: container,
    elements: elements,
    layout: {name: 'preset'},
    minZoom: 0.05,
    maxZoom: 5,
    hideEdgesOnViewport: large,
    textureOnViewport: large,
    // A large drawing at one pixel per CSS pixel: a quarter of the pixels to
    // paint on a high-density screen.
    pixelRatio: large ? 1 : 'auto',
    style: womCy.nodeStyles('data(colour)').concat([
      {selector: 'edge', style: {
        'width': 'data(width)', 'curve-style': 'straight', 'target-arrow-shape': 'triangle',
        'arrow-scale': 0.6, 'opacity': 0.75,
      }},
    ], womCy.kindStyles(), [
      {selector: '.faded', style: {'opacity': 0.12, 'label': ''}},
      {selector: 'node.chosen', style: {'label': 'data(label)', 'border-width': 4, 'border-color': '#1d2330', 'min-zoomed-font-size': 0, 'font-size': 14, 'z-index': 10}},
      {selector: 'node.near', style: {'label': 'data(label)', 'min-zoomed-font-size': 0}},
    ]),
  });
  window.womGraph = cy;
  marks.created = performance.now();

  function drawn() {
    marks.laidOut = performance.now();
    cy.fit(undefined, 24);
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    // Since the navigation began: the server, the download and the drawing.
    container.dataset.drawnAt = String(Math.round(performance.now()));
    container.dataset.state = 'drawn';
    // Where the time went (ms since the navigation began), for the benchmark.
    container.dataset.marks = JSON.stringify(marks);
    status.textContent = 'Drawn: ' + womCy.number(cy.nodes().length) + ' people and ' +
      womCy.number(cy.edges().length) + ' conversations. Click a person, or find one by name, to see their figures.';
    if (data.focus) choose(data.focus);
  }

  // -- the side panel ---------------------------------------------------------

  const VIA = {root: 'came by themselves', referred: 'referred', mention: 'after a mention'};

  function openPanel(n) {
    const f = n.figures;
    document.getElementById('panel-name').textContent = n.name || n.id;
    document.getElementById('panel-id').textContent = n.id + ' · ' +
      (n.status === 'prospect' ? 'prospect (told, not a customer yet)'
        : 'customer since ' + womCy.day(n.acquired_at) + ', ' + (VIA[n.acquired_via] || n.acquired_via));
    womCy.fillList(document.getElementById('panel-figures'), [
      ['Reach', womCy.number(f.reach)],
      ['Direct referrals', womCy.number(f.direct_referrals)],
      ['Indirect', womCy.number((f.reach || 0) - (f.direct_referrals || 0))],
      ['Conversations started', womCy.number(f.conversations_started)],
      ['Generations below', womCy.number(f.generations)],
      ['Value', womCy.money(n.value, data.currency)],
      ['Referred value', womCy.money(f.referred_value, data.currency)],
      ['Influence', womCy.number(f.influence, 3)],
      ['Conversation reach', womCy.number(f.conversation_reach)],
      ['Expected spread', womCy.number(f.expected_spread, 3)],
      ['Credited referrer', n.credited_referrer || 'none'],
      ['Cascade', n.cascade_root || n.cascade],
      ['Community', n.community === null ? (data.colour_by === 'community' ? 'none' : 'not computed yet') : String(n.community + 1)],
    ]);
    document.getElementById('panel-link').href = '/dashboard/customers/' + encodeURIComponent(n.id);
    panel.hidden = false;
    document.getElementById('panel-name').focus();
  }

  function clear() {
    cy.batch(function () { cy.elements().removeClass('faded chosen near'); });
  }

  function choose(id, centre) {
    const node = cy.getElementById(key(id));
    if (node.empty()) return false;
    cy.batch(function () {
      cy.elements().removeClass('chosen near').addClass('faded');
      node.closedNeighborhood().removeClass('faded').addClass('near');
      node.addClass('chosen');
    });
    if (centre !== false) cy.animate({center: {eles: node}, zoom: Math.max(cy.zoom(), 1.2)}, {duration: 300});
    openPanel(people.get(id));
    return true;
  }

  cy.on('tap', 'node', function (event) { choose(event.target.id().slice(2), false); });
  cy.on('tap', function (event) {
    if (event.target === cy) { clear(); panel.hidden = true; }
  });
  document.getElementById('panel-close').addEventListener('click', function () {
    clear();
    panel.hidden = true;
    document.getElementById('focus').focus();
  });

  // -- search: among the drawn people first, else the server starts from them ----

  document.getElementById('graph-filters').addEventListener('submit', function (event) {
    const asked = document.getElementById('focus').value.trim();
    if (!asked || asked === (data.filters.focus || '')) return;
    const wanted = womCy.loose(asked);
    let found = people.has(asked) ? asked : null;
    if (!found) {
      for (const n of data.nodes) {
        if (n.name && womCy.loose(n.name).startsWith(wanted)) { found = n.id; break; }
      }
    }
    if (found && choose(found)) event.preventDefault();
  });

  // fCoSE lays the drawing out. A large one is drawn at once from fCoSE's
  // spectral draft (a fraction of a second), then refined by its force-directed
  // pass from those positions once the page has shown it.
  const LAYOUT = {
    name: 'fcose',
    randomize: true,
    animate: false,
    nodeRepulsion: function () { return 6000; },
    idealEdgeLength: function () { return 40; },
    numIter: 1000,
  };
  const first = cy.layout(Object.assign({}, LAYOUT, {quality: large ? 'draft' : 'default'}));
  first.one('layoutstop', function () {
    drawn();
    if (!large) return;
    container.dataset.refined = 'no';
    requestAnimationFrame(function () {
      setTimeout(function () {
        const refine = cy.layout(Object.assign({}, LAYOUT, {quality: 'default', randomize: false}));
        refine.one('layoutstop', function () {
          marks.refined = performance.now();
          container.dataset.marks = JSON.stringify(marks);
          container.dataset.refined = 'yes';
          if (!cy.$('node.chosen').nonempty()) cy.fit(undefined, 24);
        });
        refine.run();
      }, 0);
    });
  });
  first.run();
})();
