package ingestbench

import (
	"strconv"
)

// codeAlphabet spells submission codes: Crockford's base 32 (no I, L, O
// or U to confuse on a printed slip).
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is the length of a generated submission code (10 symbols of 5
// bits: 50 bits).
const CodeLen = 10

// Bodies generates synthetic screening submissions: about 300 bytes of
// JSON with a PHQ-9 and a GAD-7 answer set, e.g.
//
//	{"code":"K7M3Q9XPTA","answers":{"phq9":[0,1,2,0,1,0,0,1,0],"gad7":[1,0,0,2,1,0,0]},"duration_ms":184000,…}
//
// The code is unique per (client, seq) for a given seed: it is a bijection
// of client (16 bits) and seq (34 bits) onto 50 bits, scrambled by the
// seed. The answers are pseudo-random but the same for the same inputs.
// A Bodies is safe for concurrent use.
type Bodies struct {
	seed uint64
}

// NewBodies returns a generator; runs with different seeds use different
// codes (almost surely: they are scrambled, not partitioned).
func NewBodies(seed uint64) *Bodies { return &Bodies{seed: seed} }

// Body returns a new submission body for request seq of client.
func (g *Bodies) Body(client, seq int) []byte {
	return g.AppendBody(make([]byte, 0, 384), client, seq)
}

// Code returns the code Body uses for (client, seq).
func (g *Bodies) Code(client, seq int) string {
	var b [CodeLen]byte
	return string(g.appendCode(b[:0], client, seq))
}

const codeMask = 1<<50 - 1

func (g *Bodies) appendCode(dst []byte, client, seq int) []byte {
	x := (uint64(client)&0xffff)<<34 | uint64(seq)&(1<<34-1)
	// Bijective mixing on 50 bits: xor with a seed-derived constant,
	// multiply by odd constants mod 2^50, xor-shift.
	k := splitmix(g.seed)
	x = (x ^ k) & codeMask
	x = (x * 0x9E3779B97F4A7C15) & codeMask
	x ^= x >> 25
	x = (x * (k | 1)) & codeMask
	x ^= x >> 23
	for i := CodeLen - 1; i >= 0; i-- {
		dst = append(dst, codeAlphabet[(x>>(5*uint(i)))&31])
	}
	return dst
}

// AppendBody appends the body for (client, seq) to dst, so a client can
// reuse one buffer.
func (g *Bodies) AppendBody(dst []byte, client, seq int) []byte {
	r := splitmix(g.seed ^ uint64(client)<<40 ^ uint64(seq))
	next := func(n uint64) uint64 {
		r = splitmix(r)
		return r % n
	}
	dst = append(dst, `{"code":"`...)
	dst = g.appendCode(dst, client, seq)
	dst = append(dst, `","instruments":["phq9","gad7"],"answers":{"phq9":[`...)
	// Most pupils answer mostly 0 and 1.
	item := func() byte { return "0000111123"[next(10)] }
	for i := range 9 {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, item())
	}
	dst = append(dst, `],"gad7":[`...)
	for i := range 7 {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, item())
	}
	dst = append(dst, `]},"duration_ms":`...)
	dst = strconv.AppendUint(dst, 60_000+next(540_000), 10)
	dst = append(dst, `,"started_at":"2026-03-`...)
	day := 2 + next(20)
	if day < 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendUint(dst, day, 10)
	dst = append(dst, 'T', byte('0'+next(2)), byte('0'+next(10)), ':', byte('0'+next(6)), byte('0'+next(10)),
		':', byte('0'+next(6)), byte('0'+next(10)))
	dst = append(dst, `+08:00","session":"`...)
	for range 16 {
		dst = append(dst, "0123456789abcdef"[next(16)])
	}
	dst = append(dst, `","locale":"zh-CN","client":{"app":"huhang-web","version":"1.4.2","platform":"`...)
	dst = append(dst, [...]string{"android", "ios", "windows", "chromeos"}[next(4)]...)
	dst = append(dst, `"},"consent":true}`...)
	return dst
}

// splitmix is the SplitMix64 finaliser.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}
