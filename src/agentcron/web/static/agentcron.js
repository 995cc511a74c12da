// agentcron's web page: forms and links that change a part of the page in place, the chat's
// reply as it streams, live updates from the person's events, and times kept relative.
// Without this script every form still works: the server answers it with a redirect.
"use strict";

const FRAGMENT = { "X-Agentcron-Fragment": "1" };

function csrf() {
  return document.body.dataset.csrf || "";
}

function flash(html) {
  const box = document.getElementById("flash");
  if (!box) return;
  box.innerHTML = html;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { box.innerHTML = ""; }, 8000);
}

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

// Put the HTML the server answered in place of the target, keeping the keyboard's place.
function swap(target, html) {
  const focused = document.activeElement && document.activeElement.id;
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const fresh = template.content.firstElementChild;
  if (!fresh) return;
  target.replaceWith(...template.content.childNodes);
  refreshTimes(fresh.parentElement || document);
  const again = focused && document.getElementById(focused);
  if (again) again.focus();
  else {
    const first = fresh.querySelector("input:not([type=hidden]), textarea, button");
    if (fresh.matches("[data-editing]") && first) first.focus();
  }
}

// One request of the page for a fragment: follows a redirect as a navigation, shows a
// refusal in the flash area (or in place, for a form that comes back with its error).
async function fetchFragment(url, options, target) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...options,
      headers: { ...FRAGMENT, "X-CSRF-Token": csrf(), ...(options.headers || {}) } });
  } catch (error) {
    flash(`<p class="flash error" role="alert">agentcron did not answer: ${escapeHtml(String(error))}</p>`);
    return;
  }
  if (response.status === 401 && response.headers.get("X-Agentcron-Redirect")) {
    window.location.assign(response.headers.get("X-Agentcron-Redirect"));
    return;
  }
  if (response.redirected) {
    window.location.assign(response.url);
    return;
  }
  const html = await response.text();
  if (response.headers.get("X-Agentcron-Flash")) flash(html);
  else if (target) swap(target, html);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id === "chat") return chatSubmit(event);
  if (form.id === "filters") { event.preventDefault(); return search(form); }
  const target = form.dataset.target && document.querySelector(form.dataset.target);
  if (!target) return;
  event.preventDefault();
  const button = event.submitter;  // a row's buttons share one form, each its own action
  const ask = (button && button.dataset.confirm) || form.dataset.confirm;
  if (ask && !window.confirm(ask)) return;
  const action = button && button.hasAttribute("formaction") ? button.formAction : form.action;
  const body = new FormData(form);
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  fetchFragment(action, { method: "POST", body }, target)
    .finally(() => { for (const button of form.querySelectorAll("button")) button.disabled = false; });
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-fragment]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const target = document.querySelector(link.dataset.target);
  if (!target) return;
  event.preventDefault();
  fetchFragment(link.dataset.fragment || link.href, { method: "GET" }, target);
});

// Search and filters: the rows change as one types, the address follows.
function search(form) {
  const query = new URLSearchParams(new FormData(form));
  for (const [name, value] of [...query]) if (!value) query.delete(name);
  const url = "/" + (query.toString() ? "?" + query : "");
  history.replaceState(null, "", url);
  fetchFragment(url, { method: "GET" }, document.getElementById("rows"));
}

function whileTyping(form) {
  let timer;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(form), 250);
  });
}

// Times shown as "in 3 h" stay true while the page is open.
const UNITS = [[86400, "d"], [3600, "h"], [60, "min"]];

function relative(at) {
  const seconds = (at - Date.now()) / 1000;
  const span = Math.abs(seconds);
  if (span < 60) return "now";
  const [size, unit] = UNITS.find(([size]) => span >= size);
  const amount = `${Math.floor(span / size)} ${unit}`;
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}

function refreshTimes(root) {
  for (const time of (root || document).querySelectorAll("time[data-relative]")) {
    time.textContent = relative(Date.parse(time.getAttribute("datetime")));
  }
}

// The chat: the reply appears as the model writes it (Server-Sent Events over a POST).
function chatLine(role, text) {
  const log = document.getElementById("chat-log");
  const line = document.createElement("p");
  line.className = `said ${role}`;
  line.textContent = text;
  log.append(line);
  log.scrollTop = log.scrollHeight;
  return line;
}

