package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// On a screening day every submission starts with a code lookup, while
// the writer commits every few milliseconds. In WAL mode a reader whose
// database changed since its last read discards its whole page cache, so
// each lookup re-reads and re-parses every B-tree page on its path; that,
// not the commit, was most of the server's work. Lookups of codes that
// may answer are therefore kept in memory. Only positive answers are kept
// (consent given, not yet submitted, campaign known), and the writer
// checks consent and first use again inside its transaction, so a stale
// entry can never let a submission through that the database would
// refuse; it only means a refusal comes from the writer instead.

// ErrNoConsent is the writer's refusal of a participant without consent.
var ErrNoConsent = fmt.Errorf("%w: no consent", ErrConflict)

// participantCacheMax bounds the cache (about 150 bytes an entry).
const participantCacheMax = 1_000_000

// participantCacheTTL bounds how stale a campaign's window and status may
// be on this server after another server changed them.
const participantCacheTTL = codeIndexAge + time.Minute

type partCache struct {
	mu   sync.RWMutex
	m    map[string]partEntry
	byID map[int64]string
}

type partEntry struct {
	p  Participant
	at time.Time
}

func (c *partCache) get(key string, now time.Time) (Participant, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) > participantCacheTTL {
		return Participant{}, false
	}
	return e.p, true
}

func (c *partCache) put(key string, p Participant, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= participantCacheMax {
		c.m, c.byID = map[string]partEntry{}, map[int64]string{}
	}
	p.Draft = nil
	c.m[key] = partEntry{p: p, at: now}
	c.byID[p.ID] = key
}

// putMany adds entries under one lock (the index build).
func (c *partCache) putMany(ps []Participant, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(ps) > participantCacheMax {
		c.m, c.byID = map[string]partEntry{}, map[int64]string{}
	}
	for _, p := range ps {
		key := string(p.codeHash)
		c.m[key] = partEntry{p: p, at: now}
		c.byID[p.ID] = key
	}
}

// forget drops participants (consent changed, code reissued, submitted).
func (c *partCache) forget(ids ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if key, ok := c.byID[id]; ok {
			delete(c.m, key)
			delete(c.byID, id)
		}
	}
}

// forgetAll drops every entry (a campaign closed).
func (c *partCache) forgetAll() {
	c.mu.Lock()
	c.m, c.byID = nil, nil
	c.mu.Unlock()
}

// codeIndex is every code that may answer in an open campaign, built in
// one scan the first time a code is not in the cache (and again at most
// every codeIndexAge): each code is used once, so only a whole-campaign
// index spares the database a lookup per submission.
type codeIndex struct {
	mu       sync.Mutex
	built    time.Time
	building bool
}

// codeIndexAge is how often a miss may rebuild the index.
const codeIndexAge = 10 * time.Minute

// WarmCodeIndex builds the index now (the server calls it at start, in
// the background). Lookups never wait for it: until it is built they read
// the database.
func (s *Store) WarmCodeIndex(ctx context.Context) error {
	ix := &s.codeIx
	ix.mu.Lock()
	if ix.building {
		ix.mu.Unlock()
		return nil
	}
	ix.building, ix.built = true, time.Now()
	ix.mu.Unlock()
	defer func() {
		ix.mu.Lock()
		ix.building = false
		ix.mu.Unlock()
	}()
	return s.buildCodeIndex(ctx)
}

// maybeRebuild starts a background rebuild when the index is older than
// codeIndexAge (a miss: a code not seen since the last build).
func (s *Store) maybeRebuild() {
	ix := &s.codeIx
	ix.mu.Lock()
	stale := !ix.building && time.Since(ix.built) >= codeIndexAge
	ix.mu.Unlock()
	if stale {
		go func() {
			if err := s.WarmCodeIndex(context.Background()); err != nil {
				s.log.Warn("code index build failed", "err", err)
			}
		}()
	}
}

func (s *Store) buildCodeIndex(ctx context.Context) error {
	now := time.Now()
	camps := map[int64]Campaign{}
	crows, err := s.read.QueryContext(ctx, s.q(`SELECT `+campaignCols+` FROM screening_campaigns c WHERE c.status = 'open' AND c.closes_at > ?`), ms(now))
	if err != nil {
		return fmt.Errorf("store: code index: %w", err)
	}
	for crows.Next() {
		c, err := scanCampaign(crows)
		if err != nil {
			crows.Close()
			return err
		}
		camps[c.ID] = c
	}
	crows.Close()
	for id, c := range camps {
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT p.id, p.code_hash, p.student_id, p.district_id, p.school_id, p.class_id, p.grade, p.age, p.started_at
			FROM screening_participants p WHERE p.campaign_id = ? AND p.consent = 'given'
			AND NOT EXISTS (SELECT 1 FROM screening_submissions x WHERE x.participant_id = p.id)`), id)
		if err != nil {
			return fmt.Errorf("store: code index: %w", err)
		}
		batch := make([]Participant, 0, 4096)
		for rows.Next() {
			var p Participant
			var hash []byte
			var started int64
			if err := rows.Scan(&p.ID, &hash, &p.StudentID, &p.DistrictID, &p.SchoolID, &p.ClassID, &p.Grade, &p.Age, &started); err != nil {
				rows.Close()
				return err
			}
			p.Campaign, p.Consent, p.State, p.StartedAt = c, ConsentGiven, PartOpen, fromMS(started)
			if started != 0 {
				p.State = PartStarted
			}
			p.codeHash = hash
			if batch = append(batch, p); len(batch) == cap(batch) {
				s.parts.putMany(batch, now)
				batch = batch[:0]
			}
		}
		s.parts.putMany(batch, now)
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ParticipantForSubmit resolves a code for the submission API: from memory
// when this server has seen the code may answer, else from the database.
// The participant carries no draft. Callers still check State, Consent and
// the campaign window; the writer checks consent and first use again.
func (s *Store) ParticipantForSubmit(ctx context.Context, code string) (Participant, error) {
	code = NormalizeCode(code)
	if code == "" {
		return Participant{}, ErrNotFound
	}
	key := string(s.codeHash(code))
	now := time.Now()
	if p, ok := s.parts.get(key, now); ok {
		return p, nil
	}
	s.maybeRebuild()
	p, err := s.ParticipantByCode(ctx, code)
	if err != nil {
		return p, err
	}
	p.codeHash = []byte(key)
	if p.Consent == ConsentGiven && p.State != PartSubmitted && p.Campaign.Status == "open" {
		s.parts.put(key, p, now)
	}
	p.Draft = nil
	return p, nil
}
