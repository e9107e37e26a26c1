// A local OpenID provider for the single sign-on tests (tests/it/sso.rs), from the npm
// package oauth2-mock-server: discovery, JWKS, the authorization code flow with PKCE and
// nonce, signed ID tokens and an end-session endpoint.
//
// Prints {"issuer": URL} as its first line. Then each line on standard input is a JSON
// object saying what the next token will be, answered by "ok":
//   {"claims": {"sub": "…", "email": "…", "pid": "…"}}  claims added to the ID token
//   {"audience": "someone-else"}                           another audience
//   {"expired": true}                                      issued and expired an hour ago
//   {"badSignature": true}                                 the signature spoilt
// It stops when standard input closes.
import readline from 'node:readline';
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');

let next = {};
server.service.on('beforeTokenSigning', (token) => {
  Object.assign(token.payload, next.claims ?? {});
  if (next.audience) token.payload.aud = next.audience;
  if (next.expired) {
    const now = Math.floor(Date.now() / 1000);
    token.payload.iat = now - 7200;
    token.payload.exp = now - 3600;
  }
});
server.service.on('beforeResponse', (response) => {
  if (next.badSignature && typeof response.body?.id_token === 'string') {
    const [header, payload, signature] = response.body.id_token.split('.');
    const spoilt = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    response.body.id_token = `${header}.${payload}.${spoilt}`;
  }
});

console.log(JSON.stringify({ issuer: server.issuer.url }));
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  next = JSON.parse(line);
  console.log('ok');
});
lines.on('close', async () => {
  await server.stop();
  process.exit(0);
});
