// An OpenID Connect provider on loopback for the sign-in tests: the certified `oidc-provider`
// package with its development sign-in pages (any password is accepted for a known login).
//
// Settings by environment:
//   OIDC_PORT          port to listen on (127.0.0.1 only)
//   OIDC_CLIENTS       JSON list of {client_id, client_secret, redirect_uris}
//   OIDC_ACCOUNTS      JSON object: login -> claims (sub defaults to the login)
//   OIDC_CODE_TTL      lifetime of an authorization code in seconds (default 60)
// It prints "ready <issuer>" on standard output once it listens.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]').map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...client,
}));
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const configuration = {
  clients,
  pkce: { required: () => true },
  ttl: { AuthorizationCode: Number(process.env.OIDC_CODE_TTL || 60) },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    university: ['student_id', 'group', 'faculty', 'roles'],
  },
  cookies: { keys: ['loopback-test-provider-only'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: id, ...claims }; },
    };
  },
};

const provider = new Provider(issuer, configuration);
const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
