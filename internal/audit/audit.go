// Package audit defines the entries of Huhang's append-only audit log and
// the hash chain that makes tampering evident: every entry's hash covers the
// previous entry's hash and a canonical encoding of the entry, so altering,
// removing or reordering any stored entry breaks the chain from that point.
// Entries carry record ids, never names, ID numbers or answers.
//
// The package is pure: the store writes entries in the same transaction as
// the change they record, and Verify checks a chain read back from storage.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// Algorithm names a chain hash.
type Algorithm string

// Chain hash algorithms: SHA-256 by default, SM3 (GB/T 32905) selectable.
const (
	SHA256 Algorithm = "sha256"
	SM3    Algorithm = "sm3"
)

// ParseAlgorithm accepts "sha256" or "sm3".
func ParseAlgorithm(s string) (Algorithm, error) {
	switch Algorithm(s) {
	case SHA256, SM3:
		return Algorithm(s), nil
	case "":
		return SHA256, nil
	}
	return "", fmt.Errorf("audit: unknown hash algorithm %q (want sha256 or sm3)", s)
}

func (a Algorithm) newHash() hash.Hash {
	if a == SM3 {
		return sm3.New()
	}
	return sha256.New()
}

// Genesis is the previous hash of the first entry.
var Genesis = make([]byte, 32)

// Actions recorded in the log. Reads of a named child's record have their
// own actions so an auditor can find every disclosure.
const (
	ActLogin         = "auth.login"
	ActLoginFailed   = "auth.login_failed"
	ActLogout        = "auth.logout"
	ActMFAEnabled    = "auth.mfa_enabled"
	ActPasswordSet   = "auth.password_set"
	ActTokenCreated  = "auth.token_created"
	ActTokenRevoked  = "auth.token_revoked"
	ActUserCreated   = "user.created"
	ActUserUpdated   = "user.updated"
	ActUserDisabled  = "user.disabled"
	ActAssignGranted = "user.assignment_granted"
	ActAssignRevoked = "user.assignment_revoked"
	ActStudentRead   = "student.read"
	ActStudentRead2  = "student.read_contact" // D2: guardians, ID number, categories
	ActStudentCreate = "student.created"
	ActStudentUpdate = "student.updated"
	ActStudentMove   = "student.moved"
	ActStaffCreate   = "staff.created"
	ActStaffUpdate   = "staff.updated"
	ActSchoolCreate  = "school.created"
	ActSchoolUpdate  = "school.updated"
	ActClassCreate   = "class.created"
	ActDemoLoaded    = "system.demo_loaded"
	ActBackup        = "system.backup"
	ActAuditSearched = "audit.searched"

	ActCampaignCreate  = "screening.campaign_created"
	ActCampaignClose   = "screening.campaign_closed"
	ActConsent         = "screening.consent_recorded"
	ActCodeReissue     = "screening.code_reissued"
	ActCodesPrinted    = "screening.codes_printed"
	ActDraftSaved      = "screening.draft_saved"
	ActSubmitted       = "screening.submitted"
	ActResultsRead     = "screening.results_read" // D3/D4 list of a school or class
	ActAnswersRead     = "screening.answers_read" // D4: one pupil's answers
	ActAlertRaised     = "alert.raised"
	ActAlertSeen       = "alert.seen"
	ActAlertAck        = "alert.acknowledged"
	ActAlertAction     = "alert.action_taken"
	ActAlertEscalated  = "alert.escalated"
	ActAlertClosed     = "alert.closed"
	ActInstrumentAdded = "screening.instrument_added"
)

// Entry is one audit record. Seq numbers are consecutive from 1.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id"`
	ActorRole  string    `json:"actor_role"`
	IP         string    `json:"ip"`
	RequestID  string    `json:"request_id"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   int64     `json:"object_id"`
	SchoolID   int64     `json:"school_id"`
	DistrictID int64     `json:"district_id"`
	Outcome    string    `json:"outcome"`
	// Detail holds ids or field names only (e.g. "fields=name,class_id").
	Detail   string `json:"detail"`
	PrevHash []byte `json:"-"`
	Hash     []byte `json:"-"`
}

// Canonical returns the bytes the chain hashes for e: every field in a fixed
// order, each length-prefixed so no two different entries encode alike. Time
// is truncated to milliseconds, the precision the store keeps.
func (e *Entry) Canonical() []byte {
	var b bytes.Buffer
	num := func(v int64) {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(v))
		b.Write(buf[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		b.WriteString(s)
	}
	b.WriteString("huhang-audit-v1")
	num(e.Seq)
	num(e.At.UnixMilli())
	num(e.ActorID)
	str(e.ActorRole)
	str(e.IP)
	str(e.RequestID)
	str(e.Action)
	str(e.ObjectType)
	num(e.ObjectID)
	num(e.SchoolID)
	num(e.DistrictID)
	str(e.Outcome)
	str(e.Detail)
	return b.Bytes()
}

// Link sets e.PrevHash to prev and e.Hash to H(prev || canonical(e)).
func (a Algorithm) Link(prev []byte, e *Entry) {
	h := a.newHash()
	h.Write(prev)
	h.Write(e.Canonical())
	e.PrevHash = append([]byte(nil), prev...)
	e.Hash = h.Sum(nil)
}

// ErrBroken is wrapped by every verification failure.
var ErrBroken = errors.New("audit chain broken")

// Verifier checks a chain one entry at a time, in seq order, so a log of any
// length verifies in constant memory.
type Verifier struct {
	alg  Algorithm
	prev []byte
	seq  int64
}

// NewVerifier starts a verification from the genesis.
func NewVerifier(alg Algorithm) *Verifier {
	return &Verifier{alg: alg, prev: Genesis}
}

// Next checks the next stored entry. The first error names the seq where
// the chain first goes wrong: a gap (missing entry), a wrong previous hash
// (removed or reordered entry) or a wrong hash (altered entry).
func (v *Verifier) Next(e Entry) error {
	want := v.seq + 1
	if e.Seq != want {
		return fmt.Errorf("%w at seq %d: entry %d is missing (found %d next)", ErrBroken, want, want, e.Seq)
	}
	if !bytes.Equal(e.PrevHash, v.prev) {
		return fmt.Errorf("%w at seq %d: previous-hash link does not match entry %d", ErrBroken, e.Seq, e.Seq-1)
	}
	check := e
	v.alg.Link(v.prev, &check)
	if !bytes.Equal(check.Hash, e.Hash) {
		return fmt.Errorf("%w at seq %d: entry was altered (hash mismatch)", ErrBroken, e.Seq)
	}
	v.prev, v.seq = e.Hash, e.Seq
	return nil
}

// Finish compares the verified chain with the recorded head, which catches
// entries cut from the end of the log.
func (v *Verifier) Finish(headSeq int64, headHash []byte) error {
	if headSeq != v.seq {
		// The first bad entry is the first one past the shorter of the two.
		first := min(headSeq, v.seq) + 1
		return fmt.Errorf("%w at seq %d: head says %d entries, log has %d", ErrBroken, first, headSeq, v.seq)
	}
	if !bytes.Equal(headHash, v.prev) {
		return fmt.Errorf("%w at seq %d: head hash does not match the last entry", ErrBroken, v.seq)
	}
	return nil
}

// Count is how many entries have been verified so far.
func (v *Verifier) Count() int64 { return v.seq }
