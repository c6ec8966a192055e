package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"huhang/internal/authz"
	"huhang/internal/i18n"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/report"
	"huhang/internal/screening"
)

// localZone is the programme's time zone for dates shown on pages.
var localZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

var matchLocale = i18n.Match

// templates holds one parsed set per page, each with the shared layout.
type templates struct {
	sets map[string]*template.Template
}

// page is what every template receives.
type page struct {
	ctx    *reqCtx
	cat    *i18n.Catalog
	s      *Server
	Title  string
	Crumbs []crumb
	Flash  string
	Data   map[string]any
}

type crumb struct{ Label, URL string }

// T translates a key in the page's language.
func (p *page) T(key string, args ...any) string { return p.cat.T(p.ctx.locale, key, args...) }

// Locale is the page's language tag.
func (p *page) Locale() string { return p.ctx.locale }

// User is the signed-in account, or nil.
func (p *page) User() any {
	if p.ctx.user == nil {
		return nil
	}
	return p.ctx.user
}

// Can reports whether the viewer meets a need, for showing links.
func (p *page) Can(class int, level string) bool {
	if p.ctx.sub == nil {
		return false
	}
	return p.ctx.sub.Can(authz.Need{Class: authz.DataClass(class), Level: parseLevel(level)})
}

// HasRole reports whether the viewer holds a role.
func (p *page) HasRole(r string) bool { return p.ctx.sub != nil && p.ctx.sub.Has(authz.Role(r)) }

// Synthetic tells the layout to label the data as generated.
func (p *page) Synthetic() bool { return p.s.cfg.SyntheticData }

// Path is the current page's path (the language switch returns to it).
func (p *page) Path() string {
	if p.ctx.path == "" {
		return "/"
	}
	return p.ctx.path
}

// Static returns the content-hashed URL of a static file.
func (p *page) Static(name string) string { return staticURL(name) }

func parseLevel(s string) authz.Level {
	for l := authz.None; l <= authz.Write; l++ {
		if levelName(l) == s {
			return l
		}
	}
	return authz.Write + 1
}

func loadTemplates(cat *i18n.Catalog) (*templates, error) {
	funcs := template.FuncMap{
		"gradeName": model.GradeName,
		"maskName":  privacy.MaskName,
		"maskPhone": privacy.MaskPhone,
		"yearLabel": model.SchoolYearLabel,
		"suppress":  func(n int) string { return report.Suppress(n) },
		"pct":       pct,
		"add":       func(a, b int) int { return a + b },
		"sub":       func(a, b int) int { return a - b },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"categories":  func() []model.Category { return model.Categories },
		"schoolTypes": func() []model.SchoolType { return model.SchoolTypes },
		"posts":       func() []model.Post { return model.Posts },
		"relations":   func() []model.Relation { return model.Relations },
		"roles":       func() []authz.Role { return authz.Roles },
		"str":         func(v any) string { return fmt.Sprint(v) },
		"bar":         barWidth,
		"itoa":        func(v int64) string { return strconv.FormatInt(v, 10) },
		"dict2":       func(p *page, v any) map[string]any { return map[string]any{"P": p, "V": v} },
		// share is n as a whole percentage of total, for bar widths; a
		// withheld (or zero) cell draws nothing.
		"share": func(n, total int) int {
			if n <= 0 || total <= 0 {
				return 0
			}
			return min(n*100/total, 100)
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.In(localZone).Format("2006-01-02 15:04")
		},
		"tierName":    func(t int) string { return screening.Tier(t).String() },
		"levelName":   func(l int) string { return screening.Level(l).String() },
		"int64":       func(v int) int64 { return int64(v) },
		"gradeName64": func(g int64) string { return model.GradeName(int(g)) },
		"inc":         func(m map[int64]bool, id int64) bool { return m[id] },
		"list3":       func(a, b, c string) []string { return []string{a, b, c} },
	}
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	partials, err := templateFS.ReadFile("templates/_partials.html")
	if err != nil {
		return nil, err
	}
	t := &templates{sets: map[string]*template.Template{}}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := path.Base(e)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		body, err := templateFS.ReadFile(e)
		if err != nil {
			return nil, err
		}
		set, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("web: parse layout: %w", err)
		}
		if _, err := set.Parse(string(partials)); err != nil {
			return nil, fmt.Errorf("web: parse partials: %w", err)
		}
		if _, err := set.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		t.sets[name] = set
	}
	_ = cat
	return t, nil
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (t *templates) render(w io.Writer, name string, p *page) error {
	set, ok := t.sets[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// html renders a page with status 200.
func (s *Server) html(w http.ResponseWriter, c *reqCtx, name, titleKey string, crumbs []crumb, data map[string]any) error {
	p := &page{ctx: c, cat: s.cat, s: s, Title: s.cat.T(c.locale, titleKey), Crumbs: crumbs, Data: data}
	var buf bytes.Buffer
	if err := s.tpl.render(&buf, name, p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}

func pct(n, of int) string {
	if of <= 0 || report.Suppressed(n) || report.Suppressed(of) {
		return "–"
	}
	return strconv.FormatFloat(float64(n)*100/float64(of), 'f', 1, 64) + "%"
}

// barWidth scales n against max into a CSS width percentage for the
// server-drawn bar charts (no script needed).
func barWidth(n, max int) int {
	if max <= 0 || n <= 0 {
		return 0
	}
	w := n * 100 / max
	if w < 1 {
		w = 1
	}
	return w
}

// Static files are served under /static/<hash>/<name> so browsers may cache
// them forever and a new release is fetched at once.
var staticHashes = map[string]string{}

func init() {
	entries, _ := fs.ReadDir(staticFS, "static")
	for _, e := range entries {
		b, _ := staticFS.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		staticHashes[e.Name()] = hex.EncodeToString(sum[:6])
	}
}

func staticURL(name string) string { return "/static/" + staticHashes[name] + "/" + name }

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Strip the hash segment: /<hash>/<name> → /<name>. A hash that is
		// not the file's is a 404, or an old server could pin stale files
		// under a new release's URL for a year.
		hash, name, ok := strings.Cut(r.URL.Path, "/")
		if !ok || strings.Contains(name, "/") || staticHashes[name] == "" || hash != staticHashes[name] {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}

// Field names a form field for an error list: "guardians[1].phone" reads
// "监护人电话 #2".
func (p *page) Field(k string) string {
	base, idx := k, ""
	if i := strings.Index(k, "["); i >= 0 {
		if j := strings.Index(k, "]"); j > i {
			n, _ := strconv.Atoi(k[i+1 : j])
			idx = " #" + strconv.Itoa(n+1)
			base = strings.TrimSuffix(k[:i], "s")
			if rest := strings.TrimPrefix(k[j+1:], "."); rest != "" {
				if base == "post" {
					base = rest
				} else {
					base += "_" + rest
				}
			}
		}
	}
	return p.T("field."+base) + idx
}