async function chatSubmit(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector("textarea");
  const text = box.value.trim();
  if (!text) return;
  chatLine("person", text);
  const reply = chatLine("assistant", "…");
  reply.setAttribute("aria-busy", "true");
  const button = form.querySelector("button");
  button.disabled = true;
  const body = new FormData(form);
  box.value = "";
  let written = "";
  try {
    const response = await fetch(form.action, { method: "POST", body, credentials: "same-origin",
      headers: { ...FRAGMENT, "X-CSRF-Token": csrf() } });
    if (response.status === 401) { window.location.assign("/signin"); return; }
    if (!response.ok || !response.body) {
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      reply.textContent = template.content.textContent.trim() || `Refused (${response.status}).`;
      reply.classList.add("error-text");
      return;
    }
    for await (const [name, data] of sseEvents(response.body)) {
      if (name === "text") {
        written += data.text;
        reply.textContent = written;
      } else if (name === "reply") {
        reply.textContent = data.reply || written;
        if (data.tasks_changed && data.tasks_changed.length) refreshList();
      } else if (name === "error") {
        reply.textContent = data.error.message;
        reply.classList.add("error-text");
      }
    }
  } catch (error) {
    reply.textContent = `The reply was cut off: ${error}`;
    reply.classList.add("error-text");
  } finally {
    reply.removeAttribute("aria-busy");
    button.disabled = false;
    box.focus();
  }
}

async function* sseEvents(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) yield [name, JSON.parse(data.join("\n"))];
    }
  }
}

// Live: the person's events; each refreshes what it touches, a few at most per second.
const pending = new Map();

function later(key, work) {
  if (pending.has(key)) return;
  pending.set(key, setTimeout(() => { pending.delete(key); work(); }, 150));
}

function refreshList() {
  const rows = document.getElementById("rows");
  if (!rows) return;
  later("rows", () => {
    const filters = document.getElementById("filters");
    if (filters) search(filters);
  });
}

// A task's page anew, but not under the hands of someone editing it: then once they stop.
function refreshTask() {
  later("live", () => {
    const live = document.getElementById("live");
    if (!live) return;
    if (live.querySelector("#edit[open]")) { setTimeout(refreshTask, 2000); return; }
    fetchFragment(live.dataset.refresh, { method: "GET" }, live);
  });
}

function onEvent(happened) {
  const live = document.getElementById("live");
  if (live) {
    if (String(happened.task_id) === live.dataset.task) refreshTask();
    return;
  }
  const row = document.getElementById(`task-${happened.task_id}`);
  if (happened.kind === "task.created" || !row) refreshList();
  else if (!row.matches("[data-editing]")) {
    later(row.id, () => {
      const now = document.getElementById(row.id);
      if (now && !now.matches("[data-editing]")) {
        fetchFragment(`/tasks/${happened.task_id}/row`, { method: "GET" }, now);
      }
    });
  }
}

function listen() {
  const address = document.body.dataset.live;
  if (!address || !window.EventSource) return;
  const state = document.getElementById("live-state");
  const source = new EventSource(address);
  source.onopen = () => { if (state) { state.textContent = "live"; state.classList.add("on"); } };
  source.onerror = () => { if (state) { state.textContent = "reconnecting"; state.classList.remove("on"); } };
  const kinds = ["task.created", "task.changed", "task.paused", "task.resumed", "task.cancelled",
    "task.completed", "task.failed", "run.started", "run.retried", "run.finished",
    "delivery.sent", "delivery.failed"];
  for (const kind of kinds) {
    source.addEventListener(kind, (event) => onEvent({ kind, ...JSON.parse(event.data) }));
  }
}

document.addEventListener("keydown", (event) => {
  const box = document.getElementById("q");
  if (event.key === "/" && box && !event.target.closest("input, textarea, select")) {
    event.preventDefault();
    box.focus();
  }
  if (event.key === "Enter" && !event.shiftKey && event.target.id === "message") {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const filters = document.getElementById("filters");
  if (filters) whileTyping(filters);
  refreshTimes(document);
  setInterval(() => refreshTimes(document), 30000);
  listen();
});
