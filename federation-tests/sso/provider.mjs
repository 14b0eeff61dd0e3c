// A real OpenID Connect provider for Gilde's single sign-on tests: panva's oidc-provider (npm,
// pinned in package-lock.json), certified by the OpenID Foundation. Run by
// federation-tests/tests/sso.rs; prints {"issuer": ...} on its first line once it listens.
//
// The people it knows are below (any password signs them in: its development sign-in form).
// Clients are registered by the test at run time (POST /test/clients), as each Gilde instance's
// callback address is known only once it listens. Clients whose id starts with "tamper-" get
// a doctored ID token back from the token endpoint, for the tests of what Gilde must refuse:
// "tamper-audience" (signed with the provider's key, for another audience) and "tamper-signature"
// (signed with another key under the provider's key id). /wrong-issuer/ serves the provider's
// discovery document under an issuer it does not name.

import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const people = {
  anna: {
    sub: 'a7f3c2e0-anna',
    email: 'Anna.de.Vries@gemeente-a.nl',
    email_verified: true,
    name: 'Anna de Vries',
    preferred_username: 'anna.de.vries@gemeente-a.nl',
    department: 'Ruimtelijke ordening',
    groups: ['gilde-users', 'omgevingswet'],
  },
  bram: {
    sub: 'b81d-bram',
    email: 'bram@gemeente-a.nl',
    email_verified: true,
    name: 'Bram Jansen',
    preferred_username: 'bram@gemeente-a.nl',
    department: 'Burgerzaken',
    groups: ['gilde-users'],
  },
  outsider: {
    sub: 'c9-outsider',
    email: 'iemand@elders.example',
    email_verified: true,
    name: 'Iemand van elders',
    preferred_username: 'iemand',
    groups: ['gilde-users'],
  },
  nogroup: {
    sub: 'd4-nogroup',
    email: 'stagiair@gemeente-a.nl',
    email_verified: true,
    name: 'Stagiair',
    preferred_username: 'stagiair',
    groups: ['interns'],
  },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'gilde-test-key', use: 'sig', alg: 'RS256' };
const { privateKey: otherKey } = await jose.generateKeyPair('RS256', { extractable: true });

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: ['gilde-test-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'department', 'groups'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const person = people[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { ...person }; } };
  },
  // First-party clients: no consent screen, as an organisation configures its own apps.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username', 'department', 'groups']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function doctored(idToken, clientId) {
  const claims = jose.decodeJwt(idToken);
  if (clientId.startsWith('tamper-audience')) {
    return new jose.SignJWT({ ...claims, aud: 'someone-else' })
      .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })
      .sign(privateKey);
  }
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' }).sign(otherKey);
}

provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc?.client?.clientId ?? '';
  if (ctx.path === '/token' && ctx.status === 200 && clientId.startsWith('tamper-') && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await doctored(ctx.body.id_token, clientId) };
  }
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/test/clients') {
      const client = await readJson(req);
      await provider.Client.adapter.upsert(client.client_id, {
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris: client.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.url === '/wrong-issuer/.well-known/openid-configuration') {
      const real = await fetch(`${issuer}/.well-known/openid-configuration`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(await real.text());
      return;
    }
    callback(req, res);
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
});

// The test holds this process's standard input: when the test ends, so does the provider.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
console.log(JSON.stringify({ issuer }));
