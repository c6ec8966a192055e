package store

import (
	"context"
	"database/sql"
	"sync"
)

// Reads go through prepared statements kept for the life of the store:
// parsing SQL was an eighth of a drill-down page's CPU. Queries differ by
// their scope literals, so the cache is bounded; past the bound a query is
// simply run unprepared.
const stmtCacheMax = 2000

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (s *Store) readStmt(ctx context.Context, query string) *sql.Stmt {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts) >= stmtCacheMax {
		return nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared path reports the error
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st
}

// readRow runs a single-row read on the read pool.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.read.QueryRowContext(ctx, query, args...)
}

// readRows runs a read on the read pool.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, query, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// txStmts prepares statements once for the life of one bulk transaction
// (an import runs the same few statements hundreds of thousands of times).
// A nil *txStmts runs statements unprepared.
type txStmts struct {
	tx      *sql.Tx
	m       map[string]*sql.Stmt
	classes map[int64]classRef // classes already checked in this transaction
}

func newTxStmts(tx *sql.Tx) *txStmts {
	return &txStmts{tx: tx, m: map[string]*sql.Stmt{}, classes: map[int64]classRef{}}
}

func (p *txStmts) get(ctx context.Context, query string) *sql.Stmt {
	if st, ok := p.m[query]; ok {
		return st
	}
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.m[query] = st
	return st
}

func (p *txStmts) row(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if p != nil {
		if st := p.get(ctx, query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func (p *txStmts) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if p != nil {
		if st := p.get(ctx, query); st != nil {
			return st.ExecContext(ctx, args...)
		}
	}
	return tx.ExecContext(ctx, query, args...)
}
