// ChatOne's built-in web client: plain JavaScript, no build step. REST (API.md) for accounts, lists and history;
// Socket.IO (./socketio.js, the project's own client) for everything live. Text is always put on the page with
// textContent, never as HTML.
import { SocketIOClient, TransportError } from "./socketio.js";

const API = "/api/v1";
const PAGE = 50;
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state

const state = {
  session: null, // {user, accessToken, refreshToken, expiresAt}
  socket: null,
  conversations: new Map(), // id → Conversation (API.md), kept up to date by events
  current: null, // open conversation id
  threads: new Map(), // id → {messages: Map seq → Message, hasOlder, loadingOlder, loaded}
  pending: new Map(), // clientMessageId → {conversationId, content, clientMessageId, failed}
  typing: new Map(), // conversationId → Map userId → timer
  names: new Map(), // userId → display name, of everyone seen (so a member who left still has a name)
  editing: null, // {conversationId, seq, draft}: the message being edited, kept across re-renders
  everConnected: false,
};

// ---------------------------------------------------------------- session and REST

function saveSession(data) {
  state.session = {
    user: data.user ?? state.session?.user,
    accessToken: data.accessToken,
    refreshToken: data.refreshToken,
    expiresAt: Date.now() + data.expiresIn * 1000,
  };
  sessionStorage.setItem("chatone.session", JSON.stringify(state.session));
  scheduleRefresh();
}

function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem("chatone.session"));
    if (saved?.accessToken && saved?.refreshToken && saved?.user) state.session = saved;
  } catch {}
}

class APIError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.details = error?.details;
  }
}

async function request(method, path, body, { auth = true, retry = true } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && state.session) headers.Authorization = `Bearer ${state.session.accessToken}`;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new APIError(0, { code: "NETWORK", message: "The server cannot be reached." });
  }
  let json = null;
  try {
    json = await response.json();
  } catch {}
  if (response.status === 401 && auth && retry && state.session) {
    if (await refreshTokens()) return request(method, path, body, { auth, retry: false });
  }
  if (!response.ok || !json?.success) throw new APIError(response.status, json?.error);
  return json;
}

const api = {
  get: (path) => request("GET", path).then((r) => r.data),
  page: (path) => request("GET", path),
  post: (path, body = {}, options) => request("POST", path, body, options).then((r) => r.data),
  patch: (path, body) => request("PATCH", path, body).then((r) => r.data),
  del: (path) => request("DELETE", path).then((r) => r.data),
};

let refreshing = null;
let refreshTimer = null;

/** One refresh at a time; every caller waits for the same one. Returns false when the login is gone. */
function refreshTokens() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const data = await api.post("/auth/refresh", { refreshToken: state.session.refreshToken }, { auth: false });
        saveSession(data);
        // The socket keeps running on the new token (API.md: auth:renew).
        state.socket?.emitWithAck("auth:renew", { token: data.accessToken }).catch(() => {});
        return true;
      } catch (error) {
        if (error.status === 401) signOut("Your session ended. Please log in again.");
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** Refreshes a minute before the access token expires (or halfway, for very short lifetimes). */
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!state.session) return;
  const left = state.session.expiresAt - Date.now();
  const wait = left > 120000 ? left - 60000 : Math.max(1000, left / 2);
  refreshTimer = setTimeout(() => refreshTokens(), wait);
}

// ---------------------------------------------------------------- sign in / out

function showAuth(message = "") {
  $("app").hidden = true;
  $("auth").hidden = false;
  $("auth-error").textContent = message;
}

$("auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const register = event.submitter?.name === "register";
  const body = { username: form.username.value.trim(), password: form.password.value };
  if (register && form.displayName.value.trim()) body.displayName = form.displayName.value.trim();
  $("auth-error").textContent = "";
  try {
    const data = await api.post(register ? "/auth/register" : "/auth/login", body, { auth: false });
    saveSession(data);
    form.password.value = "";
    await start();
  } catch (error) {
    $("auth-error").textContent = error.code === "INVALID_CREDENTIALS" ? "Wrong username or password." : error.message;
  }
});

$("logout").addEventListener("click", async () => {
  const token = state.session?.refreshToken;
  if (token) api.post("/auth/logout", { refreshToken: token }, { auth: false }).catch(() => {});
  signOut("");
});

