/* The Review page: each flag's small graph, drawn with cytoscape.js from the
   page's JSON (names reach the canvas as data, never as HTML). */
(function () {
  "use strict";
  var source = document.getElementById("review-graphs");
  if (!source || typeof window.cytoscape !== "function") {
    return;
  }
  var graphs = JSON.parse(source.textContent);
  var style = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 3,
      "width": 18, "height": 18, "background-color": "#4b6584", "color": "#1f2430",
      "text-max-width": 90, "text-wrap": "ellipsis", "text-background-color": "#fafbfc",
      "text-background-opacity": 0.9, "text-background-padding": 2 } },
    { selector: "edge", style: {
      "width": 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
      "line-color": "#9aa0aa", "target-arrow-color": "#9aa0aa" } },
    { selector: "edge.credit", style: { "line-color": "#2e8b57", "target-arrow-color": "#2e8b57", "width": 2.5 } },
    { selector: "edge.named", style: { "line-color": "#c0392b", "target-arrow-color": "#c0392b", "line-style": "dashed", "width": 2.5 } }
  ];
  var drawn = [];
  graphs.forEach(function (graph, i) {
    var box = document.getElementById("flag-graph-" + i);
    if (!box) {
      return;
    }
    var elements = graph.nodes.map(function (node) {
      return { group: "nodes", data: { id: node.id, label: node.label } };
    });
    graph.edges.forEach(function (edge, k) {
      var classes = [edge.kind];
      if (edge.named) {
        classes.push("named");
      }
      elements.push({
        group: "edges",
        data: { id: "e" + k, source: edge.source, target: edge.target },
        classes: classes.join(" ")
      });
    });
    var cy = window.cytoscape({
      container: box,
      elements: elements,
      style: style,
      // The most-connected person (a burst's referrer) in the middle; a ring's
      // members, all alike, around one circle.
      layout: { name: "concentric", padding: 30, minNodeSpacing: 75,
                concentric: function (node) { return node.degree(); },
                levelWidth: function () { return 1; } },
      maxZoom: 1.1, minZoom: 0.7,
      userZoomingEnabled: false,
      boxSelectionEnabled: false,
      autoungrabify: true
    });
    box.setAttribute("data-nodes", String(cy.nodes().length));
    drawn.push(cy);
  });
  // For the browser tests: the graphs as cytoscape holds them.
  window.womReviewGraphs = drawn;
}());
