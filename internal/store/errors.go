package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Errors the store returns; the web layer maps each to one status code.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
)

// FieldError is a validation failure on one field: Key is a translation key,
// Field the JSON field name.
type FieldError struct {
	Field string
	Key   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Key) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// ValidationError collects every field error of one request.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid input (%d fields)", len(e.Fields))
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Add records a failed field.
func (e *ValidationError) Add(field, key string) { e.Fields = append(e.Fields, FieldError{field, key}) }

// Err returns e when it holds any field, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// mapErr turns driver errors into the store's own: the one place that knows
// what a unique violation looks like on each engine.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pg.ConstraintName)
		case "23503", "23514", "23502":
			return fmt.Errorf("%w: %s", ErrInvalid, pg.ConstraintName)
		}
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
			// SQLite's message names the column ("UNIQUE constraint
			// failed: students.id_number_bidx"); callers use it to say
			// which field clashed. It never contains values.
			return fmt.Errorf("%w: %s", ErrConflict, lite.Error())
		case 787, 275, 1299: // SQLITE_CONSTRAINT_FOREIGNKEY, _CHECK, _NOTNULL
			return fmt.Errorf("%w: constraint", ErrInvalid)
		}
	}
	return err
}
