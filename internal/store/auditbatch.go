package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"huhang/internal/audit"
)

// Reads of named pupils' data are audited before the data is shown. A page
// many people open at once (a class's visit sheet) would otherwise commit
// one transaction per view; auditReads hands the entry to one writer that
// drains whatever is queued into a single transaction, and returns once
// that transaction has committed — the same guarantee, one commit shared
// by every view waiting at that moment (the group commit of NOTES.md).

const maxAuditBatch = 256

type auditReq struct {
	e    audit.Entry
	done chan error
}

type auditWriter struct {
	ch   chan auditReq
	quit chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

func (s *Store) auditWriter() *auditWriter {
	s.auditOnce.Do(func() {
		s.auditQ = &auditWriter{ch: make(chan auditReq, 4*maxAuditBatch), quit: make(chan struct{})}
		s.auditQ.wg.Add(1)
		go s.runAuditWriter(s.auditQ)
	})
	return s.auditQ
}

func (s *Store) stopAuditWriter() {
	if w := s.auditQ; w != nil {
		w.stop.Do(func() { close(w.quit) })
		w.wg.Wait()
	}
}

// errStoreClosed answers reads audited after the store began closing.
var errStoreClosed = errors.New("store: closed")

// auditRead appends e to the audit log and returns once it is committed.
func (s *Store) auditRead(ctx context.Context, e audit.Entry) error {
	w := s.auditWriter()
	req := auditReq{e: e, done: make(chan error, 1)}
	select {
	case w.ch <- req:
	case <-w.quit:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the entry is written whatever the caller does; the
	// caller waits for it unless it gives up, and then shows nothing.
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		// Closing: the writer answers what it had taken; an entry queued
		// after it stopped is never written, and its view shows nothing.
		select {
		case err := <-req.done:
			return err
		default:
			return errStoreClosed
		}
	}
}

func (s *Store) runAuditWriter(w *auditWriter) {
	defer w.wg.Done()
	batch := make([]auditReq, 0, maxAuditBatch)
	for {
		select {
		case <-w.quit:
			// Answer whatever is still queued: its views show nothing.
			for {
				select {
				case r := <-w.ch:
					r.done <- errStoreClosed
				default:
					return
				}
			}
		case r := <-w.ch:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxAuditBatch {
				select {
				case r := <-w.ch:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			es := make([]audit.Entry, len(batch))
			for i, r := range batch {
				es[i] = r.e
			}
			err := s.tx(context.Background(), func(tx *sql.Tx) error { return s.appendAuditMany(context.Background(), tx, es) })
			for _, r := range batch {
				r.done <- err
			}
		}
	}
}
