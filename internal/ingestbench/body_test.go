package ingestbench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBodiesAreValidRealisticSubmissions(t *testing.T) {
	t.Parallel()
	g := NewBodies(42)
	for client := range 8 {
		for seq := range 50 {
			b := g.Body(client, seq)
			if len(b) < 250 || len(b) > 350 {
				t.Errorf("body (%d, %d) has %d bytes, want about 300", client, seq, len(b))
			}
			var s Submission
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatalf("body (%d, %d) is not JSON: %v\n%s", client, seq, err, b)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("body (%d, %d) is not a valid submission: %v", client, seq, err)
			}
			if s.Code != g.Code(client, seq) || len(s.Answers["phq9"]) != 9 || len(s.Answers["gad7"]) != 7 {
				t.Errorf("body (%d, %d): code %s (want %s), %d PHQ-9 and %d GAD-7 items", client, seq, s.Code,
					g.Code(client, seq), len(s.Answers["phq9"]), len(s.Answers["gad7"]))
			}
			if !bytes.Equal(b, g.AppendBody(nil, client, seq)) {
				t.Errorf("body (%d, %d) differs between two calls", client, seq)
			}
		}
	}
}

func TestBodyCodesAreUniquePerClientAndSequence(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{0, 1, 99} {
		g := NewBodies(seed)
		seen := make(map[string]struct{}, 64*3000)
		for client := range 64 {
			for seq := range 3000 {
				c := g.Code(client, seq)
				if len(c) != CodeLen || strings.Trim(c, codeAlphabet) != "" {
					t.Fatalf("code %q is not %d symbols of %s", c, CodeLen, codeAlphabet)
				}
				if _, dup := seen[c]; dup {
					t.Fatalf("seed %d: code %s repeats at (%d, %d)", seed, c, client, seq)
				}
				seen[c] = struct{}{}
			}
		}
	}
	if NewBodies(1).Code(0, 0) == NewBodies(2).Code(0, 0) {
		t.Error("two seeds give the same first code")
	}
}

func BenchmarkAppendBody(b *testing.B) {
	g := NewBodies(1)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = g.AppendBody(buf[:0], 0, i)
		i++
	}
}
