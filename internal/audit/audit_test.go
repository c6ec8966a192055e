package audit

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func chain(alg Algorithm, n int) []Entry {
	prev := Genesis
	out := make([]Entry, n)
	for i := range out {
		e := Entry{Seq: int64(i + 1), At: time.UnixMilli(1_700_000_000_000 + int64(i)*1000).UTC(), ActorID: int64(i % 7),
			ActorRole: "psych_teacher", IP: "192.0.2.1", RequestID: fmt.Sprintf("r%d", i), Action: ActStudentRead,
			ObjectType: "student", ObjectID: int64(100 + i), SchoolID: 3, DistrictID: 1, Outcome: "ok"}
		alg.Link(prev, &e)
		prev = e.Hash
		out[i] = e
	}
	return out
}

func verify(alg Algorithm, es []Entry, headSeq int64, headHash []byte) error {
	v := NewVerifier(alg)
	for _, e := range es {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return v.Finish(headSeq, headHash)
}

func TestAnIntactChainVerifies(t *testing.T) {
	for _, alg := range []Algorithm{SHA256, SM3} {
		es := chain(alg, 50)
		if err := verify(alg, es, 50, es[49].Hash); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestTheAlgorithmsDiffer(t *testing.T) {
	a, b := chain(SHA256, 1), chain(SM3, 1)
	if string(a[0].Hash) == string(b[0].Hash) {
		t.Error("SHA-256 and SM3 chains produced the same hash")
	}
	if err := verify(SM3, a, 1, a[0].Hash); err == nil {
		t.Error("a SHA-256 chain verified as SM3")
	}
}

func TestCanonicalEncodingSeparatesFields(t *testing.T) {
	a := Entry{Seq: 1, Action: "ab", ObjectType: "c"}
	b := Entry{Seq: 1, Action: "a", ObjectType: "bc"}
	if string(a.Canonical()) == string(b.Canonical()) {
		t.Error("moving a character between fields left the encoding unchanged")
	}
}

// T5.3: any single mutation of a 1,000-entry log — a flipped field, a
// removed entry, two swapped entries, a forged insertion or a cut tail —
// is reported at exactly the first bad seq.
func TestEveryMutationIsFoundAtItsFirstBadSeq(t *testing.T) {
	const n = 1000
	alg := SHA256
	good := chain(alg, n)
	head := good[n-1].Hash
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 1000 {
		es := append([]Entry(nil), good...)
		headSeq, headHash := int64(n), head
		var want int64
		switch kind := trial % 5; kind {
		case 0: // alter one field of one entry
			i := rng.IntN(n)
			es[i].ObjectID++
			want = int64(i + 1)
		case 1: // remove one entry
			i := rng.IntN(n)
			es = append(es[:i:i], es[i+1:]...)
			want = int64(i + 1)
			if i == n-1 {
				want = n // a cut tail is named against the head
			}
		case 2: // swap two neighbours
			i := rng.IntN(n - 1)
			es[i], es[i+1] = es[i+1], es[i]
			want = int64(i + 1)
		case 3: // forge an entry after the head
			f := Entry{Seq: n + 1, Action: ActLogin, Outcome: "ok"}
			alg.Link(es[n-1].Hash, &f)
			es = append(es, f)
			want = n + 1
		case 4: // cut k entries from the tail
			k := 1 + rng.IntN(5)
			es = es[:n-k]
			want = int64(n - k + 1)
		}
		err := verify(alg, es, headSeq, headHash)
		if !errors.Is(err, ErrBroken) {
			t.Fatalf("trial %d: mutation not detected: %v", trial, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("at seq %d:", want)) {
			t.Fatalf("trial %d (kind %d): %v; want it at seq %d", trial, trial%5, err, want)
		}
	}
}
