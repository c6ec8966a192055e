package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"huhang/internal/audit"
)

// Screening-day ingest. A whole city answers within hours, and every answer
// must be durably committed (SQLite synchronous=FULL) before the pupil's
// page says "thank you". One transaction per submission would cost one
// fsync each; instead one writer goroutine takes whatever submissions are
// queued — without waiting for more — and commits them together, each
// statement covering the whole batch. A submission and its alert are in the
// same transaction: if one exists, so does the other.

// Submission is a scored answer set ready to be stored. The web layer
// decodes, validates and scores; the store writes.
type Submission struct {
	Participant Participant
	// Detail is the answers and per-instrument results as JSON (sealed
	// before it is stored: D4).
	Detail   []byte
	Tier     int
	Critical bool
	Flags    []string
	// Reasons are reason codes such as "critical_item:phq9:9" or "tier:phq9".
	Reasons  []string
	Duration time.Duration
	// Alert is set when the answers need one.
	Alert *AlertSpec
	IP    string
	// RequestID ties the audit entry to the request.
	RequestID string

	sealed []byte // Detail sealed by Submit before it queues
}

// AlertSpec is the alert a submission raises.
type AlertSpec struct {
	Severity string
	Reason   string
	DueAt    time.Time
}

// SubmitResult is what the store tells the pupil's page.
type SubmitResult struct {
	AlertID int64
}

// MaxIngestBatch bounds one group commit (statement size and latency).
const MaxIngestBatch = 512

type ingestReq struct {
	ctx  context.Context
	sub  *Submission
	done chan ingestResult
}

type ingestResult struct {
	res SubmitResult
	err error
}

type ingester struct {
	ch   chan ingestReq
	quit chan struct{}
	wg   sync.WaitGroup
	// batches and items count what the writer did (metrics and tests).
	mu      sync.Mutex
	batches int64
	items   int64
	largest int
}

// IngestStats says how the group-commit writer batched.
type IngestStats struct {
	Batches, Items int64
	Largest        int
}

// IngestStats returns the writer's counters.
func (s *Store) IngestStats() IngestStats {
	in := s.ingestWriter()
	in.mu.Lock()
	defer in.mu.Unlock()
	return IngestStats{Batches: in.batches, Items: in.items, Largest: in.largest}
}

func (s *Store) ingestWriter() *ingester {
	s.ingestOnce.Do(func() {
		s.ingest = &ingester{ch: make(chan ingestReq, 4*MaxIngestBatch), quit: make(chan struct{})}
		s.ingest.wg.Add(1)
		go s.runIngest(s.ingest)
	})
	return s.ingest
}

func (s *Store) stopIngest() {
	if s.ingest != nil {
		close(s.ingest.quit)
		s.ingest.wg.Wait()
	}
}

// Submit stores one submission (and its alert) durably and returns once
// its transaction has committed. ErrConflict: the code was already used;
// ErrNotFound: the participant is gone or has no consent.
func (s *Store) Submit(ctx context.Context, sub *Submission) (SubmitResult, error) {
	// Sealing is per submission and needs no database: do it here, on the
	// caller's goroutine, so the one writer spends its time on SQL.
	sealed, err := s.keys.Seal(sub.Detail, detailAAD(sub.Participant.ID))
	if err != nil {
		return SubmitResult{}, err
	}
	sub.sealed = sealed
	in := s.ingestWriter()
	req := ingestReq{ctx: ctx, sub: sub, done: make(chan ingestResult, 1)}
	select {
	case in.ch <- req:
	case <-in.quit:
		return SubmitResult{}, errClosed
	case <-ctx.Done():
		return SubmitResult{}, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-in.quit:
		// The writer answers everything it took before it stops.
		r := <-req.done
		return r.res, r.err
	}
}

