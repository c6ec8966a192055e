package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Algorithm names the cipher suite used for new ciphertexts and blind
// indexes. Its values appear in configuration files.
type Algorithm string

const (
	// AES256GCM selects AES-256-GCM for field encryption and HMAC-SHA256
	// for blind indexes.
	AES256GCM Algorithm = "aes-256-gcm"
	// SM4GCM selects SM4-GCM (GB/T 32907, RFC 8998) for field encryption
	// and HMAC-SM3 (GB/T 32905) for blind indexes, for deployments that
	// must use the national commercial cryptography algorithms.
	SM4GCM Algorithm = "sm4-gcm"
)

// ParseAlgorithm parses a configuration value. Case and surrounding white
// space are ignored because the value is typed by operators.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch a := Algorithm(strings.ToLower(strings.TrimSpace(s))); a {
	case AES256GCM, SM4GCM:
		return a, nil
	}
	return "", fmt.Errorf("privacy: unknown encryption algorithm %q (want %q or %q)", s, AES256GCM, SM4GCM)
}

// ErrDecrypt is returned by [Keyring.Open] for every failure: truncated or
// corrupted data, an unknown format, the wrong key, or associated data that
// does not match (a ciphertext copied to another row). It deliberately
// carries no detail about the plaintext.
var ErrDecrypt = errors.New("privacy: cannot decrypt field")

// Sealed field layout, version 1:
//
//	byte 0      format version (1)
//	byte 1      algorithm id (1 = AES-256-GCM, 2 = SM4-GCM)
//	bytes 2–13  random 96-bit GCM nonce
//	bytes 14–   GCM ciphertext followed by the 16-byte tag
//
// The GCM additional data is bytes 0–1 followed by the caller's aad string,
// so the header is authenticated too and cannot be altered to make a future
// format reinterpret old data.
const (
	formatVersion byte = 1
	algIDAES      byte = 1
	algIDSM4      byte = 2
	nonceSize          = 12
	headerSize         = 2 + nonceSize
	tagSize            = 16
)

// HKDF info labels. Changing any of them changes every derived key and
// makes all stored data unreadable, which is why they carry a version.
const (
	infoField      = "huhang field encryption v1"
	infoBlindIndex = "huhang blind index v1"
	infoTOTP       = "huhang totp v1"
)

// MasterKeySize is the length in bytes of the master key accepted by
// [NewKeyring] and stored in the key file.
const MasterKeySize = 32

// Keyring holds the keys derived from one master key. It is immutable after
// [NewKeyring] and safe for concurrent use. The zero value is not usable.
type Keyring struct {
	alg   Algorithm
	algID byte
	// aeads is indexed by algorithm id. Both suites are always present so
	// that Open can read data written before the operator switched the
	// default algorithm.
	aeads    [3]cipher.AEAD
	indexKey []byte
	totpKey  []byte
}

// NewKeyring derives the field-encryption, blind-index and TOTP keys from
// master (which must be [MasterKeySize] random bytes) with HKDF-SHA256, and
// selects alg for new ciphertexts and for blind indexes. The master key
// itself is not retained.
//
// The field key block is 48 bytes of HKDF output under the label
// "huhang field encryption v1": bytes 0–31 are the AES-256 key and bytes
// 32–47 the SM4 key. Taking disjoint slices of one output keeps the two
// keys independent; deriving them separately with the same label but
// different lengths would make the SM4 key a prefix of the AES key.
func NewKeyring(master []byte, alg Algorithm) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("privacy: master key must be %d bytes, got %d", MasterKeySize, len(master))
	}
	k := &Keyring{alg: alg}
	switch alg {
	case AES256GCM:
		k.algID = algIDAES
	case SM4GCM:
		k.algID = algIDSM4
	default:
		return nil, fmt.Errorf("privacy: unknown encryption algorithm %q", alg)
	}

	// No salt: the master key is already uniformly random, which is the
	// case RFC 5869 §3.1 allows an empty salt for.
	fieldKeys, err := hkdf.Key(sha256.New, master, nil, infoField, 32+16)
	if err != nil {
		return nil, fmt.Errorf("privacy: derive field keys: %w", err)
	}
	if k.indexKey, err = hkdf.Key(sha256.New, master, nil, infoBlindIndex, 32); err != nil {
		return nil, fmt.Errorf("privacy: derive blind-index key: %w", err)
	}
	if k.totpKey, err = hkdf.Key(sha256.New, master, nil, infoTOTP, 32); err != nil {
		return nil, fmt.Errorf("privacy: derive TOTP key: %w", err)
	}

	aesBlock, err := aes.NewCipher(fieldKeys[:32])
	if err != nil {
		return nil, fmt.Errorf("privacy: aes: %w", err)
	}
	if k.aeads[algIDAES], err = cipher.NewGCM(aesBlock); err != nil {
		return nil, fmt.Errorf("privacy: aes-gcm: %w", err)
	}
	sm4Block, err := sm4.NewCipher(fieldKeys[32:])
	if err != nil {
		return nil, fmt.Errorf("privacy: sm4: %w", err)
	}
	if k.aeads[algIDSM4], err = cipher.NewGCM(sm4Block); err != nil {
		return nil, fmt.Errorf("privacy: sm4-gcm: %w", err)
	}
	clear(fieldKeys) // the ciphers hold their own expanded copies
	return k, nil
}

