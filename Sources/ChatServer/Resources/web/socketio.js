// A small Socket.IO v5 / Engine.IO v4 client over WebSocket, ChatOne's own (no client bundle can be installed
// here). It speaks what the web client needs: CONNECT with an auth object, events, acknowledgements, heartbeats and
// reconnection with backoff. No long-polling, no binary attachments, namespace "/" unless told otherwise.
//
// Works in browsers and in Node 20+ (pass `WebSocket` when the global is missing). Tests: Tests/web/socketio.test.mjs.

/** Engine.IO v4 packet types (one character at the start of every WebSocket text frame). */
export const EngineType = { open: "0", close: "1", ping: "2", pong: "3", message: "4", upgrade: "5", noop: "6" };

/** Socket.IO v5 packet types (the first character of an Engine.IO message). */
export const PacketType = { connect: 0, disconnect: 1, event: 2, ack: 3, connectError: 4, binaryEvent: 5, binaryAck: 6 };

/**
 * Encodes a Socket.IO packet as the text of one Engine.IO message (without the leading "4").
 * `nsp` "/" is left out, as the protocol allows; `id` is the ack id; `data` is JSON-encoded.
 */
export function encodePacket({ type, nsp = "/", id, data }) {
  let text = String(type);
  if (nsp && nsp !== "/") text += nsp + ",";
  if (id !== undefined && id !== null) text += String(id);
  if (data !== undefined) text += JSON.stringify(data);
  return text;
}

/** Decodes the text of one Engine.IO message into a Socket.IO packet; throws on anything malformed. */
export function decodePacket(text) {
  if (typeof text !== "string" || text.length === 0) throw new Error("empty packet");
  const type = Number(text[0]);
  if (!Number.isInteger(type) || type < 0 || type > 6) throw new Error(`unknown packet type ${text[0]}`);
  if (type === PacketType.binaryEvent || type === PacketType.binaryAck) throw new Error("binary packets are not supported");
  let i = 1;
  let nsp = "/";
  if (text[i] === "/") {
    const comma = text.indexOf(",", i);
    nsp = comma === -1 ? text.slice(i) : text.slice(i, comma);
    i = comma === -1 ? text.length : comma + 1;
  }
  let idText = "";
  while (i < text.length && text[i] >= "0" && text[i] <= "9") idText += text[i++];
  const id = idText === "" ? undefined : Number(idText);
  let data;
  if (i < text.length) data = JSON.parse(text.slice(i));
  if ((type === PacketType.event || type === PacketType.ack) && !Array.isArray(data)) throw new Error("event data must be an array");
  return { type, nsp, id, data };
}

/** The WebSocket URL of a Socket.IO server at `base` (http(s) or ws(s) URL), path `/socket.io/` by default. */
export function socketURL(base, path = "/socket.io") {
  const url = new URL(base);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  url.pathname = path.replace(/\/$/, "") + "/";
  url.search = "?EIO=4&transport=websocket";
  url.hash = "";
  return url.toString();
}

/** Backoff before reconnect attempt `attempt` (0-based): doubling from `min` to `max`, with ±50% jitter. */
export function reconnectDelay(attempt, min, max, random = Math.random) {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.5 + random()));
}

/** An ack that failed at the transport (not answered: disconnect, timeout). The message may or may not have arrived. */
export class TransportError extends Error {}

/**
 * A Socket.IO client on one namespace.
 *
 *   const socket = new SocketIOClient("http://127.0.0.1:3000", { auth: () => ({ token }) });
 *   socket.on("connect", () => …); socket.on("message:new", (m) => …);
 *   const reply = await socket.emitWithAck("message:send", { … });
 *   socket.connect();
 *
 * `auth` may be a function, called before every connection attempt, so a reconnect uses the newest token.
 * Reserved events: "connect", "disconnect" (reason), "connect_error" (error with `.data`), "reconnect_attempt" (n).
 */
