// A small fediverse server on Fedify (https://fedify.dev), the independent peer of tests/interop.
//
//   node peer.mjs [--port N] [--first-knock rfc9421|draft-cavage-http-signatures-12]
//
// One actor, /users/peer, with an RSA and an Ed25519 key (so what it sends carries Object
// Integrity Proofs). It accepts follows, records every activity that reaches its inbox (with
// whether Fedify verified it, and how Fedify parsed the object), and on request follows,
// boosts, replies and fetches. Control endpoints (JSON, loopback only): GET /_control/log,
// POST /_control/follow|announce|reply|fetch. Prints {"port": N} when it is listening.
import http from "node:http";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
  verifyProof,
} from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  DataIntegrityProof,
  Delete,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const firstKnock = option("--first-knock", "rfc9421");
const wantedPort = Number(option("--port", "0"));

const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const ed25519 = await generateCryptoKeyPair("Ed25519");
const log = []; // activities, as the inbox listeners saw them
const arrivals = []; // every POST, as it reached the HTTP server: signature standard, status
let serial = 0;

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true, // loopback only, in tests
  firstKnock,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      url: ctx.getActorUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) =>
    identifier === "peer" ? [rsa, ed25519] : []
  );

async function describe(object, loader) {
  if (object == null) return null;
  const tags = [];
  for await (const tag of object.getTags({ suppressError: true, documentLoader: loader })) {
    tags.push({ type: tag.constructor.name, name: tag.name?.toString() ?? null, href: tag.href?.href ?? null });
  }
  const attachments = [];
  for await (const a of object.getAttachments({ suppressError: true, documentLoader: loader })) {
    attachments.push({ type: a.constructor.name, mediaType: a.mediaType ?? null, url: a.url?.href ?? String(a.url ?? "") });
  }
  const languages = (object.contents ?? [])
    .map((c) => c.locale?.baseName ?? c.language?.compact?.() ?? null)
    .filter(Boolean);
  return {
    type: object.constructor.name,
    id: object.id?.href ?? null,
    attributedTo: object.attributionId?.href ?? null,
    name: object.name?.toString() ?? null,
    content: object.content?.toString() ?? null,
    languages,
    tags,
    attachments,
    inReplyTo: object.replyTargetId?.href ?? null,
  };
}

async function record(ctx, activity, verified, reason = null) {
  let object = null;
  let objectError = null;
  try {
    const loader = await ctx.getDocumentLoader({ identifier: "peer" });
    object = await describe(await activity.getObject({ documentLoader: loader }), loader);
  } catch (error) {
    objectError = String(error);
  }
  log.push({
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    verified,
    reason: reason ? String(reason.type ?? reason) : null,
    object,
    objectError,
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow, true);
    const follower = await follow.getActor(ctx);
    if (follower == null || follow.objectId?.href !== ctx.getActorUri("peer").href) return;
    await ctx.sendActivity(
      { identifier: "peer" },
      follower,
      new Accept({ id: new URL(`#accepts/${++serial}`, ctx.getActorUri("peer")), actor: ctx.getActorUri("peer"), object: follow }),
    );
  })
  .on(Accept, (ctx, a) => record(ctx, a, true))
  .on(Create, (ctx, a) => record(ctx, a, true))
  .on(Announce, (ctx, a) => record(ctx, a, true))
  .on(Update, (ctx, a) => record(ctx, a, true))
  .on(Delete, (ctx, a) => record(ctx, a, true))
  .on(Undo, (ctx, a) => record(ctx, a, true))
  .onUnverifiedActivity(async (ctx, activity, reason) => {
    await record(ctx, activity, false, reason);
  })
  .onError((_ctx, error) => console.error("inbox listener failed:", error));

// -- control --------------------------------------------------------------------------------