// Algorithm returns the algorithm used for new ciphertexts and blind
// indexes.
func (k *Keyring) Algorithm() Algorithm { return k.alg }

// Seal encrypts plaintext with the keyring's algorithm and a fresh random
// nonce, binding it to aad. Callers pass an aad that names where the value
// lives, such as "students.id_number|<student number>", so that a
// ciphertext copied into another row or column fails to open.
//
// Random 96-bit nonces are safe for about 2^32 messages per key, far beyond
// what one school platform writes.
func (k *Keyring) Seal(plaintext []byte, aad string) ([]byte, error) {
	aead := k.aeads[k.algID]
	out := make([]byte, headerSize, headerSize+len(plaintext)+aead.Overhead())
	out[0], out[1] = formatVersion, k.algID
	if _, err := rand.Read(out[2:headerSize]); err != nil {
		return nil, fmt.Errorf("privacy: nonce: %w", err)
	}
	return aead.Seal(out, out[2:headerSize], plaintext, additionalData(out[:2], aad)), nil
}

// Open decrypts a value produced by [Keyring.Seal] with the same aad. The
// algorithm is taken from the value, not from the keyring, so data sealed
// before the default algorithm changed still opens with the same master
// key. Every failure is reported as an error matching [ErrDecrypt].
func (k *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	if len(sealed) < headerSize+tagSize {
		return nil, fmt.Errorf("%w: too short", ErrDecrypt)
	}
	if sealed[0] != formatVersion {
		return nil, fmt.Errorf("%w: unsupported format version %d", ErrDecrypt, sealed[0])
	}
	id := sealed[1]
	if int(id) >= len(k.aeads) || k.aeads[id] == nil {
		return nil, fmt.Errorf("%w: unknown algorithm id %d", ErrDecrypt, id)
	}
	pt, err := k.aeads[id].Open(nil, sealed[2:headerSize], sealed[headerSize:], additionalData(sealed[:2], aad))
	if err != nil {
		// The GCM error says only "message authentication failed"; it is
		// replaced anyway so callers see one stable error value.
		return nil, ErrDecrypt
	}
	return pt, nil
}

// additionalData prefixes the caller's aad with the header bytes.
func additionalData(header []byte, aad string) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}

// BlindIndex returns a 32-byte keyed hash of value for exact-match lookups
// (for example finding a student by ID number) without storing the value in
// plain text. It is HMAC-SHA256, or HMAC-SM3 for [SM4GCM], keyed with the
// blind-index key, over domain, a zero byte, and value. The domain (such as
// "students.id_number") keeps indexes of different columns unrelated.
//
// Callers must normalise value first (see [NormalizeIDNumber]) because the
// index matches bytes exactly. Unlike [Keyring.Open], blind indexes depend
// on the configured algorithm: after switching algorithms they must be
// recomputed from the decrypted values before lookups work again.
//
// domain is a constant chosen by the program; BlindIndex panics if it
// contains a zero byte, since that would let two (domain, value) pairs
// collide.
func (k *Keyring) BlindIndex(domain, value string) []byte {
	if strings.IndexByte(domain, 0) >= 0 {
		panic("privacy: blind index domain contains a NUL byte")
	}
	var h func() hash.Hash = sha256.New
	if k.alg == SM4GCM {
		h = sm3.New
	}
	mac := hmac.New(h, k.indexKey)
	io.WriteString(mac, domain)
	mac.Write([]byte{0})
	io.WriteString(mac, value)
	return mac.Sum(nil)
}

// TOTPKey returns the 32-byte key, derived with the label "huhang totp v1",
// that the authentication code uses to encrypt TOTP secrets. It is separate
// from the field key so that the two uses can never decrypt each other's
// data. A fresh copy is returned so callers cannot alter the keyring.
func (k *Keyring) TOTPKey() []byte {
	return append([]byte(nil), k.totpKey...)
}