func (s *Store) runIngest(in *ingester) {
	defer in.wg.Done()
	batch := make([]ingestReq, 0, MaxIngestBatch)
	for {
		var first ingestReq
		select {
		case first = <-in.ch:
		case <-in.quit:
			// Drain what is queued so no caller waits forever.
			for {
				select {
				case r := <-in.ch:
					r.done <- ingestResult{err: errClosed}
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < MaxIngestBatch {
			select {
			case r := <-in.ch:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		// Requests whose caller gave up are not written: nobody would
		// learn that they were.
		live := batch[:0]
		for _, r := range batch {
			if r.ctx.Err() != nil {
				r.done <- ingestResult{err: r.ctx.Err()}
				continue
			}
			live = append(live, r)
		}
		if len(live) == 0 {
			continue
		}
		results, err := s.commitBatch(live)
		if err != nil && len(live) > 1 {
			// One bad row must not fail its neighbours: write them one by one.
			s.log.Warn("screening batch failed; retrying its submissions one at a time", "size", len(live), "err", err)
			for _, r := range live {
				res, err := s.commitBatch([]ingestReq{r})
				r.done <- pick(res, 0, err)
			}
		} else {
			for i, r := range live {
				r.done <- pick(results, i, err)
			}
		}
		in.mu.Lock()
		in.batches++
		in.items += int64(len(live))
		in.largest = max(in.largest, len(live))
		in.mu.Unlock()
	}
}

func pick(results []ingestResult, i int, err error) ingestResult {
	if err != nil {
		return ingestResult{err: err}
	}
	return results[i]
}

// commitBatch writes a batch in one transaction. It returns one result per
// request (conflicts are per request); err is for the whole batch.
func (s *Store) commitBatch(batch []ingestReq) ([]ingestResult, error) {
	ctx := context.Background() // the batch is not any single caller's
	results := make([]ingestResult, len(batch))
	now := s.now()
	nowMS := ms(now)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// 1. Claim the codes: only participants not yet submitted and
		// with consent. A code twice in one batch: the first wins.
		ids := make([]any, 0, len(batch))
		first := map[int64]int{}
		for i, r := range batch {
			pid := r.sub.Participant.ID
			if _, dup := first[pid]; dup {
				results[i].err = ErrConflict
				continue
			}
			first[pid] = i
			ids = append(ids, pid)
		}
		// Consent is read, not written: the rows the pupils' pages read
		// stay untouched on a screening day.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, code_hash FROM screening_participants WHERE consent = 'given' AND id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`), ids...)
		if err != nil {
			return fmt.Errorf("store: claim codes: %w", err)
		}
		consented := map[int64]bool{}
		hashes := map[int64][]byte{}
		for rows.Next() {
			var id int64
			var hash []byte
			if err := rows.Scan(&id, &hash); err != nil {
				rows.Close()
				return err
			}
			consented[id] = true
			hashes[id] = hash
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var ok []int // indexes of requests that may be written
		for pid, i := range first {
			ch := batch[i].sub.Participant.codeHash
			switch {
			case !consented[pid]:
				results[i].err = ErrNoConsent
			case ch != nil && string(ch) != string(hashes[pid]):
				results[i].err = ErrNotFound // the code was reissued
			default:
				ok = append(ok, i)
			}
		}
		if len(ok) == 0 {
			return nil
		}
		// 2. The submissions. The participant id is the key: a code used
		// before (or twice in this batch) does not insert, and only the
		// rows inserted count as claimed.
		const subCols = 14
		vals := make([]any, 0, len(ok)*subCols)
		for _, i := range ok {
			sub := batch[i].sub
			p := &sub.Participant
			sealed := sub.sealed
			if sealed == nil {
				var err error
				if sealed, err = s.keys.Seal(sub.Detail, detailAAD(p.ID)); err != nil {
					return err
				}
			}
			vals = append(vals, p.ID, p.Campaign.ID, p.StudentID, p.DistrictID, p.SchoolID, p.ClassID, p.Grade, sealed,
				sub.Tier, b2i(sub.Critical), strings.Join(sub.Flags, ","), strings.Join(sub.Reasons, ","), sub.Duration.Milliseconds(), nowMS)
		}
		rows, err = tx.QueryContext(ctx, s.q(`INSERT INTO screening_submissions (participant_id, campaign_id, student_id, district_id,
			school_id, class_id, grade, detail, tier, critical, flags, reasons, duration_ms, submitted_at) VALUES `+placeholders(len(ok), subCols)+`
			ON CONFLICT (participant_id) DO NOTHING RETURNING participant_id`), vals...)
		if err != nil {
			return fmt.Errorf("store: insert submissions: %w", mapErr(err))
		}
		claimed := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			claimed[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		kept := ok[:0]
		for _, i := range ok {
			if claimed[batch[i].sub.Participant.ID] {
				kept = append(kept, i)
			} else {
				results[i].err = ErrConflict
			}
		}
		ok = kept
		if len(ok) == 0 {
			return nil
		}
		// 3. Alerts, their first event and their notifications.
		var alerting []int
		for _, i := range ok {
			if batch[i].sub.Alert != nil {
				alerting = append(alerting, i)
			}
		}
		entries := make([]audit.Entry, 0, len(ok)+len(alerting))
		if len(alerting) > 0 {
			alertIDs, err := s.insertAlerts(ctx, tx, batch, alerting, nowMS)
			if err != nil {
				return err
			}
			for _, i := range alerting {
				results[i].res.AlertID = alertIDs[batch[i].sub.Participant.ID]
			}
			refs := make([]alertRef, 0, len(alerting))
			for _, i := range alerting {
				p := &batch[i].sub.Participant
				refs = append(refs, alertRef{id: alertIDs[p.ID], schoolID: p.SchoolID, districtID: p.DistrictID, level: 0})
			}
			if err := s.alertRaisedRows(ctx, tx, refs, nowMS); err != nil {
				return err
			}
			for _, i := range alerting {
				sub := batch[i].sub
				e := audit.Entry{ActorRole: "system", IP: sub.IP, RequestID: sub.RequestID, Action: audit.ActAlertRaised, ObjectType: "alert",
					ObjectID: results[i].res.AlertID, SchoolID: sub.Participant.SchoolID, DistrictID: sub.Participant.DistrictID,
					Detail: "severity=" + sub.Alert.Severity + " reason=" + sub.Alert.Reason}
				entries = append(entries, e)
			}
		}
		// 4. Counters, one upsert for every class touched.
		if err := s.addSubmissionCounts(ctx, tx, batch, ok); err != nil {
			return err
		}
		// 5. The audit entries: one per submission (the pupil, by code,
		// from this address), chained once for the batch.
		for _, i := range ok {
			sub := batch[i].sub
			entries = append(entries, audit.Entry{ActorRole: "pupil", IP: sub.IP, RequestID: sub.RequestID, Action: audit.ActSubmitted,
				ObjectType: "participant", ObjectID: sub.Participant.ID, SchoolID: sub.Participant.SchoolID, DistrictID: sub.Participant.DistrictID,
				Detail: fmt.Sprintf("campaign=%d tier=%d", sub.Participant.Campaign.ID, sub.Tier)})
		}
		return s.appendAuditMany(ctx, tx, entries)
	})
	if err != nil {
		return nil, err
	}
	s.screenCache.drop()
	done := make([]int64, 0, len(batch))
	for _, r := range batch {
		done = append(done, r.sub.Participant.ID)
	}
	s.parts.forget(done...)
	return results, nil
}

func (s *Store) insertAlerts(ctx context.Context, tx *sql.Tx, batch []ingestReq, idx []int, nowMS int64) (map[int64]int64, error) {
	const cols = 12
	vals := make([]any, 0, len(idx)*cols)
	for _, i := range idx {
		sub := batch[i].sub
		p := &sub.Participant
		vals = append(vals, p.ID, p.Campaign.ID, p.StudentID, p.DistrictID, p.SchoolID, p.ClassID,
			sub.Alert.Severity, sub.Alert.Reason, 0, "open", nowMS, ms(sub.Alert.DueAt))
	}
	rows, err := tx.QueryContext(ctx, s.q(`INSERT INTO alerts (submission_id, campaign_id, student_id, district_id, school_id, class_id,
		severity, reason, level, state, raised_at, due_at) VALUES `+placeholders(len(idx), cols)+` RETURNING id, submission_id`), vals...)
	if err != nil {
		return nil, fmt.Errorf("store: insert alerts: %w", mapErr(err))
	}
	defer rows.Close()
	out := make(map[int64]int64, len(idx))
	for rows.Next() {
		var id, sid int64
		if err := rows.Scan(&id, &sid); err != nil {
			return nil, err
		}
		out[sid] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: insert alerts: %w", err)
	}
	if len(out) != len(idx) {
		return nil, errors.New("store: insert alerts: ids missing")
	}
	return out, nil
}

func (s *Store) addSubmissionCounts(ctx context.Context, tx *sql.Tx, batch []ingestReq, ok []int) error {
	type key struct{ campaign, class int64 }
	type row struct {
		school, district                                         int64
		grade                                                    int
		submitted, flagged, green, yellow, orange, red, critical int
	}
	agg := map[key]*row{}
	var order []key
	for _, i := range ok {
		sub := batch[i].sub
		p := &sub.Participant
		k := key{p.Campaign.ID, p.ClassID}
		r := agg[k]
		if r == nil {
			r = &row{school: p.SchoolID, district: p.DistrictID, grade: p.Grade}
			agg[k] = r
			order = append(order, k)
		}
		r.submitted++
		r.flagged += b2i(len(sub.Flags) > 0)
		switch sub.Tier {
		case 0:
			r.green++
		case 1:
			r.yellow++
		case 2:
			r.orange++
		default:
			r.red++
		}
		r.critical += b2i(sub.Critical)
	}
	const cols = 12
	vals := make([]any, 0, len(order)*cols)
	for _, k := range order {
		r := agg[k]
		vals = append(vals, k.campaign, k.class, r.school, r.district, r.grade, r.submitted, r.flagged, r.green, r.yellow, r.orange, r.red, r.critical)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO screening_counts (campaign_id, class_id, school_id, district_id, grade,
		submitted, flagged, green, yellow, orange, red, critical) VALUES `+placeholders(len(order), cols)+`
		ON CONFLICT (campaign_id, class_id) DO UPDATE SET submitted = screening_counts.submitted + excluded.submitted,
		flagged = screening_counts.flagged + excluded.flagged, green = screening_counts.green + excluded.green,
		yellow = screening_counts.yellow + excluded.yellow, orange = screening_counts.orange + excluded.orange,
		red = screening_counts.red + excluded.red, critical = screening_counts.critical + excluded.critical`), vals...)
	if err != nil {
		return fmt.Errorf("store: screening counters: %w", err)
	}
	return nil
}

// SubmitMany stores submissions in batches through the same code path as
// the group-commit writer (the demo city's history uses it). Results are
// per submission, in order.
func (s *Store) SubmitMany(ctx context.Context, subs []*Submission) ([]SubmitResult, []error, error) {
	res := make([]SubmitResult, len(subs))
	errs := make([]error, len(subs))
	for start := 0; start < len(subs); start += MaxIngestBatch {
		if err := ctx.Err(); err != nil {
			return res, errs, err
		}
		end := min(start+MaxIngestBatch, len(subs))
		batch := make([]ingestReq, 0, end-start)
		for _, sub := range subs[start:end] {
			batch = append(batch, ingestReq{ctx: ctx, sub: sub})
		}
		out, err := s.commitBatch(batch)
		if err != nil {
			return res, errs, err
		}
		for i, r := range out {
			res[start+i], errs[start+i] = r.res, r.err
		}
	}
	return res, errs, nil
}

// ClearSubmittedDrafts drops the sealed drafts of participants who have
// submitted: the submission holds the answers, and the screening-day
// commit does not touch participant rows. Returns how many were cleared.
func (s *Store) ClearSubmittedDrafts(ctx context.Context) (int64, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE screening_participants SET draft = NULL
		WHERE draft IS NOT NULL AND EXISTS (SELECT 1 FROM screening_submissions x WHERE x.participant_id = screening_participants.id)`)
	if err != nil {
		return 0, fmt.Errorf("store: clear drafts: %w", err)
	}
	return res.RowsAffected()
}
