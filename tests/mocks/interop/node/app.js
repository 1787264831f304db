'use strict';
// A small web app that logs in with one Node OAuth client against the mock OAuth server,
// as an application would: express, a session, and either a passport strategy
// (passport-google-oauth20, passport-github2, passport-facebook, passport-microsoft, with
// passport-oauth2-refresh for refresh tokens) or openid-client with discovery.
//
// Nothing but the endpoint URLs and the credentials differs from a setup against the real
// provider. The test drives it through the mock's auto-approve flow: GET /login, follow the
// redirects, and the callback answers with JSON (also printed as one line on stdout) naming
// the user, the tokens as SHA-256 fingerprints (never the tokens themselves), and the
// profile read again with the renewed token.
//
// Environment: CLIENT (a package name above), PROVIDER (google, github, facebook,
// microsoft), MOCK_URL, CLIENT_ID, CLIENT_SECRET.

const crypto = require('node:crypto');
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const refresh = require('passport-oauth2-refresh');

const { CLIENT, PROVIDER, MOCK_URL, CLIENT_ID, CLIENT_SECRET } = process.env;

const fingerprint = (token) =>
  token ? crypto.createHash('sha256').update(token).digest('hex') : null;
const emit = (value) => process.stdout.write(JSON.stringify(value) + '\n');

// What each passport strategy needs: its options pointed at the mock, the scopes, the
// extra authorization parameters, and how to read the user from its normalized profile.
const PASSPORT = {
  google: {
    package: 'passport-google-oauth20',
    options: {
      authorizationURL: `${MOCK_URL}/google/o/oauth2/v2/auth`,
      tokenURL: `${MOCK_URL}/google/token`,
      userProfileURL: `${MOCK_URL}/google/oauth2/v3/userinfo`,
    },
    authenticate: { scope: ['openid', 'email', 'profile'], accessType: 'offline' },
  },
  github: {
    package: 'passport-github2',
    options: {
      authorizationURL: `${MOCK_URL}/github/login/oauth/authorize`,
      tokenURL: `${MOCK_URL}/github/login/oauth/access_token`,
      userProfileURL: `${MOCK_URL}/github/api/user`,
      userEmailURL: `${MOCK_URL}/github/api/user/emails`,
    },
    authenticate: { scope: ['read:user', 'user:email'] },
  },
  facebook: {
    package: 'passport-facebook',
    options: {
      authorizationURL: `${MOCK_URL}/facebook/v19.0/dialog/oauth`,
      tokenURL: `${MOCK_URL}/facebook/v19.0/oauth/access_token`,
      profileURL: `${MOCK_URL}/facebook/v19.0/me`,
      profileFields: ['id', 'displayName', 'emails'],
      enableProof: true, // appsecret_proof on Graph calls ("Require App Secret")
    },
    authenticate: { scope: ['email', 'public_profile'] },
  },
  microsoft: {
    package: 'passport-microsoft',
    options: {
      authorizationURL: `${MOCK_URL}/microsoft/oauth2/v2.0/authorize`,
      tokenURL: `${MOCK_URL}/microsoft/oauth2/v2.0/token`,
      apiEntryPoint: `${MOCK_URL}/microsoft/graph`,
    },
    authenticate: { scope: ['openid', 'profile', 'email', 'offline_access', 'User.Read'] },
  },
};

const DISCOVERY = {
  google: `${MOCK_URL}/google/.well-known/openid-configuration`,
  microsoft: `${MOCK_URL}/microsoft/v2.0/.well-known/openid-configuration`,
};
const OIDC_SCOPE = {
  google: 'openid email profile',
  microsoft: 'openid profile email offline_access',
};

function userOf(profile) {
  const emails = profile.emails || [];
  return { id: String(profile.id), email: emails.length ? emails[0].value : null };
}

// passport ---------------------------------------------------------------------------------

