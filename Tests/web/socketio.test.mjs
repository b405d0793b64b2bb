// Tests of the web client's own Socket.IO module (Sources/ChatServer/Resources/web/socketio.js), under Node 20's
// test runner with its WebSocket (`node --experimental-websocket --test Tests/web/`).
//
// The codec tests are pure. The live tests talk to the repository's `socketio-conformance` server (the one the
// official protocol suites run against), started here on a free port from SOCKETIO_CONFORMANCE_BIN
// (default .build/debug/socketio-conformance), and restarted on the same port for the reconnection test.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  SocketIOClient,
  TransportError,
  decodePacket,
  encodePacket,
  reconnectDelay,
  socketURL,
} from "../../Sources/ChatServer/Resources/web/socketio.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binary = process.env.SOCKETIO_CONFORMANCE_BIN || path.join(repo, ".build/debug/socketio-conformance");

describe("packet codec", () => {
  test("encodes events, acks and CONNECT as Socket.IO v5 text", () => {
    assert.equal(encodePacket({ type: 2, data: ["hello", { a: 1 }] }), '2["hello",{"a":1}]');
    assert.equal(encodePacket({ type: 2, id: 12, data: ["ask"] }), '212["ask"]');
    assert.equal(encodePacket({ type: 3, id: 7, data: [{ ok: true }] }), '37[{"ok":true}]');
    assert.equal(encodePacket({ type: 0, data: { token: "t" } }), '0{"token":"t"}');
    assert.equal(encodePacket({ type: 0 }), "0");
    assert.equal(encodePacket({ type: 2, nsp: "/admin", id: 1, data: ["x"] }), '2/admin,1["x"]');
  });

  test("decodes namespaces, ack ids and payloads", () => {
    assert.deepEqual(decodePacket('2["hello",1]'), { type: 2, nsp: "/", id: undefined, data: ["hello", 1] });
    assert.deepEqual(decodePacket('2/admin,5["x"]'), { type: 2, nsp: "/admin", id: 5, data: ["x"] });
    assert.deepEqual(decodePacket('342[{"success":true}]'), { type: 3, nsp: "/", id: 42, data: [{ success: true }] });
    assert.deepEqual(decodePacket('0{"sid":"abc"}'), { type: 0, nsp: "/", id: undefined, data: { sid: "abc" } });
    assert.deepEqual(decodePacket("1"), { type: 1, nsp: "/", id: undefined, data: undefined });
    const error = decodePacket('4{"message":"unauthorized","data":{"code":"UNAUTHORIZED"}}');
    assert.equal(error.type, 4);
    assert.equal(error.data.data.code, "UNAUTHORIZED");
  });

  test("round-trips text with quotes, newlines and non-ASCII", () => {
    const data = ["message:send", { content: 'say "hi"\nnaïve 🙂', n: 3 }];
    assert.deepEqual(decodePacket(encodePacket({ type: 2, id: 9, data })).data, data);
  });

  test("refuses malformed packets", () => {
    assert.throws(() => decodePacket(""));
    assert.throws(() => decodePacket("9[]"));
    assert.throws(() => decodePacket("2{not json"));
    assert.throws(() => decodePacket('2{"event":"not an array"}'));
    assert.throws(() => decodePacket('51-["x",{"_placeholder":true,"num":0}]'));
  });

  test("builds the WebSocket URL from the page's origin", () => {
    assert.equal(socketURL("http://127.0.0.1:3000"), "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket");
    assert.equal(socketURL("https://chat.example/app?x=1#y"), "wss://chat.example/socket.io/?EIO=4&transport=websocket");
  });

  test("backs off exponentially up to the maximum, with jitter", () => {
    const middle = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => reconnectDelay(n, 500, 5000, middle)), [500, 1000, 2000, 4000, 5000]);
    assert.equal(reconnectDelay(0, 500, 5000, () => 0), 250);
    assert.equal(reconnectDelay(0, 500, 5000, () => 0.999), 750);
  });
});

// ------------------------------------------------------------------------------------------ live

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function startServer(port) {
  const child = spawn(binary, ["--port", String(port), "--ping-interval", "300"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`socketio-conformance exited: ${log}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/stats`);
      if (response.ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error("socketio-conformance did not start");
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", resolve);
    child.kill("SIGKILL");
  });
}