export class SocketIOClient {
  constructor(base, options = {}) {
    this.url = socketURL(base, options.path);
    this.nsp = options.namespace || "/";
    this.auth = options.auth;
    this.reconnection = options.reconnection !== false;
    this.reconnectionDelay = options.reconnectionDelay ?? 500;
    this.reconnectionDelayMax = options.reconnectionDelayMax ?? 5000;
    this.ackTimeout = options.ackTimeout ?? 10000;
    this.WebSocket = options.WebSocket || globalThis.WebSocket;
    this.connected = false;
    this.id = undefined;
    this.handlers = new Map();
    this.acks = new Map();
    this.nextAckID = 0;
    this.attempt = 0;
    this.ws = null;
    this.wanted = false;
    this.heartbeat = null;
    this.retryTimer = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
    return this;
  }

  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
    return this;
  }

  /** Opens the connection (and keeps it open, reconnecting, until `disconnect()`). */
  connect() {
    this.wanted = true;
    if (!this.ws) this.open();
    return this;
  }

  /** Closes for good: no reconnection. Pending acks fail with a TransportError. */
  disconnect() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    if (this.ws) {
      if (this.connected) this.sendPacket({ type: PacketType.disconnect });
      this.drop("io client disconnect");
    }
  }

  /** Sends an event without asking for an ack. Returns false when not connected (nothing is buffered). */
  emit(event, ...args) {
    if (!this.connected) return false;
    this.sendPacket({ type: PacketType.event, data: [event, ...args] });
    return true;
  }

  /** Sends an event and resolves with the server's first ack argument. Rejects with TransportError when not
   * connected, on disconnect before the answer, or after `timeout` ms. */
  emitWithAck(event, payload, { timeout = this.ackTimeout } = {}) {
    return new Promise((resolve, reject) => {
      if (!this.connected) return reject(new TransportError("not connected"));
      const id = this.nextAckID++;
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new TransportError("ack timeout"));
      }, timeout);
      this.acks.set(id, { resolve: (args) => resolve(args[0]), reject, timer });
      this.sendPacket({ type: PacketType.event, id, data: payload === undefined ? [event] : [event, payload] });
    });
  }

  // --- internals

  fire(event, ...args) {
    for (const handler of [...(this.handlers.get(event) || [])]) {
      try {
        handler(...args);
      } catch (error) {
        console.error(`socket handler for ${event} failed`, error);
      }
    }
  }

  open() {
    const ws = new this.WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (message) => {
      if (this.ws !== ws) return;
      if (typeof message.data === "string") this.onFrame(message.data);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.drop("transport close");
    };
    ws.onerror = () => {
      if (this.ws === ws && ws.readyState !== 1) this.drop("transport error");
    };
  }

  async onFrame(frame) {
    const kind = frame[0];
    if (kind === EngineType.open) {
      const handshake = JSON.parse(frame.slice(1));
      this.pingWindow = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
      this.armHeartbeat();
      let auth;
      try {
        auth = typeof this.auth === "function" ? await this.auth() : this.auth;
      } catch (error) {
        this.fire("connect_error", error);
        this.drop("auth failed");
        return;
      }
      this.sendPacket({ type: PacketType.connect, nsp: this.nsp, data: auth || undefined });
    } else if (kind === EngineType.ping) {
      this.armHeartbeat();
      this.ws.send(EngineType.pong);
    } else if (kind === EngineType.close) {
      this.drop("transport close");
    } else if (kind === EngineType.message) {
      let packet;
      try {
        packet = decodePacket(frame.slice(1));
      } catch (error) {
        this.drop("parse error");
        return;
      }
      if (packet.nsp !== this.nsp) return;
      this.onPacket(packet);
    }
  }

  onPacket(packet) {
    switch (packet.type) {
      case PacketType.connect:
        this.connected = true;
        this.id = packet.data?.sid;
        this.attempt = 0;
        this.fire("connect");
        break;
      case PacketType.connectError: {
        const error = new Error(packet.data?.message || "connect error");
        error.data = packet.data?.data;
        this.fire("connect_error", error);
        this.drop("connect error");
        break;
      }
      case PacketType.event: {
        const [event, ...args] = packet.data;
        if (packet.id !== undefined) args.push((...reply) => this.sendPacket({ type: PacketType.ack, id: packet.id, data: reply }));
        this.fire(event, ...args);
        break;
      }
      case PacketType.ack: {
        const pending = this.acks.get(packet.id);
        if (!pending) return;
        this.acks.delete(packet.id);
        clearTimeout(pending.timer);
        pending.resolve(packet.data);
        break;
      }
      case PacketType.disconnect:
        this.drop("io server disconnect");
        break;
    }
  }

  sendPacket(packet) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(EngineType.message + encodePacket({ nsp: this.nsp, ...packet }));
  }

  /** No ping within pingInterval + pingTimeout: the connection is dead even if the OS has not noticed. */
  armHeartbeat() {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => this.drop("ping timeout"), this.pingWindow);
  }

  drop(reason) {
    const ws = this.ws;
    this.ws = null;
    clearTimeout(this.heartbeat);
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {}
    }
    for (const [, pending] of this.acks) {
      clearTimeout(pending.timer);
      pending.reject(new TransportError(reason));
    }
    this.acks.clear();
    const wasConnected = this.connected;
    this.connected = false;
    this.id = undefined;
    if (wasConnected) this.fire("disconnect", reason);
    // The server closing the namespace on purpose (a revoked login) is final, as in socket.io-client.
    if (this.wanted && this.reconnection && reason !== "io server disconnect") {
      const delay = reconnectDelay(this.attempt++, this.reconnectionDelay, this.reconnectionDelayMax);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (!this.wanted || this.ws) return;
        this.fire("reconnect_attempt", this.attempt);
        this.open();
      }, delay);
    } else if (reason === "io server disconnect") {
      this.wanted = false;
    }
  }
}
