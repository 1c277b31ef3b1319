// masto.js (npm) against a Hambastegi instance, driven by tests/interop/test_masto.py.
//   node client.mjs app BASE CALLBACK            -> {"clientId", "clientSecret"}
//   node client.mjs post BASE CALLBACK ID SECRET CODE IMAGE
//       exchanges the code, uploads the image with alt text, posts with a content warning,
//       and prints what the server answered.
import { readFile } from "node:fs/promises";
import { createOAuthAPIClient, createRestAPIClient } from "masto";

const [command, url, callback, clientId, clientSecret, code, image] = process.argv.slice(2);

if (command === "app") {
  const rest = createRestAPIClient({ url });
  const app = await rest.v1.apps.create({
    clientName: "masto.js interop",
    redirectUris: callback,
    scopes: "read write",
  });
  console.log(JSON.stringify({ clientId: app.clientId, clientSecret: app.clientSecret }));
} else if (command === "post") {
  const oauth = createOAuthAPIClient({ url });
  const token = await oauth.token.create({
    grantType: "authorization_code",
    clientId,
    clientSecret,
    redirectUri: callback,
    code,
    scope: "read write",
  });
  const rest = createRestAPIClient({ url, accessToken: token.accessToken });
  const me = await rest.v1.accounts.verifyCredentials();
  const bytes = await readFile(image);
  const media = await rest.v2.media.create({
    file: new Blob([bytes], { type: "image/png" }),
    description: "A banner at the gate",
  });
  const status = await rest.v1.statuses.create({
    status: "From masto.js: solidarity #interop",
    spoilerText: "Strike news",
    mediaIds: [media.id],
    language: "en",
  });
  const fetched = await rest.v1.statuses.$select(status.id).fetch();
  const mine = await rest.v1.accounts.$select(me.id).statuses.list({ limit: 5 });
  console.log(JSON.stringify({
    acct: me.acct,
    statusId: status.id,
    spoilerText: fetched.spoilerText,
    alt: fetched.mediaAttachments[0]?.description,
    listed: mine.map((s) => s.id),
  }));
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
