// Fedify 2.3.6, the outside reference of `make bench` (bench/fedify.py drives it over loopback).
//
//   node server.mjs --port N [--postgres URL --tables PREFIX]
//
// With --postgres it keeps its keys, caches and idempotence records in Fedify's PostgreSQL
// key-value store and queues received activities in Fedify's PostgreSQL message queue (the most
// durable store that installs beside Fedify 2.3.6: @fedify/postgres 1.8.7), so an inbox POST is
// answered 202 once the activity is verified and queued. Without it, memory only (the fan-out).
//
// One actor, /users/union, with an RSA key. Its inbox ("/inbox" and the personal one) counts
// each Create its listener ran for. Control endpoints (loopback only):
//   GET  /_control/count   -> {"accepted": inbox POSTs answered 2xx, "processed": listener runs}
//   POST /_control/fanout  {"inboxes": [...]} -> one Create(Note) sent with sendActivity to
//        every inbox, immediately (no queue); answers when all were delivered, with the time.
// Prints {"port": N} when it is listening.
import http from "node:http";
import postgres from "postgres";
import { PostgresKvStore, PostgresMessageQueue } from "@fedify/postgres";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { Create, Note, Person, PUBLIC_COLLECTION } from "@fedify/vocab";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const wantedPort = Number(option("--port", "0"));
const postgresUrl = option("--postgres", null);
const tables = option("--tables", "fedify_bench");

let sql = null;
let stores = { kv: new MemoryKvStore() };
if (postgresUrl) {
  sql = postgres(postgresUrl, { max: 10, onnotice: () => {} });
  const kv = new PostgresKvStore(sql, { tableName: `${tables}_kv` });
  const queue = new PostgresMessageQueue(sql, {
    tableName: `${tables}_mq`,
    channelName: `${tables}_channel`,
  });
  await kv.initialize();
  await queue.initialize();
  stores = { kv, queue };
}

const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
let accepted = 0;
let processed = 0;
let serial = 0;

const federation = createFederation({ ...stores, allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "union") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      inbox: ctx.getInboxUri(identifier),
      publicKey: keys[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "union" ? [rsa] : []));

federation.setInboxListeners("/users/{identifier}/inbox", "/inbox").on(Create, async () => {
  processed += 1;
});

async function fanout(inboxes, origin) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const actor = ctx.getActorUri("union");
  const id = ++serial;
  const note = new Note({
    id: new URL(`/notes/${id}`, origin),
    attribution: actor,
    content: "<p>گزارش اعتصاب #اعتصاب</p>".repeat(8),
    to: PUBLIC_COLLECTION,
  });
  const activity = new Create({
    id: new URL(`/notes/${id}/activity`, origin),
    actor,
    object: note,
    to: PUBLIC_COLLECTION,
  });
  const recipients = inboxes.map((inbox, n) => ({
    id: new URL(`${new URL(inbox).origin}/users/r${n}`),
    inboxId: new URL(inbox),
  }));
  const started = performance.now();
  await ctx.sendActivity({ identifier: "union" }, recipients, activity, { immediate: true });
  return { seconds: (performance.now() - started) / 1000, inboxes: inboxes.length };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function answer(res, data) {
  const payload = Buffer.from(JSON.stringify(data));
  res.writeHead(200, { "content-type": "application/json", "content-length": payload.length });
  res.end(payload);
}

const server = http.createServer(async (req, res) => {
  try {
    const origin = `http://${req.headers.host}`;
    const url = new URL(req.url, origin);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
    if (url.pathname === "/_control/count") {
      answer(res, { accepted, processed });
      return;
    }
    if (url.pathname === "/_control/fanout") {
      answer(res, await fanout(JSON.parse(body.toString()).inboxes, origin));
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(url, { method: req.method, headers, body });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    if (req.method === "POST" && response.ok) accepted += 1;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(error);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});

server.keepAliveTimeout = 30_000;
server.listen(wantedPort, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});

const stop = async () => {
  server.close();
  if (sql) await sql.end({ timeout: 2 });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