function once(socket, event, timeout = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeout} ms`)), timeout);
    const handler = (...args) => {
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args);
    };
    socket.on(event, handler);
  });
}

describe("against socketio-conformance", { skip: !existsSync(binary) && `no ${binary}` }, () => {
  let port;
  let server;
  const sockets = [];
  const client = (options = {}) => {
    const socket = new SocketIOClient(`http://127.0.0.1:${port}`, { reconnectionDelay: 100, reconnectionDelayMax: 400, ...options });
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    port = await freePort();
    server = await startServer(port);
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await stopServer(server);
  });

  test("connects with an auth object, which the server sees", async () => {
    const socket = client({ auth: { token: "abc", n: 1 } });
    const auth = once(socket, "auth");
    socket.connect();
    await once(socket, "connect");
    assert.ok(socket.connected);
    assert.equal(typeof socket.id, "string");
    assert.deepEqual((await auth)[0], { token: "abc", n: 1 });
  });

  test("an auth function is asked at every connection", async () => {
    let calls = 0;
    const socket = client({ auth: async () => ({ call: ++calls }) });
    const auth = once(socket, "auth");
    socket.connect();
    assert.deepEqual((await auth)[0], { call: 1 });
  });

  test("emits events and receives the server's events", async () => {
    const socket = client();
    socket.connect();
    await once(socket, "connect");
    const back = once(socket, "message-back");
    assert.equal(socket.emit("message", "hello", { n: 2 }), true);
    assert.deepEqual(await back, ["hello", { n: 2 }]);
  });

  test("emitWithAck resolves with the server's ack", async () => {
    const socket = client();
    socket.connect();
    await once(socket, "connect");
    assert.deepEqual(await socket.emitWithAck("message-with-ack", { text: "ünïcode 🙂" }), { text: "ünïcode 🙂" });
    // Several at once are matched to their own acks.
    const replies = await Promise.all([1, 2, 3].map((n) => socket.emitWithAck("message-with-ack", n)));
    assert.deepEqual(replies, [1, 2, 3]);
  });

  test("answers the server's ack requests", async () => {
    const socket = client();
    socket.on("ask", (question, ack) => ack({ answer: question * 2 }));
    socket.connect();
    await once(socket, "connect");
    const result = once(socket, "ask-result");
    socket.emit("server-ack-request", 21);
    assert.deepEqual(await result, [{ answer: 42 }]);
  });

  test("a refused CONNECT reports the server's error data", async () => {
    const socket = client({ namespace: "/protected", auth: { token: "wrong" }, reconnection: false });
    socket.connect();
    const [error] = await once(socket, "connect_error");
    assert.equal(error.message, "unauthorized");
    assert.equal(error.data.code, "UNAUTHORIZED");
    assert.equal(socket.connected, false);
  });

  test("connects to another namespace", async () => {
    const socket = client({ namespace: "/protected", auth: { token: "letmein" } });
    socket.connect();
    await once(socket, "connect");
    assert.deepEqual(await socket.emitWithAck("message-with-ack", "inside"), "inside");
  });

  test("emitWithAck fails with a TransportError when not connected", async () => {
    const socket = client();
    await assert.rejects(socket.emitWithAck("message-with-ack", 1), TransportError);
    assert.equal(socket.emit("message", 1), false);
  });

  test("a server-side disconnect is final: no reconnection", async () => {
    const socket = client();
    socket.connect();
    await once(socket, "connect");
    const disconnected = once(socket, "disconnect");
    socket.emit("disconnect-me");
    assert.deepEqual(await disconnected, ["io server disconnect"]);
    await assert.rejects(once(socket, "connect", 800));
  });

  test("answers heartbeats, so an idle connection stays up", async () => {
    const socket = client();
    let dropped = false;
    socket.on("disconnect", () => (dropped = true));
    socket.connect();
    await once(socket, "connect");
    // pingInterval is 300 ms and pingTimeout 200 ms: several heartbeats pass.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(dropped, false);
    assert.deepEqual(await socket.emitWithAck("message-with-ack", "still here"), "still here");
  });

  test("reconnects after the server restarts; pending acks fail meanwhile", async () => {
    const socket = client();
    socket.connect();
    await once(socket, "connect");
    const disconnected = once(socket, "disconnect");
    // An event the server never acks; its outcome is taken at once so the rejection is never unhandled.
    const pending = socket.emitWithAck("never-acked", 1, { timeout: 10000 }).then(() => "acked", (error) => error);
    await stopServer(server);
    assert.deepEqual(await disconnected, ["transport close"]);
    assert.ok((await pending) instanceof TransportError);
    server = await startServer(port);
    await once(socket, "connect", 10000);
    assert.deepEqual(await socket.emitWithAck("message-with-ack", "again"), "again");
  });

  test("disconnect() closes for good", async () => {
    const socket = client();
    socket.connect();
    await once(socket, "connect");
    const disconnected = once(socket, "disconnect");
    socket.disconnect();
    assert.deepEqual(await disconnected, ["io client disconnect"]);
    await assert.rejects(once(socket, "connect", 600));
  });
});
