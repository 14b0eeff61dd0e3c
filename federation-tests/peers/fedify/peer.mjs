// A small ActivityPub server written with Fedify (an independent implementation), for Gilde's
// federation tests. It serves one Person, `peer`, and NodeInfo naming its software
// "fedify-peer" (a microblog, not a group-aware server). Control endpoints for the test:
//   POST /control/follow?group=URL  the peer looks the group up and sends it a Follow
//   GET  /control/received          what its inbox accepted (after Fedify verified it)
// Usage: PORT=12345 node peer.mjs
import http from "node:http";
import {
  Accept, Announce, Create, Endpoints, Follow, MemoryKvStore, Note, Person, Reject, Undo,
  createFederation, generateCryptoKeyPair,
} from "@fedify/fedify";

const port = Number(process.env.PORT);
const origin = `http://localhost:${port}`;
const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const received = [];

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "peer" ? [keys] : []));

federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
  software: { name: "fedify-peer", version: { major: 1, minor: 0, patch: 0 } },
  protocols: ["activitypub"],
  usage: { users: { total: 1 }, localPosts: 0, localComments: 0 },
}));

async function noteOf(object) {
  if (object instanceof Create) return await object.getObject();
  return object;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, accept) => {
    received.push({ type: "Accept", actor: accept.actorId?.href });
  })
  .on(Reject, async (_ctx, reject) => {
    received.push({ type: "Reject", actor: reject.actorId?.href });
  })
  .on(Announce, async (_ctx, announce) => {
    const object = await announce.getObject();
    const note = await noteOf(object);
    received.push({
      type: "Announce",
      actor: announce.actorId?.href,
      object: object?.constructor?.name,
      note: note instanceof Note ? note.id?.href : null,
      content: note instanceof Note ? note.content?.toString() : null,
      inReplyTo: note instanceof Note ? (note.replyTargetId?.href ?? null) : null,
    });
  })
  .on(Create, async (_ctx, create) => {
    const note = await create.getObject();
    received.push({ type: "Create", actor: create.actorId?.href, content: note?.content?.toString() });
  })
  .on(Undo, async (_ctx, undo) => {
    received.push({ type: "Undo", actor: undo.actorId?.href });
  })
  .onError(async (_ctx, error) => {
    received.push({ type: "Error", message: String(error) });
  });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, origin);
    const body = await readBody(req);
    if (url.pathname === "/control/received") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(received));
      return;
    }
    if (url.pathname === "/control/follow" && req.method === "POST") {
      const ctx = federation.createContext(new URL(origin), undefined);
      const group = await ctx.lookupObject(url.searchParams.get("group"));
      if (group == null) throw new Error("the group was not found");
      await ctx.sendActivity(
        { identifier: "peer" },
        group,
        new Follow({ id: new URL(`${origin}/follows/${Date.now()}`), actor: ctx.getActorUri("peer"), object: group.id }),
      );
      res.writeHead(202);
      res.end("sent");
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});

server.listen(port, "127.0.0.1", () => console.log(`fedify peer listening on ${origin}`));
