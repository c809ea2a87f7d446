// What the Graph and Spread pages share: their data, the look of each kind of
// conversation (read from the legend, so that the picture and the legend cannot
// disagree), and words for numbers and dates. Names are set as text, never HTML.
'use strict';

window.womCy = (function () {
  // The kind that gives a conversation its look, when it has several.
  const KIND_ORDER = ['link', 'referral', 'heard_from', 'mention'];

  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function primaryKind(kinds) {
    for (const kind of KIND_ORDER) {
      if (kinds.indexOf(kind) >= 0) return kind;
    }
    return kinds[0] || 'mention';
  }

  function colourOf(element) {
    return getComputedStyle(element).backgroundColor;
  }

  // Cytoscape styles for edges of each kind, from the legend's samples.
  function kindStyles() {
    const styles = [];
    document.querySelectorAll('.kind-sample[data-kind]').forEach(function (sample) {
      const look = getComputedStyle(sample);
      styles.push({
        selector: 'edge[kind = "' + sample.dataset.kind + '"]',
        style: {
          'line-color': look.borderTopColor,
          'target-arrow-color': look.borderTopColor,
          'line-style': look.borderTopStyle === 'none' ? 'solid' : look.borderTopStyle,
        },
      });
    });
    return styles;
  }

  // The look of people on both pages; ``colour`` is a colour or 'data(colour)'.
  // Only nodes of class "named" (and the chosen) carry their name: measuring
  // thousands of labels would cost more than drawing the graph.
  function nodeStyles(colour) {
    return [
      {selector: 'node', style: {
        'width': 'data(size)', 'height': 'data(size)', 'background-color': colour,
        'font-size': 10, 'min-zoomed-font-size': 9,
        'text-valign': 'bottom', 'text-margin-y': 2, 'color': '#1d2330',
        'text-outline-color': '#fbfaf7', 'text-outline-width': 2,
      }},
      {selector: 'node.named', style: {'label': 'data(label)'}},
    ];
  }

  // The smallest of the ``count`` largest ``values``: who gets a name shown.
  function topFrom(values, count) {
    const sorted = values.slice().sort(function (a, b) { return b - a; });
    return Math.max(1, sorted[Math.min(sorted.length, count) - 1] || 1);
  }

  const numberFormat = new Intl.NumberFormat();

  function number(value, digits) {
    if (value === null || value === undefined) return 'not computed yet';
    if (digits !== undefined) {
      return new Intl.NumberFormat(undefined, {maximumSignificantDigits: digits}).format(value);
    }
    return numberFormat.format(value);
  }

  function money(value, currency) {
    if (value === null || value === undefined) return '–';
    try {
      return new Intl.NumberFormat(undefined, {style: 'currency', currency: currency}).format(value);
    } catch (e) {
      return numberFormat.format(value) + ' ' + currency;
    }
  }

  function day(iso) {
    if (!iso) return '–';
    return new Date(iso).toLocaleDateString(undefined, {year: 'numeric', month: 'short', day: 'numeric'});
  }

  // A name as people type it loosely: NFKC, case-folded, single spaces (as the server).
  function loose(text) {
    return String(text).normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  }

  // A definition list of [term, value] pairs, as text.
  function fillList(list, rows) {
    list.replaceChildren();
    rows.forEach(function (row) {
      const term = document.createElement('dt');
      term.textContent = row[0];
      const value = document.createElement('dd');
      value.textContent = row[1];
      list.append(term, value);
    });
  }

  return {
    data: data,
    day: day,
    fillList: fillList,
    kindStyles: kindStyles,
    loose: loose,
    money: money,
    nodeStyles: nodeStyles,
    topFrom: topFrom,
    number: number,
    primaryKind: primaryKind,
    colourOf: colourOf,
  };
})();
