package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters. They are written into every
// encoded hash, so raising DefaultParams later only affects new hashes while
// existing ones keep verifying with the parameters they were made with.
type Params struct {
	Memory  uint32 // memory cost in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism (argon2 lanes)
	KeyLen  uint32 // length of the derived key in bytes
	SaltLen uint32 // length of the random salt in bytes
}

// DefaultParams is the OWASP Password Storage Cheat Sheet minimum for
// argon2id (19 MiB, 2 iterations, 1 lane). It keeps a login around a few
// tens of milliseconds on a small server while still being memory-hard.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Bounds applied both when hashing and when parsing a stored hash. The upper
// bounds exist so that a hostile or corrupted row in the database cannot make
// a single login allocate gigabytes or spin for minutes; the lower bounds
// exist because a stored hash with, say, a 1-byte key would match one in 256
// guesses.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxTime       = 16
	maxThreads    = 16
	minKeyLen     = 16
	maxKeyLen     = 128
	minSaltLen    = 8
	maxSaltLen    = 64
	maxEncodedLen = 512 // comfortably above the longest hash the bounds allow
)

// ErrInvalidParams is returned by HashPassword, and wrapped by
// VerifyPassword, when argon2id parameters are outside the accepted bounds.
var ErrInvalidParams = errors.New("auth: argon2id parameters out of range")

// ErrMalformedHash is wrapped by every error VerifyPassword returns for an
// encoded hash it cannot parse. Error texts never quote the hash itself, so
// they are safe to log.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// b64 is the PHC string format's base64: standard alphabet, no padding.
// Strict decoding rejects non-zero trailing bits so that every hash has
// exactly one accepted spelling.
var b64 = base64.RawStdEncoding.Strict()

// dummyHash is a DefaultParams hash of a random password nobody knows. It is
// a constant rather than computed at start-up so that the first DummyVerify
// costs the same as every later one. TestDummyHashUsesDefaultParams fails if
// DefaultParams changes without this being regenerated.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$SggfSIhMM8d06zqPCjfe2g$EYsfg26NsWyhYjpSKswje+mOhRHnV4yw9BbRc8xW680"

// HashPassword derives an argon2id key from pw with a fresh random salt and
// returns it in PHC string format, e.g.
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>".
func HashPassword(pw string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := randomBytes(int(p.SaltLen))
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC-encoded argon2id hash.
// A wrong password gives (false, nil); an error means the stored hash itself
// is unusable (malformed, another algorithm or out-of-bounds parameters) and
// should be logged, not shown to the user.
func VerifyPassword(pw, encoded string) (ok bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	// Constant-time so the response time does not reveal how many leading
	// bytes of the derived key matched.
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// DummyVerify does the work of one VerifyPassword with DefaultParams and
// discards the result. Call it when the user does not exist, so that a login
// for an unknown account takes as long as one with a wrong password and
// response times cannot be used to enumerate accounts.
func DummyVerify(pw string) {
	_, _ = VerifyPassword(pw, dummyHash)
}

// validate checks p against the package bounds.
func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("%w: threads %d not in [1, %d]", ErrInvalidParams, p.Threads, maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: time %d not in [1, %d]", ErrInvalidParams, p.Time, maxTime)
	// RFC 9106 requires at least 8 KiB per lane.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB not in [%d, %d]", ErrInvalidParams, p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key length %d not in [%d, %d]", ErrInvalidParams, p.KeyLen, minKeyLen, maxKeyLen)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt length %d not in [%d, %d]", ErrInvalidParams, p.SaltLen, minSaltLen, maxSaltLen)
	}
	return nil
}

// decodeHash parses a PHC argon2id string. It is strict on purpose: the only
// producer is HashPassword, so anything unusual is corruption or tampering,
// and every parameter is bounds-checked before any expensive work happens.
func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	if len(encoded) > maxEncodedLen {
		return Params{}, nil, nil, fmt.Errorf("%w: too long", ErrMalformedHash)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return Params{}, nil, nil, fmt.Errorf("%w: want 5 $-separated fields", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return Params{}, nil, nil, fmt.Errorf("%w: algorithm is not argon2id", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("%w: unsupported argon2 version", ErrMalformedHash)
	}
	if p, err = parseCost(parts[3]); err != nil {
		return Params{}, nil, nil, err
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: bad salt encoding", ErrMalformedHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: bad key encoding", ErrMalformedHash)
	}
	// Lengths are bounded by maxEncodedLen, so these conversions cannot
	// overflow.
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// parseCost parses "m=<KiB>,t=<passes>,p=<lanes>" in exactly that order.
func parseCost(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: want m=,t=,p= parameters", ErrMalformedHash)
	}
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(fields[i], name)
		if !found {
			return Params{}, fmt.Errorf("%w: want m=,t=,p= parameters", ErrMalformedHash)
		}
		// Base 10 only: no signs, prefixes or underscores are accepted.
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return Params{}, fmt.Errorf("%w: bad %s parameter", ErrMalformedHash, strings.TrimSuffix(name, "="))
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return Params{}, fmt.Errorf("%w: %w: too many threads", ErrMalformedHash, ErrInvalidParams)
	}
	return Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}, nil
}

// passwordAlphabet leaves out characters that are easy to misread or
// mistype when a generated password is read off a screen or paper:
// 0/O/o, 1/l/I.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// GeneratePassword returns a random 20-character password (about 116 bits)
// from an unambiguous alphabet, for accounts such as the first administrator
// whose password must be created by the system rather than chosen.
func GeneratePassword() string {
	return randomString(passwordAlphabet, 20)
}