async function control(path, body, origin) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const me = ctx.getActorUri("peer");
  const lookup = async (handle) => {
    const found = await ctx.lookupObject(handle);
    if (found == null) throw new Error(`cannot resolve ${handle}`);
    return found;
  };
  if (path === "/_control/follow") {
    const target = await lookup(body.handle);
    await ctx.sendActivity(
      { identifier: "peer" },
      target,
      new Follow({ id: new URL(`/follows/${++serial}`, origin), actor: me, object: target.id }),
    );
    return { target: target.id.href, inbox: target.inboxId?.href ?? null };
  }
  if (path === "/_control/announce") {
    const to = await lookup(body.to);
    await ctx.sendActivity(
      { identifier: "peer" },
      to,
      new Announce({
        id: new URL(`/announces/${++serial}`, origin),
        actor: me,
        object: new URL(body.object),
        to: PUBLIC_COLLECTION,
        cc: to.id,
        published: Temporal.Now.instant(),
      }),
    );
    return { sent: true };
  }
  if (path === "/_control/reply") {
    const to = await lookup(body.to);
    const n = ++serial;
    await ctx.sendActivity(
      { identifier: "peer" },
      to,
      new Create({
        id: new URL(`/notes/${n}/activity`, origin),
        actor: me,
        to: PUBLIC_COLLECTION,
        cc: to.id,
        object: new Note({
          id: new URL(`/notes/${n}`, origin),
          attribution: me,
          content: body.content,
          replyTarget: new URL(body.object),
          to: PUBLIC_COLLECTION,
          cc: to.id,
          published: Temporal.Now.instant(),
        }),
      }),
    );
    return { note: new URL(`/notes/${n}`, origin).href };
  }
  if (path === "/_control/fetch") {
    let request = new Request(body.url, { headers: { Accept: "application/activity+json" } });
    if (body.signed) {
      const keyId = new URL("#main-key", me);
      request = await signRequest(request, rsa.privateKey, keyId, { spec: body.spec ?? firstKnock });
    }
    const response = await fetch(request);
    return { status: response.status, body: await response.text() };
  }
  throw new Error(`unknown control ${path}`);
}

// -- the HTTP server --------------------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// Whether an arriving activity's Object Integrity Proof (FEP-8b32) verifies, as Fedify checks
// it: true or false; null when it carries none.
async function checkProof(body, origin) {
  let json;
  try {
    json = JSON.parse(body?.toString() || "null");
  } catch {
    return null;
  }
  if (json == null || json.proof == null) return null;
  const ctx = federation.createContext(new URL(origin), undefined);
  const loader = await ctx.getDocumentLoader({ identifier: "peer" });
  try {
    // The proof itself, as Fedify checks each one (verifyObject would also demand that every
    // actor named inside, such as the follower in an Accept, be vouched for by a proof).
    const proof = await DataIntegrityProof.fromJsonLd(
      { "@context": json["@context"], ...json.proof },
      { documentLoader: loader, contextLoader: ctx.contextLoader },
    );
    const key = await verifyProof(json, proof, {
      documentLoader: loader,
      contextLoader: ctx.contextLoader,
    });
    return key != null;
  } catch (error) {
    console.error(error);
    return false;
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const origin = `http://${req.headers.host}`;
    const url = new URL(req.url, origin);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
    if (url.pathname === "/_control/log" || url.pathname === "/_control/arrivals") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(url.pathname.endsWith("log") ? log : arrivals));
      return;
    }
    if (url.pathname.startsWith("/_control/")) {
      let status = 200;
      let result;
      try {
        result = await control(url.pathname, JSON.parse(body?.toString() || "{}"), origin);
      } catch (error) {
        status = 500;
        result = { error: String(error?.stack ?? error) };
      }
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(result));
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
    if (req.method === "POST") {
      arrivals.push({
        path: url.pathname,
        signature: headers.has("signature-input") ? "rfc9421" : headers.has("signature") ? "draft-cavage" : null,
        status: response.status,
        proof: await checkProof(body, origin),
      });
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(error);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});

server.listen(wantedPort, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0)); // the test closed our stdin: stop
process.stdin.resume();
