import Foundation
extension Assets {
    /// The only script: plain JavaScript, no build step. Pages are complete without it; it adds
    /// - live regions: on each `change` server-sent event (and on every (re)connect) the page's own URL is fetched
    ///   with `X-Waveline-Fragment: 1` and the region brought up to date in place (`morph`): elements are matched by
    ///   `id`, `data-key` or `data-node` (else by position and tag), only changed attributes and text are written,
    ///   and the element holding focus and its ancestors are never replaced, so focus, caret, scroll and open
    ///   `<details>` stay; one fetch at a time, the last change always wins. The region has no `aria-live`: its one
    ///   `role="status"` line (`#live-status`) is what is announced, when its words change. When that line's
    ///   `data-state` changes, the flash message of the last action (`#flash`) goes: it spoke of the state before;
    /// - the node log: lines appended from the API's log stream (resumed by event id, deduplicated by line id);
    /// - search as you type over the log, elapsed times that tick, confirmation of destructive actions (a dialog,
    ///   then `confirmed=yes`; without the script the server asks on a page).
    /// Text from the server is put in with `textContent` or parsed into an inert `<template>`, never run.
    static let script = #"""
(function () {
  'use strict';

  function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
  function duration(s) {
    s = Math.max(0, s);
    if (s < 10) return s.toFixed(1) + 's';
    var w = Math.round(s);
    if (w < 60) return w + 's';
    if (w < 3600) return Math.floor(w / 60) + 'm ' + pad(w % 60, 2) + 's';
    return Math.floor(w / 3600) + 'h ' + pad(Math.floor((w % 3600) / 60), 2) + 'm';
  }
  function clock(t) {
    var d = new Date(t * 1000);
    return pad(d.getUTCHours(), 2) + ':' + pad(d.getUTCMinutes(), 2) + ':' + pad(d.getUTCSeconds(), 2) + '.' + pad(d.getUTCMilliseconds(), 3);
  }

  function tick() {
    var now = Date.now() / 1000;
    var items = document.querySelectorAll('time.elapsed[data-since]');
    for (var i = 0; i < items.length; i++) {
      items[i].textContent = duration(now - parseFloat(items[i].getAttribute('data-since')));
    }
  }

  // Live updates: the new fragment, parsed into an inert template, is walked beside the live one and only what
  // differs is written. Elements are matched by key (id, data-key, data-node) among their siblings, else by
  // position and tag; a matched element keeps its identity, so focus, caret, scroll and open <details> stay.
  function keyOf(node) {
    if (node.nodeType !== 1) return null;
    var key = node.id || node.getAttribute('data-key') || node.getAttribute('data-node');
    return key ? node.tagName + '#' + key : null;
  }
  function holdsFocus(node) {
    var active = document.activeElement;
    return !!active && active !== document.body && (node === active || node.contains(active));
  }
  function similar(old, next) {
    if (old.nodeType !== next.nodeType) return false;
    return old.nodeType !== 1 || (old.tagName === next.tagName && keyOf(old) === null);
  }
  function morphAttributes(old, next) {
    // Whether a <details> is open is the reader's choice, not the server's.
    var keepOpen = old.tagName === 'DETAILS', i, a;
    for (i = old.attributes.length - 1; i >= 0; i--) {
      a = old.attributes[i];
      if (!next.hasAttribute(a.name) && !(keepOpen && a.name === 'open')) old.removeAttribute(a.name);
    }
    for (i = 0; i < next.attributes.length; i++) {
      a = next.attributes[i];
      if (keepOpen && a.name === 'open') continue;
      if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    }
  }
  function morphNode(old, next) {
    if (old.nodeType !== 1) {
      if (old.nodeValue !== next.nodeValue) old.nodeValue = next.nodeValue;
      return;
    }
    morphAttributes(old, next);
    morphChildren(old, next);
  }
  function morphChildren(parent, next) {
    var keyed = Object.create(null), wanted = Object.create(null), child, key, following;
    for (child = next.firstChild; child; child = child.nextSibling) { key = keyOf(child); if (key) wanted[key] = true; }
    // Keyed elements that are gone go first, so they do not stand between unkeyed ones matched by position.
    for (child = parent.firstChild; child; child = following) {
      following = child.nextSibling;
      key = keyOf(child);
      if (!key) continue;
      if (!wanted[key] || keyed[key]) parent.removeChild(child); else keyed[key] = child;
    }
    var cur = parent.firstChild, incoming = next.firstChild;
    while (incoming) {
      following = incoming.nextSibling;
      var match = null;
      key = keyOf(incoming);
      if (key) {
        match = keyed[key] || null;
        if (match) delete keyed[key];
      } else {
        // The first unkeyed node ahead (keyed ones ahead wait for their own turn), if it is of the same kind.
        for (child = cur; child && keyOf(child) !== null; child = child.nextSibling) {}
        if (child && similar(child, incoming)) match = child;
      }
      if (match) {
        if (match !== cur) {
          if (holdsFocus(match)) {
            // Moving an element drops its focus: move what stands before it to the end instead.
            while (cur && cur !== match) { child = cur.nextSibling; parent.appendChild(cur); cur = child; }
          } else {
            parent.insertBefore(match, cur);
          }
        }
        morphNode(match, incoming);
        cur = match.nextSibling;
      } else {
        parent.insertBefore(incoming, cur);
      }
      incoming = following;
    }
    while (cur) { child = cur.nextSibling; parent.removeChild(cur); cur = child; }
  }
  function morph(region, html) {
    var template = document.createElement('template');
    template.innerHTML = html;
    morphChildren(region, template.content);
  }

  function stateOf(region) {
    var line = region.querySelector('#live-status');
    return line ? line.getAttribute('data-state') : null;
  }

  function liveRegion(region) {
    var busy = false, dirty = false, last = null, state = stateOf(region);
    function refresh() {
      if (busy) { dirty = true; return; }
      busy = true; dirty = false;
      fetch(location.pathname + location.search, {
        headers: { 'X-Waveline-Fragment': '1' }, cache: 'no-store', credentials: 'same-origin'
      }).then(function (r) {
        // The session ended (signed out elsewhere, expired): reload into the sign-in page.
        if (r.status === 401) { location.reload(); throw new Error('signed out'); }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      }).then(function (html) {
        if (html === last) return;
        last = html;
        morph(region, html);
        var now = stateOf(region);
        if (now !== state) {
          state = now;
          // The message of the last action spoke of the state before this one.
          var flash = document.getElementById('flash');
          if (flash) flash.parentNode.removeChild(flash);
        }
        region.setAttribute('data-updated', String(Date.now()));
        tick();
      }).catch(function () { /* the next change or reconnect tries again */ }).then(function () {
        busy = false;
        if (dirty) setTimeout(refresh, 50);
      });
    }
    var source = new EventSource(region.getAttribute('data-live-events'));
    source.addEventListener('change', refresh);
    // After a (re)connect anything may have changed meanwhile: read the state once.
    source.addEventListener('open', refresh);
    document.documentElement.setAttribute('data-live', 'on');
  }

  function followLog(log) {
    var start = parseFloat(log.getAttribute('data-start')) || 0;
    var lastId = 0;
    var lines = log.querySelectorAll('li[data-id]');
    if (lines.length) lastId = parseInt(lines[lines.length - 1].getAttribute('data-id'), 10);
    var status = document.getElementById('log-status');
    var tags = { stdout: 'out', stderr: 'err', system: 'sys' };
    function span(cls, text) { var s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }
    // Builds a line's item; null for a line already shown (a resumed stream repeats nothing, but be sure).
    function item(line) {
      if (line.id <= lastId) return null;
      lastId = line.id;
      var li = document.createElement('li');
      var boundary = line.stream === 'system' && (line.text.charAt(0) === '\u25B6' || line.text.charAt(0) === '\u25A0');
      li.className = 'line stream-' + line.stream + (boundary ? ' boundary' : '') +
        (line.text.charAt(0) === '\u25A0' && line.text.indexOf(' succeeded ') < 0 ? ' boundary-end' : '');
      li.id = 'line-' + line.id;
      li.setAttribute('data-id', String(line.id));
      if (!start) { start = line.time; log.setAttribute('data-start', String(start)); }
      var t = document.createElement('time'); t.className = 't'; t.textContent = clock(line.time);
      li.appendChild(t);
      li.appendChild(span('offset', '+' + duration(line.time - start)));
      var tag = tags[line.stream] || line.stream;
      li.appendChild(span('tag tag-' + tag, tag));
      li.appendChild(span('text', line.text));
      applyFilter(li);
      return li;
    }
    // Appends lines at once: one layout and one scroll per event, not per line.
    function append(lines) {
      // The wrapper (role=log) scrolls, not the list inside it.
      var box = document.getElementById('log-box') || log;
      var atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
      var fragment = document.createDocumentFragment();
      for (var i = 0; i < lines.length; i++) { var li = item(lines[i]); if (li) fragment.appendChild(li); }
      log.appendChild(fragment);
      if (atBottom) box.scrollTop = box.scrollHeight;
    }
    var url = log.getAttribute('data-stream');
    var source = new EventSource(url);
    // Batches (format=batches): one event and one parse per batch of lines, however fast the node prints.
    source.addEventListener('lines', function (e) {
      var runs = JSON.parse(e.data).runs, lines = [];
      for (var r = 0; r < runs.length; r++) {
        var run = runs[r];
        for (var i = 0; i < run.lines.length; i++) {
          var l = run.lines[i];
          lines.push({ id: l[0], seq: l[1], time: l[2], text: l[3], node: run.node, stream: run.stream, step: run.step });
        }
      }
      append(lines);
    });
    source.addEventListener('end', function (e) {
      source.close();
      var data = JSON.parse(e.data);
      if (status) status.textContent = 'The deployment is ' + data.status.replace('_', ' ') + '; the log is complete.';
    });
    source.addEventListener('open', function () { if (status) status.textContent = 'Following: new lines appear as they are written.'; });
    source.addEventListener('error', function () { if (status && source.readyState !== 2) status.textContent = 'Reconnecting…'; });
    document.documentElement.setAttribute('data-live', 'on');
  }

  var filterText = '';
  function applyFilter(li) {
    var text = li.querySelector('.text');
    li.hidden = filterText !== '' && (!text || text.textContent.toLowerCase().indexOf(filterText) < 0);
  }
  function searchBox(input, log) {
    var count = document.getElementById('search-count');
    function run() {
      filterText = input.value.trim().toLowerCase();
      var items = log.querySelectorAll('li.line'), shown = 0;
      for (var i = 0; i < items.length; i++) { applyFilter(items[i]); if (!items[i].hidden) shown++; }
      if (count) count.textContent = filterText ? shown + ' matching lines' : '';
    }
    input.addEventListener('input', run);
    // Without a server-side filter applied, typing filters in place; submitting still asks the server.
    if (!new URLSearchParams(location.search).get('q')) run();
  }

  // Asked here, the server need not ask again on its confirmation page.
  document.addEventListener('submit', function (e) {
    var form = e.target.closest ? e.target.closest('form[data-confirm]') : null;
    if (!form) return;
    if (!window.confirm(form.getAttribute('data-confirm'))) { e.preventDefault(); return; }
    if (!form.querySelector('input[name="confirmed"]')) {
      var confirmed = document.createElement('input');
      confirmed.type = 'hidden'; confirmed.name = 'confirmed'; confirmed.value = 'yes';
      form.appendChild(confirmed);
    }
  });

  function ready() {
    tick();
    setInterval(tick, 1000);
    var region = document.querySelector('[data-live-events]');
    if (region && window.EventSource && window.fetch) liveRegion(region);
    var log = document.getElementById('log');
    if (log && log.getAttribute('data-stream') && window.EventSource) followLog(log);
    var input = document.getElementById('q');
    if (input && log) searchBox(input, log);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready); else ready();
})();
"""#
}
