// confab inbox: follows the company's event stream and asks the server for the fragments
// an event changed (HTML is rendered in one place: the server); keyboard shortcuts; the
// composer's Enter, attachments and progress; times in the browser's zone.
(function () {
  'use strict';
  var body = document.body;
  var cid = body.dataset.company;
  if (!cid || !window.htmx) return;
  var base = '/c/' + cid;
  var filters = document.getElementById('filters');
  var rows = document.getElementById('rows');
  var status = document.getElementById('live-status');

  // ---- times in the browser's zone ----
  function localTimes(root) {
    var today = new Date().toDateString();
    root.querySelectorAll('time[data-ms]').forEach(function (t) {
      var d = new Date(Number(t.dataset.ms));
      t.textContent = d.toDateString() === today
        ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
        : d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
      t.title = d.toLocaleString();
    });
  }
  htmx.onLoad(localTimes);

  // ---- fragments ----
  function fragment(url) {
    return fetch(url, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 401) { location.href = '/login'; throw new Error('logged out'); }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      });
  }
  function parse(html) {
    var t = document.createElement('template');
    t.innerHTML = html;
    return t.content;
  }
  function settle(el) { htmx.process(el); localTimes(el); }
  function listQuery() { return new URLSearchParams(new FormData(filters)).toString(); }
  function openId() {
    var c = document.getElementById('conversation');
    return c ? c.dataset.conversation : null;
  }
  function markCurrent(id) {
    rows.querySelectorAll('li.row[aria-current]').forEach(function (r) { r.removeAttribute('aria-current'); });
    var row = id && document.getElementById('row-' + id);
    if (row) row.setAttribute('aria-current', 'true');
  }
  function scrollBottom() {
    var t = document.getElementById('timeline');
    if (t) t.scrollTop = t.scrollHeight;
  }

  // ---- the list ----
  function refreshList() { htmx.trigger(filters, 'submit'); }
  // The counts cost the server a pass over the company's conversations: a busy company
  // asks for them at most every 2 s per tab, however many events come.
  var countsTimer = null, countsAt = 0;
  function refreshCounts() {
    if (countsTimer) return;
    var wait = Math.max(150, countsAt + 2000 - Date.now());
    countsTimer = setTimeout(function () {
      countsTimer = null;
      countsAt = Date.now();
      fragment(base + '/tabs?' + listQuery()).then(function (html) {
        var el = parse(html).querySelector('#tabs');
        var old = document.getElementById('tabs');
        if (el && old) { old.replaceWith(el); }
      }).catch(function () {});
    }, wait);
  }
  // Rows are newest activity first: a row goes before the first one older than it; one
  // older than every row shown belongs on a later page unless none follows.
  function place(el) {
    var at = Number(el.dataset.activity), id = Number(el.dataset.conversation);
    var list = rows.querySelectorAll('li.row');
    for (var i = 0; i < list.length; i++) {
      var a = Number(list[i].dataset.activity), b = Number(list[i].dataset.conversation);
      if (a < at || (a === at && b < id)) { list[i].before(el); return; }
    }
    var more = rows.querySelector('li.more');
    if (!more) rows.append(el);
  }
  function refreshRow(id) {
    if (new FormData(filters).get('q')) { refreshList(); return; }
    fragment(base + '/rows/' + id + '?' + listQuery()).then(function (html) {
      var el = parse(html).querySelector('li.row');
      var old = document.getElementById('row-' + id);
      if (old) old.remove();
      if (!el) return;
      var none = rows.querySelector('li.none');
      if (none) none.remove();
      if (openId() === String(id)) el.setAttribute('aria-current', 'true');
      place(el);
      settle(el);
    }).catch(function () {});
  }

  // ---- the open conversation ----
  function refreshBubble(conversation, message, append) {
    if (openId() !== String(conversation)) return;
    fragment(base + '/conversations/' + conversation + '/messages/' + message).then(function (html) {
      var el = parse(html).querySelector('li.bubble');
      var old = document.getElementById('msg-' + message);
      if (!el || openId() !== String(conversation)) return;
      if (old) { old.replaceWith(el); } else if (append) {
        document.getElementById('timeline').append(el);
        scrollBottom();
      } else { return; }
      settle(el);
    }).catch(function () {});
  }
  function refreshSide(conversation) {
    if (openId() !== String(conversation)) return;
    var editing = document.activeElement && document.activeElement.closest('#side-panel');
    if (editing) return; // never pull a form out from under the operator
    fragment(base + '/conversations/' + conversation + '/side').then(function (html) {
      var el = parse(html).querySelector('#side-panel');
      var old = document.getElementById('side-panel');
      if (el && old && openId() === String(conversation)) { old.replaceWith(el); settle(el); }
    }).catch(function () {});
  }
  function closeConversation() {
    var pane = document.getElementById('pane');
    if (!openId()) return;
    var empty = document.createElement('div');
    empty.className = 'empty-pane';
    var p = document.createElement('p');
    p.textContent = 'Pick a conversation on the left.';
    empty.append(p);
    pane.replaceChildren(empty);
    body.classList.remove('conversation-open');
    var current = rows.querySelector('li.row[aria-current] a');
    markCurrent(null);
    history.pushState({}, '', base);
    if (current) current.focus();
  }

  // ---- live: one event stream per tab ----
  var lastId = null, everOpen = false, source = null;
  function setStatus(live) {
    status.textContent = live ? 'Live' : 'Reconnecting…';
    status.classList.toggle('reconnecting', !live);
  }
  function resync() {
    refreshCounts();
    refreshList();
    var id = openId();
    if (!id) return;
    refreshSide(id);
    document.querySelectorAll('#timeline li.bubble.out:not([data-state="read"])').forEach(function (b) {
      refreshBubble(id, b.dataset.message, false);
    });
  }
  function connect() {
    var url = base + '/events' + (lastId ? '?after=' + encodeURIComponent(lastId) : '');
    source = new EventSource(url);
    source.addEventListener('open', function () {
      setStatus(true);
      if (everOpen) resync();
      everOpen = true;
    });
    source.addEventListener('error', function () {
      setStatus(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
    source.addEventListener('ready', function (e) { lastId = e.lastEventId; });
    source.addEventListener('reset', function (e) { lastId = e.lastEventId; resync(); });
    function on(type, handle) {
      source.addEventListener(type, function (e) {
        lastId = e.lastEventId;
        var data;
        try { data = JSON.parse(e.data).data || {}; } catch (_) { return; }
        handle(data);
      });
    }
    on('message.new', function (d) {
      refreshRow(d.conversation_id);
      refreshCounts();
      refreshBubble(d.conversation_id, d.external_id, true);
    });
    on('message.ack', function (d) { refreshBubble(d.conversation_id, d.external_id, false); });
    on('job.executed', function (d) {
      var b = document.querySelector('#timeline li.bubble[data-job="' + Number(d.id) + '"]');
      if (b) refreshBubble(d.conversation_id, b.dataset.message, false);
    });
    on('conversation.new', function (d) { refreshRow(d.external_id); refreshCounts(); });
    on('conversation.update', function (d) { refreshRow(d.external_id); refreshSide(d.external_id); });
    on('conversation.assign', function (d) {
      refreshRow(d.external_id);
      refreshCounts();
      refreshSide(d.external_id);
    });
  }
  connect();

  // ---- htmx swaps ----
  body.addEventListener('htmx:afterSwap', function (e) {
    var target = e.detail.target;
    if (target && target.id === 'pane') {
      var id = openId();
      body.classList.toggle('conversation-open', !!id);
      markCurrent(id);
      resetComposer(false);
      scrollBottom();
    } else if (target && target.id === 'rows') {
      markCurrent(openId());
    }
  });
  body.addEventListener('htmx:afterRequest', function (e) {
    var form = e.detail.elt;
    if (!form || form.id !== 'composer') return;
    document.getElementById('upload-progress').hidden = true;
    if (e.detail.successful) {
      resetComposer(true);
      scrollBottom();
      // An ack may have come before the answer did: read the bubble again once.
      var last = document.querySelector('#timeline li.bubble.out:last-child');
      var id = openId();
      if (last && id) setTimeout(function () { refreshBubble(id, last.dataset.message, false); }, 1000);
    }
  });
  body.addEventListener('htmx:responseError', function (e) {
    var error = document.getElementById('composer-error');
    var text = parse(e.detail.xhr.responseText || '').textContent.trim();
    if (error && e.detail.elt && e.detail.elt.closest('#composer')) {
      error.textContent = text || 'Not sent: the server answered ' + e.detail.xhr.status + '.';
    }
  });
  body.addEventListener('htmx:beforeRequest', function (e) {
    if (!e.detail.elt || e.detail.elt.id !== 'composer') return;
    document.getElementById('composer-error').textContent = '';
    var progress = document.getElementById('upload-progress');
    progress.value = 0;
    progress.hidden = pending.files.length === 0;
  });
  body.addEventListener('htmx:xhr:progress', function (e) {
    var progress = document.getElementById('upload-progress');
    if (progress && e.detail.lengthComputable) progress.value = Math.round(100 * e.detail.loaded / e.detail.total);
  });

  // ---- the composer: Enter sends, files by button, drop or paste ----
  var pending = new DataTransfer();
  function syncFiles() {
    var input = document.getElementById('file');
    var list = document.getElementById('attachments-preview');
    if (!input || !list) return;
    input.files = pending.files;
    list.replaceChildren();
    Array.prototype.forEach.call(pending.files, function (f, i) {
      var li = document.createElement('li');
      if (f.type.indexOf('image/') === 0) {
        var img = document.createElement('img');
        img.src = URL.createObjectURL(f);
        img.alt = '';
        li.append(img);
      }
      var name = document.createElement('span');
      name.textContent = f.name + ' (' + Math.max(1, Math.round(f.size / 1024)) + ' KB)';
      li.append(name);
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '×';
      remove.setAttribute('aria-label', 'Remove ' + f.name);
      remove.addEventListener('click', function () {
        var next = new DataTransfer();
        Array.prototype.forEach.call(pending.files, function (g, j) { if (j !== i) next.items.add(g); });
        pending = next;
        syncFiles();
      });
      li.append(remove);
      list.append(li);
    });
  }
  function addFiles(files) {
    Array.prototype.forEach.call(files, function (f) { pending.items.add(f); });
    syncFiles();
  }
  function resetComposer(clearText) {
    pending = new DataTransfer();
    var text = document.getElementById('message');
    if (text && clearText) text.value = '';
    syncFiles();
  }
  body.addEventListener('change', function (e) {
    if (e.target.id === 'file') {
      var chosen = Array.prototype.slice.call(e.target.files);
      addFiles(chosen);
    } else if (e.target.id === 'channel') {
      refreshCounts();
    } else if (e.target.id === 'company-switch') {
      location.href = '/c/' + encodeURIComponent(e.target.value);
    }
  });
  body.addEventListener('paste', function (e) {
    if (e.target.id !== 'message' || !e.clipboardData || !e.clipboardData.files.length) return;
    e.preventDefault();
    addFiles(e.clipboardData.files);
  });
  body.addEventListener('dragover', function (e) {
    if (e.target.closest && e.target.closest('#conversation')) { e.preventDefault(); body.classList.add('dragging'); }
  });
  body.addEventListener('dragleave', function () { body.classList.remove('dragging'); });
  body.addEventListener('drop', function (e) {
    body.classList.remove('dragging');
    if (!(e.target.closest && e.target.closest('#conversation')) || !e.dataTransfer.files.length) return;
    e.preventDefault();
    addFiles(e.dataTransfer.files);
  });

  // ---- keyboard ----
  function step(delta) {
    var list = Array.prototype.slice.call(rows.querySelectorAll('li.row'));
    if (!list.length) return;
    var current = list.findIndex(function (r) { return r.getAttribute('aria-current') === 'true'; });
    var next = current < 0 ? 0 : Math.min(list.length - 1, Math.max(0, current + delta));
    var link = list[next].querySelector('a.row-link');
    link.focus();
    link.click();
  }
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t.id === 'message' && e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (t.value.trim() || pending.files.length) t.form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var typing = t.closest && t.closest('input, textarea, select, [contenteditable]');
    if (e.key === 'Escape') {
      if (typing) { t.blur(); } else { closeConversation(); }
      return;
    }
    if (typing) return;
    if (e.key === '/') { e.preventDefault(); document.getElementById('q').focus(); }
    else if (e.key === 'j') { e.preventDefault(); step(1); }
    else if (e.key === 'k') { e.preventDefault(); step(-1); }
  });
  body.addEventListener('click', function (e) {
    var back = e.target.closest && e.target.closest('[data-action="back"]');
    if (back) { e.preventDefault(); closeConversation(); }
  });
})();
