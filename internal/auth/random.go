package auth

import "crypto/rand"

// randomString returns n characters drawn uniformly from alphabet using
// crypto/rand. Bytes at or above the largest multiple of len(alphabet) are
// rejected rather than reduced modulo len(alphabet), because the modulo
// would make the first characters of the alphabet slightly more likely.
func randomString(alphabet string, n int) string {
	if len(alphabet) == 0 || len(alphabet) > 256 {
		panic("auth: alphabet must have 1 to 256 characters")
	}
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		// crypto/rand.Read never returns an error since Go 1.24; it
		// aborts the program if the OS entropy source fails.
		rand.Read(buf)
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%len(alphabet)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