function passportRoutes(app, callbackURL) {
  const spec = PASSPORT[PROVIDER];
  if (!spec || spec.package !== CLIENT) throw new Error(`${CLIENT} does not serve ${PROVIDER}`);
  const Strategy = require(spec.package).Strategy;
  const strategy = new Strategy(
    {
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL,
      state: true,
      pkce: true,
      ...spec.options,
    },
    (accessToken, refreshToken, params, profile, done) =>
      done(null, { accessToken, refreshToken, profile }),
  );
  passport.use(strategy);
  refresh.use(strategy);

  app.get('/login', passport.authenticate(strategy.name, spec.authenticate));
  app.get(
    '/auth/callback',
    passport.authenticate(strategy.name, { session: false, failWithError: true }),
    async (req, res, next) => {
      try {
        const { accessToken, refreshToken, profile } = req.user;
        const renewed = refreshToken
          ? await refreshed(strategy.name, refreshToken)
          : await facebookLongLived(accessToken);
        const again = await new Promise((resolve, reject) =>
          strategy.userProfile(renewed, (err, p) => (err ? reject(err) : resolve(p))),
        );
        answer(res, userOf(profile), accessToken, refreshToken, renewed, userOf(again).id);
      } catch (err) {
        next(err);
      }
    },
  );
}

function refreshed(name, refreshToken) {
  return new Promise((resolve, reject) =>
    refresh.requestNewAccessToken(name, refreshToken, (err, accessToken) =>
      err ? reject(new Error(`refresh failed: ${err.statusCode} ${err.data}`)) : resolve(accessToken),
    ),
  );
}

// Facebook has no refresh tokens: an app exchanges the token for a long-lived one with a
// GET to the token endpoint, as Facebook documents it.
async function facebookLongLived(accessToken) {
  const url = new URL(PASSPORT.facebook.options.tokenURL);
  url.search = new URLSearchParams({
    grant_type: 'fb_exchange_token',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    fb_exchange_token: accessToken,
  }).toString();
  const response = await fetch(url);
  const body = await response.json();
  if (!body.access_token) throw new Error(`long-lived token exchange failed: ${response.status}`);
  return body.access_token;
}

// openid-client ----------------------------------------------------------------------------

async function openidRoutes(app, callbackURL) {
  const client = await import('openid-client');
  if (!DISCOVERY[PROVIDER]) throw new Error(`openid-client does not serve ${PROVIDER}`);
  // The mock serves plain http on loopback; openid-client asks for this to be said.
  const config = await client.discovery(new URL(DISCOVERY[PROVIDER]), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [client.allowInsecureRequests],
  });

  app.get('/login', async (req, res, next) => {
    try {
      const verifier = client.randomPKCECodeVerifier();
      req.session.oidc = { verifier, state: client.randomState(), nonce: client.randomNonce() };
      const parameters = {
        redirect_uri: callbackURL,
        scope: OIDC_SCOPE[PROVIDER],
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: req.session.oidc.state,
        nonce: req.session.oidc.nonce,
      };
      if (PROVIDER === 'google') parameters.access_type = 'offline';
      res.redirect(client.buildAuthorizationUrl(config, parameters).href);
    } catch (err) {
      next(err);
    }
  });

  app.get('/auth/callback', async (req, res, next) => {
    try {
      const saved = req.session.oidc;
      const current = new URL(req.originalUrl, callbackURL);
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: saved.verifier,
        expectedState: saved.state,
        expectedNonce: saved.nonce,
        idTokenExpected: true,
      });
      const { sub } = tokens.claims();
      const info = await client.fetchUserInfo(config, tokens.access_token, sub);
      const renewed = await client.refreshTokenGrant(config, tokens.refresh_token);
      const again = await client.fetchUserInfo(config, renewed.access_token, sub);
      const user = { id: info.sub, email: info.email || null };
      answer(res, user, tokens.access_token, tokens.refresh_token, renewed.access_token, again.sub);
    } catch (err) {
      next(err);
    }
  });
}

// the app ----------------------------------------------------------------------------------

function answer(res, user, accessToken, refreshToken, renewed, renewedUserId) {
  const result = {
    client: CLIENT,
    provider: PROVIDER,
    user,
    tokens: { access: fingerprint(accessToken), refresh: fingerprint(refreshToken) },
    renewed: { access: fingerprint(renewed), user_id: renewedUserId },
  };
  emit(result);
  res.json(result);
}

async function main() {
  const app = express();
  app.use(
    session({
      secret: crypto.randomBytes(16).toString('hex'),
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.use(passport.initialize());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const callbackURL = `http://127.0.0.1:${server.address().port}/auth/callback`;
  if (CLIENT === 'openid-client') await openidRoutes(app, callbackURL);
  else passportRoutes(app, callbackURL);
  app.use((err, req, res, next) => {
    // the error's message and status only: error objects of OAuth libraries can carry tokens
    const error = { error: String(err && err.message), status: err && err.status };
    emit(error);
    res.status(500).json(error);
  });
  emit({ listening: server.address().port });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  emit({ error: String(err && err.message) });
  process.exit(1);
});
