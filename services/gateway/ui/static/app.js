// Procedura's web interface: a little progressive enhancement, no framework.
// Every text shown comes from data-* attributes the server filled from the catalog;
// user text is always set with textContent (never as HTML).
"use strict";

function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- search box suggestions ---------------------------------------------------------
function setupSuggest() {
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list) return;
  var timer = null, active = -1, items = [];

  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
  function highlight(i) {
    items.forEach(function (li, j) { li.setAttribute("aria-selected", i === j ? "true" : "false"); });
    active = i;
    if (i >= 0) input.setAttribute("aria-activedescendant", items[i].id);
  }
  function show(suggestions) {
    list.textContent = "";
    items = suggestions.map(function (s, i) {
      var li = el("li", "suggestion");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.appendChild(el("strong", null, s.code));
      li.appendChild(document.createTextNode(" " + s.title));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = "/documents/" + s.document_id; });
      li.dataset.href = "/documents/" + s.document_id;
      list.appendChild(li);
      return li;
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      fetch("/ui/suggest?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) { show(data.items || []); })
        .catch(close);
    }, 150);
  });
  input.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (e.key === "Escape") { close(); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); location.href = items[active].dataset.href; }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
}

// --- upload with drag and drop and a progress bar ------------------------------------
function setupUpload() {
  var form = document.getElementById("upload");
  if (!form) return;
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("chosen");
  var bar = document.getElementById("progress");
  var message = document.getElementById("upload-message");
  var accepted = form.dataset.accept.split(",");
  var file = null;

  function say(text, ok) { message.textContent = text; message.className = "message " + (ok ? "ok" : "error"); }
  function problem(f) {
    if (!f) return form.dataset.empty;
    var dot = f.name.lastIndexOf(".");
    var ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
    if (accepted.indexOf(ext) < 0) return form.dataset.badType;
    if (f.size > parseInt(form.dataset.limit, 10)) return form.dataset.tooLarge;
    if (f.size === 0) return form.dataset.emptyFile;
    return "";
  }
  function choose(f) {
    file = f;
    chosen.textContent = f ? f.name + " (" + Math.ceil(f.size / 1024) + " KB)" : "";
    var p = problem(f);
    if (p) say(p, false); else say("", true);
  }
  input.addEventListener("change", function () { choose(input.files[0] || null); });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) choose(e.dataTransfer.files[0]);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var p = problem(file);
    if (p) { say(p, false); return; }
    var data = new FormData(form);
    data.set("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", data.get("csrf_token"));
    bar.hidden = false; bar.value = 0;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) bar.value = Math.round(100 * ev.loaded / ev.total);
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201) {
        bar.value = 100; say(form.dataset.done, true);
        location.href = body.location;
        return;
      }
      var known = form.getAttribute("data-error-" + xhr.status);
      var detail = body.error ? body.error.message : xhr.statusText;
      say(form.dataset.failed + " " + (known ? known + " (" + detail + ")" : detail), false);
      bar.hidden = true;
    });
    xhr.addEventListener("error", function () { say(form.dataset.network, false); bar.hidden = true; });
    xhr.send(data);
  });
}

// dd.mm.yyyy HH:MM in the city hall's time zone, as the server writes it
function cityHallTime(iso) {
  var parts = {};
  new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/Bucharest", day: "2-digit", month: "2-digit",
    year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false})
    .formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
  return parts.day + "." + parts.month + "." + parts.year + " " + parts.hour + ":" + parts.minute;
}

// --- the live feed on the home page ---------------------------------------------------
function setupLiveFeed() {
  var feed = document.getElementById("feed");
  var status = document.getElementById("feed-live");
  if (!feed || !window.EventSource) return;
  var pause = 3000;
  // where the stream resumes: the page's own point (the items it shows), then the token
  // of the last event received (its id: the items sent, so that one numbered below them
  // but committed later still comes, and none comes twice)
  var resumeFrom = feed.dataset.resume || "0";
  function connect() {
    // the browser's own reconnections send Last-Event-ID, which the gateway prefers to
    // this; an EventSource closed for good is followed by one from the last event's token
    var source = new EventSource("/api/feed/stream?last_event_id=" + encodeURIComponent(resumeFrom));
    source.addEventListener("open", function () {
      pause = 3000;
      status.textContent = status.dataset.connected;
    });
    source.addEventListener("error", function () {
      status.textContent = status.dataset.lost;
      // a reconnection answered other than 200 (a 502 or 503 while no gateway answers)
      // closes an EventSource for good: open another, waiting longer each time
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, pause);
        pause = Math.min(pause * 2, 60000);
      }
    });
    // the stream's first frame (an id, no data) dispatches no event: it sets the
    // EventSource's own last event ID to where the stream starts, here resumeFrom itself
    source.addEventListener("notification", function (e) {
      if (e.lastEventId) resumeFrom = e.lastEventId;
      var item = JSON.parse(e.data);
      var empty = document.getElementById("feed-empty");
      if (empty) empty.remove();
      var li = el("li", "unread fresh");
      li.dataset.id = item.id;
      var a = el("a");
      a.href = "/documents/" + item.document_id;
      a.appendChild(el("strong", null, item.code));
      a.appendChild(document.createTextNode(" " + item.title));
      li.appendChild(a);
      li.appendChild(el("span", "message", item.message));
      var time = el("time", null, cityHallTime(item.created_at));
      time.setAttribute("datetime", item.created_at);
      li.appendChild(time);
      feed.insertBefore(li, feed.firstChild);
    });
  }
  connect();
}

document.addEventListener("DOMContentLoaded", function () {
  setupSuggest();
  setupUpload();
  setupLiveFeed();
});