function signOut(message) {
  clearTimeout(refreshTimer);
  state.socket?.disconnect();
  state.socket = null;
  state.session = null;
  state.conversations.clear();
  state.threads.clear();
  state.pending.clear();
  state.current = null;
  state.everConnected = false;
  sessionStorage.removeItem("chatone.session");
  showAuth(message);
}

// ---------------------------------------------------------------- start

async function start() {
  $("auth").hidden = true;
  $("app").hidden = false;
  const me = state.session.user;
  $("me-name").textContent = me.displayName || me.username;
  scheduleRefresh();
  await loadConversations();
  connectSocket();
}

async function loadConversations() {
  const fresh = new Map();
  let cursor = null;
  // Every page: the list is the user's own conversations, a bounded number for a person.
  do {
    const page = await api.page(`/conversations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const conversation of page.data) fresh.set(conversation.id, conversation);
    cursor = page.page?.hasMore ? page.page.nextCursor : null;
  } while (cursor);
  state.conversations = fresh;
  for (const conversation of fresh.values()) rememberNames(conversation);
  if (state.current && !fresh.has(state.current)) closeConversation();
  renderConversations();
  if (state.current) renderHeader();
}

// ---------------------------------------------------------------- socket

function connectSocket() {
  const socket = new SocketIOClient(location.origin, {
    auth: async () => {
      if (state.session && state.session.expiresAt - Date.now() < 30000) await refreshTokens();
      return { token: state.session?.accessToken };
    },
  });
  state.socket = socket;
  socket.on("connect", () => onConnected());
  socket.on("disconnect", () => setConnection(false));
  socket.on("connect_error", async (error) => {
    setConnection(false);
    // An expired or revoked token: refresh once; the next attempt takes the new one (or the login is over).
    if (error.data?.code === "UNAUTHORIZED" && state.session) await refreshTokens();
  });
  socket.on("message:new", (message) => receiveMessage(message));
  socket.on("message:updated", (message) => replaceMessage(message));
  socket.on("message:deleted", (message) => replaceMessage(message));
  socket.on("message:reactions", ({ conversationId, seq, reactions }) => {
    const message = state.threads.get(conversationId)?.messages.get(seq);
    if (message) replaceMessage({ ...message, reactions });
  });
  socket.on("message:read", (receipt) => onReadReceipt(receipt));
  socket.on("typing", (typing) => onTyping(typing));
  socket.on("presence:update", (presence) => onPresence(presence));
  socket.on("conversation:new", (conversation) => upsertConversation(conversation));
  socket.on("conversation:update", (conversation) => upsertConversation(conversation));
  socket.on("conversation:removed", ({ conversationId }) => removeConversation(conversationId));
  socket.on("session:revoked", () => signOut("This login was ended from another device."));
  socket.connect();
}

async function onConnected() {
  setConnection(true);
  const reconnect = state.everConnected;
  state.everConnected = true;
  if (reconnect) {
    // Whatever happened while the socket was down: the list (new conversations, unread counts) and the open
    // conversation's messages after the last one seen. Messages are kept by seq, so nothing shows twice.
    try {
      await loadConversations();
      if (state.current) await catchUp(state.current);
    } catch (error) {
      console.warn("catch-up failed", error);
    }
  }
  // Sends that were not acknowledged go again with the same clientMessageId: the server stores each once.
  for (const pending of state.pending.values()) if (!pending.failed && !pending.inFlight) sendPending(pending);
}

function setConnection(online) {
  const element = $("connection");
  element.classList.toggle("online", online);
  element.textContent = online ? "online" : "reconnecting…";
}

// ---------------------------------------------------------------- conversation list

function conversationTitle(conversation) {
  if (conversation.type === "group") return conversation.title || "Group";
  const other = otherMember(conversation);
  return other ? other.displayName || other.username : "Conversation";
}

function otherMember(conversation) {
  return conversation.members.find((member) => member.id !== state.session.user.id);
}

function activityTime(conversation) {
  return Date.parse(conversation.lastMessage?.createdAt || conversation.updatedAt || conversation.createdAt) || 0;
}

function renderConversations() {
  const list = $("conversations");
  list.replaceChildren();
  const sorted = [...state.conversations.values()].sort((a, b) => activityTime(b) - activityTime(a));
  for (const conversation of sorted) {
    const item = document.createElement("li");
    item.className = "conversation-item" + (conversation.id === state.current ? " active" : "");
    item.dataset.testid = "conversation-item";
    item.dataset.id = conversation.id;
    const dot = document.createElement("span");
    dot.className = "dot";
    if (conversation.type === "direct") {
      dot.classList.toggle("online", !!otherMember(conversation)?.online);
      dot.dataset.testid = "presence-dot";
    } else {
      dot.classList.add("group");
    }
    const body = document.createElement("div");
    body.className = "item-body";
    const title = document.createElement("div");
    title.className = "item-title";
    title.dataset.testid = "conversation-title";
    title.textContent = conversationTitle(conversation);
    const preview = document.createElement("div");
    preview.className = "item-preview";
    preview.dataset.testid = "conversation-preview";
    const last = conversation.lastMessage;
    if (last) {
      const mine = last.senderId === state.session.user.id;
      preview.textContent = (mine ? "You: " : "") + (last.content ?? "message deleted");
    }
    body.append(title, preview);
    item.append(dot, body);
    if (conversation.unreadCount > 0 && conversation.id !== state.current) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.testid = "unread";
      badge.textContent = String(conversation.unreadCount);
      item.append(badge);
    }
    item.addEventListener("click", () => openConversation(conversation.id));
    list.append(item);
  }
}

function rememberNames(conversation) {
  for (const member of conversation.members) state.names.set(member.id, member.displayName || member.username);
}

function upsertConversation(conversation) {
  rememberNames(conversation);
  const known = state.conversations.get(conversation.id);
  if (known && conversation.id === state.current) conversation.unreadCount = 0;
  state.conversations.set(conversation.id, conversation);
  renderConversations();
  if (conversation.id === state.current) {
    renderHeader();
    renderSeen();
    if (!$("group-dialog").hidden && $("group-dialog").open && groupDialog.conversationId === conversation.id) renderGroupDialog();
  }
}

function removeConversation(id) {
  state.conversations.delete(id);
  state.threads.delete(id);
  if (state.current === id) closeConversation();
  if ($("group-dialog").open && groupDialog.conversationId === id) $("group-dialog").close();
  renderConversations();
}

function onPresence({ userId, online, lastSeenAt }) {
  for (const conversation of state.conversations.values()) {
    for (const member of conversation.members) {
      if (member.id === userId) {
        member.online = online;
        member.lastSeenAt = lastSeenAt;
      }
    }
  }
  renderConversations();
  if (state.current) renderHeader();
}

// ---------------------------------------------------------------- people search

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

async function searchPeople(query) {
  if (!query.trim()) return [];
  const users = await api.get(`/users?q=${encodeURIComponent(query.trim())}&limit=10`);
  return users.filter((user) => user.id !== state.session.user.id);
}

function renderPeople(list, users, onPick, label) {
  list.replaceChildren();
  for (const user of users) {
    const item = document.createElement("li");
    item.dataset.testid = "person";
    const name = document.createElement("span");
    name.textContent = `${user.displayName} (@${user.username})`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = label;
    button.addEventListener("click", () => onPick(user));
    item.append(name, button);
    list.append(item);
  }
}

$("people-search").addEventListener(
  "input",
  debounce(async (event) => {
    try {
      const users = await searchPeople(event.target.value);
      renderPeople($("people-results"), users, startDirect, "Message");
    } catch (error) {
      console.warn(error);
    }
  }, 200),
);

async function startDirect(user) {
  const conversation = await api.post("/conversations", { type: "direct", userId: user.id });
  $("people-search").value = "";
  $("people-results").replaceChildren();
  upsertConversation(conversation);
  openConversation(conversation.id);
}

// ---------------------------------------------------------------- one conversation

function thread(id) {
  if (!state.threads.has(id)) state.threads.set(id, { messages: new Map(), hasOlder: false, loadingOlder: false, loaded: false });
  return state.threads.get(id);
}

async function openConversation(id) {
  state.current = id;
  const conversation = state.conversations.get(id);
  $("empty").hidden = true;
  $("conv-header").hidden = false;
  $("composer").hidden = false;
  renderHeader();
  renderTyping();
  const t = thread(id);
  renderMessages({ scroll: "bottom" });
  if (!t.loaded) {
    const page = await api.page(`/conversations/${id}/messages?limit=${PAGE}`);
    if (state.current !== id) return;
    for (const message of page.data) t.messages.set(message.seq, message);
    t.hasOlder = page.page.hasMore;
    t.loaded = true;
  } else {
    await catchUp(id);
  }
  renderMessages({ scroll: "bottom" });
  if (conversation) conversation.unreadCount = 0;
  renderConversations();
  markRead();
  $("composer-input").focus();
}

function closeConversation() {
  state.current = null;
  $("empty").hidden = false;
  $("conv-header").hidden = true;
  $("composer").hidden = true;
  $("message-list").replaceChildren();
  $("seen").textContent = "";
  $("typing").textContent = "";
  $("history-status").textContent = "";
}

/** Everything after the newest message held, page by page (after a reconnect, or on reopening). */
async function catchUp(id) {
  const t = thread(id);
  if (!t.loaded) return;
  let after = Math.max(0, ...t.messages.keys());
  for (;;) {
    const page = await api.page(`/conversations/${id}/messages?after=${after}&limit=100`);
    for (const message of page.data) addMessage(message);
    if (!page.page.hasMore || page.data.length === 0) break;
    after = page.data[page.data.length - 1].seq;
  }
  if (state.current === id) {
    renderMessages({ scroll: "keep-bottom" });
    markRead();
  }
}

function renderHeader() {
  const conversation = state.conversations.get(state.current);
  if (!conversation) return;
  $("conv-title").textContent = conversationTitle(conversation);
  const dot = $("conv-presence");
  dot.className = "dot";
  if (conversation.type === "direct") {
    const other = otherMember(conversation);
    dot.classList.toggle("online", !!other?.online);
    $("conv-subtitle").textContent = other?.online ? "online" : other?.lastSeenAt ? `last seen ${formatTime(other.lastSeenAt)}` : "offline";
    $("manage-group").hidden = true;
  } else {
    dot.classList.add("group");
    $("conv-subtitle").textContent = conversation.members.map((m) => m.displayName || m.username).join(", ");
    $("manage-group").hidden = false;
  }
}

function formatTime(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleString();
}

function memberName(conversation, userId) {
  const member = conversation?.members.find((m) => m.id === userId);
  return member ? member.displayName || member.username : state.names.get(userId) || "a former member";
}

function messageElement(conversation, message, pending) {
  const mine = pending || message.senderId === state.session.user.id;
  const item = document.createElement("li");
  item.className = "message" + (mine ? " mine" : "");
  item.dataset.testid = "message";
  if (message.seq) item.dataset.seq = String(message.seq);
  if (message.clientMessageId) item.dataset.clientMessageId = message.clientMessageId;
  if (conversation?.type === "group" && !mine) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = memberName(conversation, message.senderId);
    item.append(sender);
  }
  const text = document.createElement("div");
  text.className = "text";
  text.dataset.testid = "message-text";
  if (message.content === null) {
    text.classList.add("deleted");
    text.textContent = "message deleted";
  } else {
    text.textContent = message.content;
  }
  if (!pending && message.content !== null && state.editing?.conversationId === message.conversationId && state.editing.seq === message.seq) {
    text.replaceChildren(editor(message));
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  if (pending) {
    meta.dataset.testid = "message-status";
    meta.textContent = message.failed ? `not sent: ${message.failed}` : "sending…";
    if (message.failed) item.classList.add("failed");
  } else {
    const time = document.createElement("span");
    time.textContent = formatTime(message.createdAt) + (message.editedAt ? " · edited" : "");
    meta.append(time);
  }
  if (!pending && message.content !== null) meta.prepend(messageActions(message, mine));
  item.append(text, meta);
  if (!pending && message.content !== null) item.append(reactionChips(message));
  return item;
}

// ---------------------------------------------------------------- edit, delete, react (API.md "Messages")

const QUICK_REACTION = "👍";

function reactionChips(message) {
  const row = document.createElement("div");
  row.className = "reactions";
  for (const reaction of message.reactions || []) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip" + (reaction.userIds.includes(state.session.user.id) ? " mine" : "");
    chip.dataset.testid = "reaction";
    chip.textContent = `${reaction.emoji} ${reaction.userIds.length}`;
    chip.title = reaction.userIds.map((id) => state.names.get(id) || "someone").join(", ");
    chip.addEventListener("click", () => toggleReaction(message, reaction.emoji));
    row.append(chip);
  }
  return row;
}

function messageActions(message, mine) {
  const bar = document.createElement("div");
  bar.className = "actions";
  bar.dataset.testid = "message-actions";
  const add = (label, testid, action) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = label;
    button.dataset.testid = testid;
    button.addEventListener("click", action);
    bar.append(button);
  };
  add(QUICK_REACTION, "react", () => toggleReaction(message, QUICK_REACTION));
  if (mine) {
    add("Edit", "edit", () => {
      state.editing = { conversationId: message.conversationId, seq: message.seq, draft: message.content };
      renderMessages({ scroll: "keep" });
      document.querySelector("[data-testid=edit-input]")?.focus();
    });
    add("Delete", "delete", () => {
      if (confirm("Delete this message for everyone?")) changeMessage("message:delete", "DELETE", message, undefined);
    });
  }
  return bar;
}

function editor(message) {
  const form = document.createElement("form");
  form.className = "editor";
  const input = document.createElement("textarea");
  input.value = state.editing.draft;
  input.maxLength = 4000;
  input.dataset.testid = "edit-input";
  input.addEventListener("input", () => (state.editing.draft = input.value));
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Save";
  save.dataset.testid = "edit-save";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "secondary";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => {
    state.editing = null;
    renderMessages({ scroll: "keep" });
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const content = input.value;
    state.editing = null;
    if (content.trim() && content !== message.content) changeMessage("message:edit", "PATCH", message, content);
    else renderMessages({ scroll: "keep" });
  });
  form.append(input, save, cancel);
  return form;
}

/** An edit or delete: over the socket when it is up, else over REST; the answer replaces the message. */
async function changeMessage(event, method, message, content) {
  const payload = { conversationId: message.conversationId, seq: message.seq };
  if (content !== undefined) payload.content = content;
  try {
    let updated;
    if (state.socket?.connected) {
      const reply = await state.socket.emitWithAck(event, payload);
      if (!reply?.success) throw new APIError(0, reply?.error);
      updated = reply.data;
    } else {
      const path = `/conversations/${message.conversationId}/messages/${message.seq}`;
      updated = await request(method, path, content === undefined ? undefined : { content }).then((r) => r.data);
    }
    replaceMessage(updated);
  } catch (error) {
    alert(`Could not change the message: ${error.message}`);
  }
}

async function toggleReaction(message, emoji) {
  const mine = (message.reactions || []).some((r) => r.emoji === emoji && r.userIds.includes(state.session.user.id));
  const path = `/conversations/${message.conversationId}/messages/${message.seq}/reactions/${encodeURIComponent(emoji)}`;
  try {
    replaceMessage(await (mine ? api.del(path) : request("PUT", path).then((r) => r.data)));
  } catch (error) {
    alert(`Could not react: ${error.message}`);
  }
}

/** Re-draws the open conversation. `scroll`: "bottom", "keep-bottom" (stay at the bottom if already there), or
 * "keep" (hold the view still while older messages are put above). */
function renderMessages({ scroll = "keep-bottom" } = {}) {
  const id = state.current;
  if (!id) return;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const conversation = state.conversations.get(id);
  const t = thread(id);
  const list = $("message-list");
  const items = [...t.messages.values()].sort((a, b) => a.seq - b.seq).map((m) => messageElement(conversation, m, false));
  for (const pending of state.pending.values()) {
    if (pending.conversationId === id) items.push(messageElement(conversation, pending, true));
  }
  list.replaceChildren(...items);
  $("history-status").textContent = t.loadingOlder ? "Loading earlier messages…" : t.loaded && !t.hasOlder ? "Start of the conversation" : "";
  renderSeen();
  if (scroll === "bottom" || (scroll === "keep-bottom" && atBottom)) box.scrollTop = box.scrollHeight;
  else if (scroll === "keep") box.scrollTop = box.scrollHeight - fromBottom;
}

/** "Seen" under the conversation: in a direct one when the other read my newest message; in a group, who did. */
function renderSeen() {
  const element = $("seen");
  element.textContent = "";
  const conversation = state.conversations.get(state.current);
  if (!conversation) return;
  const mineSeqs = [...thread(state.current).messages.values()].filter((m) => m.senderId === state.session.user.id).map((m) => m.seq);
  if (mineSeqs.length === 0) return;
  const lastMine = Math.max(...mineSeqs);
  const readers = conversation.members.filter((m) => m.id !== state.session.user.id && m.lastReadSeq >= lastMine);
  if (readers.length === 0) return;
  element.textContent = conversation.type === "direct" ? "Seen" : `Seen by ${readers.map((m) => m.displayName || m.username).join(", ")}`;
}

function addMessage(message) {
  const t = thread(message.conversationId);
  t.messages.set(message.seq, message);
  // My own message, sent from here (acked, or caught up after a reconnect) or from another tab: no longer pending.
  if (message.clientMessageId && message.senderId === state.session.user.id) state.pending.delete(message.clientMessageId);
}

function receiveMessage(message) {
  const conversation = state.conversations.get(message.conversationId);
  if (!conversation) {
    // A conversation this page has not seen yet (its conversation:new may still be on its way).
    api.get(`/conversations/${message.conversationId}`).then(upsertConversation).catch(() => {});
    return;
  }
  if (thread(message.conversationId).loaded) addMessage(message);
  updatePreview(conversation, message);
  clearTyping(message.conversationId, message.senderId);
  if (message.conversationId === state.current) {
    renderMessages({ scroll: "keep-bottom" });
    markRead();
  } else if (message.senderId !== state.session.user.id) {
    conversation.unreadCount = (conversation.unreadCount || 0) + 1;
  }
  renderConversations();
}

function updatePreview(conversation, message) {
  if (!conversation.lastMessage || conversation.lastMessage.seq <= message.seq) conversation.lastMessage = message;
  conversation.lastSeq = Math.max(conversation.lastSeq || 0, message.seq);
}

function replaceMessage(message) {
  const t = state.threads.get(message.conversationId);
  if (t?.messages.has(message.seq)) t.messages.set(message.seq, message);
  const conversation = state.conversations.get(message.conversationId);
  if (conversation?.lastMessage?.seq === message.seq) conversation.lastMessage = message;
  if (message.conversationId === state.current) renderMessages({ scroll: "keep" });
  renderConversations();
}

// Older history as the reader scrolls up.
$("messages").addEventListener("scroll", () => {
  if ($("messages").scrollTop < 80) loadOlder();
});

async function loadOlder() {
  const id = state.current;
  const t = id && thread(id);
  if (!t || !t.loaded || !t.hasOlder || t.loadingOlder) return;
  t.loadingOlder = true;
  renderMessages({ scroll: "keep" });
  try {
    const oldest = Math.min(...t.messages.keys());
    const page = await api.page(`/conversations/${id}/messages?before=${oldest}&limit=${PAGE}`);
    for (const message of page.data) t.messages.set(message.seq, message);
    t.hasOlder = page.page.hasMore;
  } finally {
    t.loadingOlder = false;
  }
  if (state.current === id) renderMessages({ scroll: "keep" });
}

// ---------------------------------------------------------------- read receipts

let readTimer = null;

/** Tells the server (and so the others) how far this user has read, when the page is visible. */
function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const id = state.current;
    if (!id || document.visibilityState === "hidden") return;
    const seqs = [...thread(id).messages.keys()];
    if (seqs.length === 0) return;
    const seq = Math.max(...seqs);
    const conversation = state.conversations.get(id);
    const me = conversation?.members.find((m) => m.id === state.session.user.id);
    if (me && me.lastReadSeq >= seq) return;
    const send = state.socket?.connected
      ? state.socket.emitWithAck("message:read", { conversationId: id, seq }).then((reply) => {
          if (!reply?.success) throw new APIError(0, reply?.error);
          return reply.data;
        })
      : api.post(`/conversations/${id}/read`, { seq });
    send.then((data) => {
      if (me) me.lastReadSeq = Math.max(me.lastReadSeq || 0, data.lastReadSeq);
    }).catch(() => {});
  }, 150);
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") markRead();
});

function onReadReceipt({ conversationId, userId, lastReadSeq }) {
  const conversation = state.conversations.get(conversationId);
  const member = conversation?.members.find((m) => m.id === userId);
  if (!member) return;
  member.lastReadSeq = Math.max(member.lastReadSeq || 0, lastReadSeq);
  if (conversationId === state.current) renderSeen();
}

// ---------------------------------------------------------------- typing

let typingSentAt = 0;
let typingStop = null;

$("composer-input").addEventListener("input", () => {
  const id = state.current;
  if (!id || !state.socket?.connected) return;
  if (Date.now() - typingSentAt > 3000) {
    typingSentAt = Date.now();
    state.socket.emitWithAck("typing", { conversationId: id, isTyping: true }).catch(() => {});
  }
  clearTimeout(typingStop);
  typingStop = setTimeout(() => stopTyping(id), 4000);
});

function stopTyping(id) {
  clearTimeout(typingStop);
  if (!typingSentAt) return;
  typingSentAt = 0;
  state.socket?.emitWithAck("typing", { conversationId: id, isTyping: false }).catch(() => {});
}

function onTyping({ conversationId, userId, isTyping }) {
  if (!state.typing.has(conversationId)) state.typing.set(conversationId, new Map());
  const typers = state.typing.get(conversationId);
  clearTimeout(typers.get(userId));
  if (isTyping) {
    // A lost "stopped typing" must not leave the indicator up for ever.
    typers.set(userId, setTimeout(() => clearTyping(conversationId, userId), 6000));
  } else {
    typers.delete(userId);
  }
  if (conversationId === state.current) renderTyping();
}

function clearTyping(conversationId, userId) {
  const typers = state.typing.get(conversationId);
  if (!typers?.has(userId)) return;
  clearTimeout(typers.get(userId));
  typers.delete(userId);
  if (conversationId === state.current) renderTyping();
}

function renderTyping() {
  const typers = [...(state.typing.get(state.current)?.keys() || [])];
  const conversation = state.conversations.get(state.current);
  const names = typers.map((id) => memberName(conversation, id));
  $("typing").textContent = names.length === 0 ? "" : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

// ---------------------------------------------------------------- sending

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const content = input.value;
  if (!content.trim() || !state.current) return;
  input.value = "";
  stopTyping(state.current);
  const pending = { conversationId: state.current, content, clientMessageId: newClientMessageID(), failed: null, inFlight: false };
  state.pending.set(pending.clientMessageId, pending);
  renderMessages({ scroll: "bottom" });
  sendPending(pending);
});

$("composer-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});

function newClientMessageID() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** Sends over the socket; shown at once as "sending…", replaced by the stored message when the ack comes. A
 * transport failure leaves it pending, and the next connect sends it again with the same clientMessageId. */
async function sendPending(pending) {
  if (!state.socket?.connected) return;
  pending.inFlight = true;
  try {
    const reply = await state.socket.emitWithAck("message:send", {
      conversationId: pending.conversationId,
      content: pending.content,
      clientMessageId: pending.clientMessageId,
    });
    if (reply?.success) {
      const message = reply.data;
      addMessage(message);
      const conversation = state.conversations.get(message.conversationId);
      if (conversation) updatePreview(conversation, message);
    } else if (reply?.error?.code === "RATE_LIMITED") {
      setTimeout(() => sendPending(pending), 1000);
    } else {
      pending.failed = reply?.error?.message || "error";
    }
  } catch (error) {
    if (!(error instanceof TransportError)) pending.failed = error.message;
  } finally {
    pending.inFlight = false;
  }
  if (pending.conversationId === state.current) renderMessages({ scroll: "keep-bottom" });
  renderConversations();
}

// ---------------------------------------------------------------- groups

const groupDialog = { conversationId: null, selected: new Map() };

$("new-group").addEventListener("click", () => {
  groupDialog.conversationId = null;
  groupDialog.selected = new Map();
  $("group-title").value = "";
  renderGroupDialog();
  $("group-dialog").showModal();
});

$("manage-group").addEventListener("click", () => {
  groupDialog.conversationId = state.current;
  const conversation = state.conversations.get(state.current);
  $("group-title").value = conversation?.title || "";
  renderGroupDialog();
  $("group-dialog").showModal();
});

$("group-close").addEventListener("click", () => $("group-dialog").close());

function isAdmin(conversation) {
  return conversation?.members.some((m) => m.id === state.session.user.id && m.role === "admin");
}

function renderGroupDialog() {
  const conversation = groupDialog.conversationId && state.conversations.get(groupDialog.conversationId);
  const creating = !conversation;
  const admin = creating || isAdmin(conversation);
  $("group-dialog-title").textContent = creating ? "New group" : "Group settings";
  $("group-create").hidden = !creating;
  $("group-rename").hidden = creating || !admin;
  $("group-leave").hidden = creating;
  $("group-title").disabled = !admin;
  $("group-add").hidden = !admin;
  $("group-error").textContent = "";
  const list = $("group-members");
  list.replaceChildren();
  const members = creating ? [...groupDialog.selected.values()] : conversation.members;
  for (const member of members) {
    const item = document.createElement("li");
    item.dataset.testid = "group-member";
    const name = document.createElement("span");
    name.textContent = `${member.displayName || member.username}${member.role === "admin" ? " (admin)" : ""}`;
    item.append(name);
    const self = member.id === state.session.user.id;
    if (!self && admin) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link danger";
      remove.textContent = "Remove";
      remove.dataset.testid = "group-remove";
      remove.addEventListener("click", () => (creating ? unselect(member) : removeMember(conversation, member)));
      item.append(remove);
    }
    list.append(item);
  }
}

function unselect(user) {
  groupDialog.selected.delete(user.id);
  renderGroupDialog();
}

$("group-search").addEventListener(
  "input",
  debounce(async (event) => {
    try {
      const users = await searchPeople(event.target.value);
      renderPeople($("group-results"), users, addToGroup, "Add");
    } catch (error) {
      $("group-error").textContent = error.message;
    }
  }, 200),
);

async function addToGroup(user) {
  $("group-search").value = "";
  $("group-results").replaceChildren();
  const conversation = groupDialog.conversationId && state.conversations.get(groupDialog.conversationId);
  if (!conversation) {
    groupDialog.selected.set(user.id, user);
    renderGroupDialog();
    return;
  }
  try {
    upsertConversation(await api.post(`/conversations/${conversation.id}/members`, { userIds: [user.id] }));
    renderGroupDialog();
  } catch (error) {
    $("group-error").textContent = error.message;
  }
}

async function removeMember(conversation, member) {
  try {
    const updated = await api.del(`/conversations/${conversation.id}/members/${member.id}`);
    if (updated?.id) upsertConversation(updated);
    renderGroupDialog();
  } catch (error) {
    $("group-error").textContent = error.message;
  }
}

$("group-create").addEventListener("click", async () => {
  try {
    const conversation = await api.post("/conversations", {
      type: "group",
      title: $("group-title").value,
      memberIds: [...groupDialog.selected.keys()],
    });
    $("group-dialog").close();
    upsertConversation(conversation);
    openConversation(conversation.id);
  } catch (error) {
    $("group-error").textContent = error.message;
  }
});

$("group-rename").addEventListener("click", async () => {
  try {
    upsertConversation(await api.patch(`/conversations/${groupDialog.conversationId}`, { title: $("group-title").value }));
    renderGroupDialog();
  } catch (error) {
    $("group-error").textContent = error.message;
  }
});

$("group-leave").addEventListener("click", async () => {
  const id = groupDialog.conversationId;
  try {
    await api.del(`/conversations/${id}/members/${state.session.user.id}`);
    $("group-dialog").close();
    removeConversation(id);
  } catch (error) {
    $("group-error").textContent = error.message;
  }
});

// ---------------------------------------------------------------- boot

loadSession();
if (state.session) {
  start().catch((error) => {
    if (error.status === 401) signOut("Please log in again.");
    else showAuth(error.message);
  });
} else {
  showAuth();
}
