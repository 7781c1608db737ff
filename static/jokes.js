/* jokes.js - the live part of the jokes page: relative times, and new jokes pushed by
 * jokes-pushd over a WebSocket, or over Server-Sent Events where the WebSocket cannot get
 * through (WS_TRIES failed upgrades in a row, or no WebSocket in the browser), with gaps
 * filled from the JSON API. Text only via textContent. On a page filtered by category
 * (data-category, "programming,dad") every one of those URLs carries the same filter, and a
 * live joke of another category is not shown whatever the server sends. */
(function () {
  'use strict';

  var body = document.body;
  var list = document.getElementById('jokes');
  var statusEl = document.getElementById('status');
  if (!list || !body) return;

  var base = body.getAttribute('data-base') || '/jokes';
  var wsPath = body.getAttribute('data-ws-url') || '/ws/jokes/';
  var ssePath = body.getAttribute('data-sse-url') || '/sse/jokes/';
  var live = body.getAttribute('data-live') === '1';
  var category = body.getAttribute('data-category') || '';  /* "" on an unfiltered page */
  var wanted = category ? new Set(category.split(',')) : null;
  var MAX_SHOWN = 500;        /* older cards fall off the live page past this */
  var WS_TRIES = 3;           /* failed upgrades in a row before falling back to SSE */
  var NAMES = { ws: 'WebSocket', sse: 'Server-Sent Events' };
  var seen = new Set();
  var newest = 0;
  var gapSince = null;        /* a gap not yet filled: resume from here */
  var attempt = 0;
  var ws = null;
  var es = null;
  var transport = 'WebSocket' in window ? 'ws' : 'sse';
  var wsFailed = 0;           /* upgrades in a row that never opened */

  Array.prototype.forEach.call(list.querySelectorAll('article.joke'), function (a) {
    var id = Number(a.getAttribute('data-id'));
    seen.add(id);
    if (id > newest) newest = id;
  });

  function relative(date) {
    var s = (Date.now() - date.getTime()) / 1000;
    if (s < 45) return 'just now';
    if (s < 90) return '1 min ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 5400) return '1 hour ago';
    if (s < 86400) return Math.round(s / 3600) + ' hours ago';
    if (s < 172800) return 'yesterday';
    if (s < 30 * 86400) return Math.round(s / 86400) + ' days ago';
    return date.toLocaleDateString();
  }

  function refreshTime(t) {
    var d = new Date(t.getAttribute('datetime'));
    if (isNaN(d.getTime())) return;
    t.textContent = relative(d);
    t.title = d.toLocaleString();
  }

  function refreshTimes() {
    Array.prototype.forEach.call(document.querySelectorAll('time[datetime]'), refreshTime);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function card(j) {
    var a = el('article', 'joke message is-new');
    a.setAttribute('data-id', String(j.id));
    var head = el('div', 'message-header');
    var link = el('a', '', 'Joke #' + j.id);
    link.href = base + '/' + j.id;
    head.appendChild(link);
    var tags = el('span', 'tags');
    var tag = el('a', 'category', categoryOf(j));
    tag.href = base + '/?category=' + encodeURIComponent(categoryOf(j));
    tags.appendChild(tag);
    tags.appendChild(el('span', 'source', j.source));
    head.appendChild(tags);
    var msg = el('div', 'message-body');
    var p = el('p', 'joke-text', j.text);
    p.dir = 'auto';
    msg.appendChild(p);
    var t = el('time', '', j.fetched_at);
    t.setAttribute('datetime', j.fetched_at);
    refreshTime(t);
    msg.appendChild(t);
    a.appendChild(head);
    a.appendChild(msg);
    return a;
  }

  /* A record: its known members of the right types; members it does not know are ignored
     (a newer server may add some). */
  function isRecord(j) {
    return !!j && Number.isSafeInteger(j.id) && j.id > 0 && typeof j.text === 'string' &&
      typeof j.source === 'string' && typeof j.fetched_at === 'string';
  }

  /* A record without a category (an older server) is misc, as the record contract says. */
  function categoryOf(j) {
    return typeof j.category === 'string' && j.category ? j.category : 'misc';
  }

  /* Show one record, newest first, each id once, whatever order they arrive in. */
  function add(j) {
    if (!isRecord(j)) return;
    if (wanted && !wanted.has(categoryOf(j))) return;
    if (seen.has(j.id)) return;
    seen.add(j.id);
    var node = card(j);
    var after = null;
    var items = list.querySelectorAll('article.joke');
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute('data-id')) < j.id) { after = items[i]; break; }
    }
    list.insertBefore(node, after);
    if (j.id > newest) newest = j.id;
    var empty = document.querySelector('.empty');
    if (empty) empty.remove();
    while (items.length + 1 > MAX_SHOWN && list.lastElementChild) {
      list.removeChild(list.lastElementChild);
      items = list.querySelectorAll('article.joke');
    }
  }

  function setState(state, text) {
    if (!statusEl) return;
    statusEl.setAttribute('data-state', state);
    statusEl.textContent = text;
  }

  /* Fetch every joke newer than since from the JSON API, following "next". */
  function fillGap(since) {
    if (gapSince === null || since < gapSince) gapSince = since;
    var url = withCategory(base + '/api/jokes?since=' + encodeURIComponent(String(since)) +
      '&limit=100');
    var pages = 0;
    function step(u) {
      return fetch(u, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (doc) {
          (doc.jokes || []).forEach(add);
          if (doc.next && ++pages < 100) return step(doc.next);
          gapSince = null;
        });
    }
    step(url).catch(function () {
      /* keep gapSince: the next connection resumes from there */
      if (ws) ws.close();
      if (es) { es.close(); es = null; reconnectLater(); }
    });
  }

  function withCategory(u) {
    /* commas stay commas: "a,b" is what jokes-pushd and jokes-fcgi read */
    if (category) {
      u += (u.indexOf('?') < 0 ? '?' : '&') + 'category=' +
        encodeURIComponent(category).replace(/%2C/g, ',');
    }
    return u;
  }

  /* The live URLs: ?since= to resume from, and the page's filter. */
  function withSince(u) {
    var since = gapSince !== null ? gapSince : newest;
    if (since > 0) u += (u.indexOf('?') < 0 ? '?' : '&') + 'since=' + since;
    return withCategory(u);
  }

  /* fcgi_ws_url: a path on this host, or an absolute ws:// or wss:// URL (another host) */
  function wsUrl() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return withSince(/^wss?:\/\//.test(wsPath) ? wsPath : proto + '//' + location.host + wsPath);
  }

  function reconnectLater() {
    attempt++;
    var ceiling = Math.min(30000, 500 * Math.pow(2, Math.min(attempt, 6)));
    var delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2); /* backoff + jitter */
    setState('reconnecting', 'reconnecting in ' + Math.max(1, Math.round(delay / 1000)) + ' s…');
    setTimeout(connect, delay);
  }

  /* A WebSocket message, or the data of an SSE event (the same JSON either way). */
  function onMessage(ev) {
    var m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (!m || typeof m !== 'object') return;
    if (m.type === 'joke') add(m);
    else if (m.type === 'gap' && Number.isSafeInteger(m.since) && m.since >= 0) fillGap(m.since);
  }

  function opened() {
    attempt = 0;
    setState('live', 'live · ' + NAMES[transport]);
  }

  function connectWs() {
    var up = false;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      ws = null;
      wsFailed++;
      reconnectLater();
      return;
    }
    ws.onopen = function () { up = true; wsFailed = 0; opened(); };
    ws.onmessage = onMessage;
    ws.onclose = function () {
      ws = null;
      if (!up && ++wsFailed >= WS_TRIES && 'EventSource' in window) transport = 'sse';
      reconnectLater();
    };
  }

  /*
   * The browser reconnects an EventSource itself, sending Last-Event-ID (which pushd prefers
   * to ?since=); it gives up for good on an answer that is not a 200 (a proxy's 502 while
   * pushd restarts): then a new one, after the same backoff as the WebSocket.
   */
  function connectSse() {
    es = new EventSource(withSince(ssePath));
    es.onopen = opened;
    es.addEventListener('joke', onMessage);
    es.addEventListener('gap', onMessage);
    es.onerror = function () {
      if (!es) return;
      if (es.readyState === EventSource.CLOSED) {
        es = null;
        reconnectLater();
      } else {
        setState('reconnecting', 'reconnecting…');
      }
    };
  }

  function connect() {
    if (attempt > 0) setState('reconnecting', 'reconnecting…');
    if (transport === 'ws') connectWs();
    else connectSse();
  }

  refreshTimes();
  setInterval(refreshTimes, 30000);
  if (live && ('WebSocket' in window || 'EventSource' in window)) {
    setState('connecting', 'connecting…');
    connect();
  }
})();
