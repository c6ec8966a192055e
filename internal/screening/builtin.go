package screening

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed instruments/*.json
var shipped embed.FS

// builtin is loaded at start-up: a shipped instrument that fails validation
// is a build defect, and the program must not start and screen children
// with rules nobody reviewed.
var builtin = mustLoadDir(shipped, "instruments")

// mustLoadDir loads every *.json file in dir, sorted by code. Each file must
// be named after its instrument's code.
func mustLoadDir(fsys fs.FS, dir string) []*Instrument {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		panic(err)
	}
	var out []*Instrument
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(fmt.Sprintf("screening: %s: %v", name, err))
		}
		in, err := Load(data)
		if err != nil {
			panic(fmt.Sprintf("screening: shipped instrument %s: %v", name, err))
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); in.Code != want {
			panic(fmt.Sprintf("screening: shipped instrument %s has code %q", name, in.Code))
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *Instrument) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Builtin returns the shipped instruments, sorted by code. The slice is
// the caller's; the instruments are shared and must not be modified.
func Builtin() []*Instrument { return slices.Clone(builtin) }

// ErrDuplicateCode: two instruments in a registry share a code.
var ErrDuplicateCode = errors.New("screening: duplicate instrument code")

// Registry is the set of instruments a deployment offers: the shipped ones
// plus any a bureau imported (for instance licensed instruments it holds the
// rights to). It is immutable and safe for concurrent use.
type Registry struct {
	byCode map[string]*Instrument
	all    []*Instrument
}

// NewRegistry returns the builtin instruments plus extra. Each extra is
// validated; a code used twice is an error (ErrDuplicateCode), so an import
// can never silently replace a shipped instrument.
func NewRegistry(extra ...*Instrument) (*Registry, error) {
	r := &Registry{byCode: make(map[string]*Instrument, len(builtin)+len(extra))}
	for i, in := range append(Builtin(), extra...) {
		if in == nil {
			return nil, fmt.Errorf("screening: registry: instrument %d is nil", i)
		}
		if err := in.Validate(); err != nil {
			return nil, fmt.Errorf("screening: registry: instrument %q: %w", in.Code, err)
		}
		if _, dup := r.byCode[in.Code]; dup {
			return nil, fmt.Errorf("%w %q", ErrDuplicateCode, in.Code)
		}
		r.byCode[in.Code] = in
		r.all = append(r.all, in)
	}
	slices.SortFunc(r.all, func(a, b *Instrument) int { return strings.Compare(a.Code, b.Code) })
	return r, nil
}

// Get returns the instrument with the given code.
func (r *Registry) Get(code string) (*Instrument, bool) {
	in, ok := r.byCode[code]
	return in, ok
}

// All returns every instrument, sorted by code.
func (r *Registry) All() []*Instrument { return slices.Clone(r.all) }
