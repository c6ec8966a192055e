// Package auth holds Huhang's authentication primitives: argon2id password
// hashing and policy, TOTP second factors with recovery codes, in-memory
// login protection (account lockout and per-client rate limiting) and opaque
// session/API tokens.
//
// Everything here is pure logic: there is no database or HTTP access, and
// every time-dependent function takes the current time as a parameter so
// that callers decide where time comes from and tests can use a fake clock.
// Callers persist the values this package produces (encoded password hashes,
// TOTP secrets, hashed recovery codes, token hashes) and pass them back in.
package auth
