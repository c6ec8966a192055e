package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// TOTP settings. These are the defaults of every common authenticator app;
// apps that ignore the URI parameters assume exactly these values, so they
// are fixed rather than configurable.
const (
	totpPeriod     = 30 // seconds per step
	totpDigits     = 6
	totpSecretLen  = 20 // bytes; RFC 4226 recommends 160 bits
	minTOTPSecret  = 16 // bytes; RFC 4226 requires at least 128 bits
	maxTOTPCodeLen = 64 // bytes of user input examined before giving up
)

// totpEncoding is base32 without padding: authenticator apps and the Key
// URI format expect unpadded secrets.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random 20-byte (160-bit) TOTP shared secret.
func NewTOTPSecret() []byte {
	return randomBytes(totpSecretLen)
}

// EncodeSecret returns secret in unpadded base32, the form users type into
// an authenticator app when they cannot scan a QR code.
func EncodeSecret(b []byte) string {
	return totpEncoding.EncodeToString(b)
}

// TOTPURI returns the otpauth:// Key URI for enrolling secret in an
// authenticator app (usually shown as a QR code). The label is
// "issuer:account" and issuer is repeated as a parameter because apps differ
// in which one they read. Components are percent-encoded with %20 for
// spaces, since some apps display a "+" literally. An empty issuer is left
// out.
func TOTPURI(issuer, account string, secret []byte) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	if issuer != "" {
		b.WriteString(uriEscape(issuer))
		b.WriteString(":")
	}
	b.WriteString(uriEscape(account))
	b.WriteString("?secret=")
	b.WriteString(EncodeSecret(secret))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(uriEscape(issuer))
	}
	b.WriteString("&algorithm=SHA1&digits=6&period=30")
	return b.String()
}

// uriEscape percent-encodes everything except unreserved characters. Unlike
// url.PathEscape it also encodes ":", which would otherwise be mistaken for
// the issuer/account separator in the label.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// StepAt returns the RFC 6238 time step containing t: the number of whole
// 30-second periods since the Unix epoch.
func StepAt(t time.Time) int64 {
	s := t.Unix()
	// Floor division, so instants before 1970 don't round towards zero and
	// share step 0 with the first 30 seconds of 1970.
	step := s / totpPeriod
	if s%totpPeriod < 0 {
		step--
	}
	return step
}

// TOTPCode returns the 6-digit TOTP code for secret at the given time step
// (RFC 6238 with HMAC-SHA1).
func TOTPCode(secret []byte, step int64) string {
	return hotp(secret, uint64(step), totpDigits)
}

// hotp is RFC 4226 HOTP: HMAC-SHA1 of the big-endian counter, dynamically
// truncated to 31 bits and reduced to the given number of decimal digits.
func hotp(secret []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff

	// Render with leading zeros without fmt, filling from the right.
	out := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// VerifyTOTP checks a user-entered code against secret at time now.
//
// The current step and one step either side are accepted, tolerating about
// 30 s of clock skew or a code typed just as it rolled over. Steps at or
// before lastUsedStep are never accepted, so a code cannot be replayed, nor
// can an older code be used after a newer one; pass 0 when the user has not
// used a code yet. On success the matched step is returned and the caller
// must store it as the new lastUsedStep before completing the login.
//
// The code may contain spaces (apps display "123 456") and full-width digits
// (entered by Chinese input methods); after removing the former and
// normalising the latter it must be exactly 6 ASCII digits. Secrets shorter
// than 128 bits are refused, since a short or empty secret would make codes
// guessable by anyone.
func VerifyTOTP(secret []byte, code string, now time.Time, lastUsedStep int64) (step int64, ok bool) {
	if len(secret) < minTOTPSecret {
		return 0, false
	}
	normalized, valid := normalizeTOTPCode(code)
	if !valid {
		return 0, false
	}
	cur := StepAt(now)
	matched := int64(0)
	// Check every candidate without stopping early so timing does not
	// reveal which step matched. If two steps produced the same code the
	// later one wins, which makes replay protection stricter.
	for s := cur - 1; s <= cur+1; s++ {
		eq := subtle.ConstantTimeCompare([]byte(TOTPCode(secret, s)), []byte(normalized))
		if eq == 1 && s > lastUsedStep {
			matched, ok = s, true
		}
	}
	return matched, ok
}

// normalizeTOTPCode strips white space (including the ideographic space),
// maps full-width digits U+FF10–U+FF19 to ASCII and reports whether the
// result is exactly totpDigits ASCII digits.
func normalizeTOTPCode(code string) (string, bool) {
	if len(code) > maxTOTPCodeLen {
		return "", false
	}
	out := make([]byte, 0, totpDigits)
	for _, r := range code {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= '0' && r <= '9':
			out = append(out, byte(r))
		case r >= '０' && r <= '９':
			out = append(out, byte('0'+(r-'０')))
		default:
			return "", false
		}
		if len(out) > totpDigits {
			return "", false
		}
	}
	return string(out), len(out) == totpDigits
}
