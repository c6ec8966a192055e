package auth

import (
	"crypto/sha256"
	"encoding/base64"
)

// TokenPrefix starts every token. It makes a leaked session cookie or API
// token recognisable to secret scanners and to people reading logs.
const TokenPrefix = "hh_"

// tokenBytes is the token's random length: 256 bits, so tokens cannot be
// guessed and need no slow hashing.
const tokenBytes = 32

// NewToken returns a new random token for a session cookie or API token.
// plain is "hh_" followed by 32 random bytes in unpadded base64url (safe in
// cookies, headers and URLs) and is given to the client once; hash is its
// SHA-256, the only form the database stores, so a database leak does not
// hand out usable sessions.
func NewToken() (plain string, hash []byte) {
	plain = TokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(tokenBytes))
	return plain, HashToken(plain)
}

// HashToken returns the SHA-256 of a token as presented by a client, for
// looking it up by hash. A fast hash is enough because tokens are 256-bit
// random values, not passwords.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
