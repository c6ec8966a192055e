// Package seed loads the synthetic demo city into a store and creates one
// demo account per role. The command line, the tests, the browser tests and
// the benchmarks all start from it, so they exercise the same city.
package seed

import (
	"context"
	"fmt"
	"io"
	"time"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/demo"
	"huhang/internal/model"
	"huhang/internal/store"
)

// DemoPassword is the password of every demo account (the README lists them).
const DemoPassword = "Panzhihua-Demo-2026"

// Account is one demo account.
type Account struct {
	Username, Name string
	Role           authz.Role
}

// Accounts are the demo accounts, one per role.
var Accounts = []Account{
	{"sysadmin", "演示·系统管理员", authz.SysAdmin},
	{"auditor", "演示·审计员", authz.Auditor},
	{"city", "演示·市教体局", authz.CityOfficial},
	{"district", "演示·东区教育局", authz.DistrictOfficial},
	{"principal", "演示·校长", authz.Principal},
	{"schooladmin", "演示·学校数据管理员", authz.SchoolAdmin},
	{"psych", "演示·心理教师", authz.PsychTeacher},
	{"classteacher", "演示·班主任", authz.ClassTeacher},
	{"teacher", "演示·学科教师", authz.Teacher},
	{"agency", "演示·12355", authz.AgencyUser},
}

// Options choose the city.
type Options struct {
	Seed  uint64
	Scale float64
	// Progress, when set, receives a line every 20,000 students.
	Progress io.Writer
	// PasswordParams hashes the demo passwords (tests pass cheap ones).
	PasswordParams *auth.Params
	// SkipScreening leaves out the screening history (benchmarks that
	// bring their own campaigns); the training and home–school histories
	// are loaded either way.
	SkipScreening bool
}

// Load generates the city into an empty store and creates the demo
// accounts, then the screening, training and home–school histories. The
// accounts' targets: the first district, its first primary school, that
// school's top two classes and the first agency.
func Load(ctx context.Context, st *store.Store, o Options) (demo.Summary, error) {
	// The demo city lives in the current school year, so rosters, imports
	// and the calendar agree whenever it is loaded.
	year := model.SchoolYearOf(time.Now())
	loader, err := st.NewBulkLoader(ctx, year)
	if err != nil {
		return demo.Summary{}, err
	}
	city := newCityCapture(&progressSink{BulkLoader: loader, out: o.Progress})
	sum, err := demo.Generate(demo.Config{Seed: o.Seed, Scale: o.Scale, StartYear: year}, city)
	if err != nil {
		loader.Abort()
		return sum, fmt.Errorf("demo: %w", err)
	}
	if err := loader.Finish(store.SystemActor, fmt.Sprintf("seed=%d scale=%g", o.Seed, o.Scale)); err != nil {
		return sum, err
	}
	params := auth.DefaultParams
	if o.PasswordParams != nil {
		params = *o.PasswordParams
	}
	if err := createAccounts(ctx, st, params); err != nil {
		return sum, err
	}
	t, err := FindTargets(ctx, st)
	if err != nil {
		return sum, err
	}
	if !o.SkipScreening {
		if err := loadScreening(ctx, st, o.Seed, t); err != nil {
			return sum, fmt.Errorf("demo screening: %w", err)
		}
	}
	if err := loadTraining(ctx, st, o.Seed, t); err != nil {
		return sum, fmt.Errorf("demo training: %w", err)
	}
	// After the training history, so the class teams' posts leave the
	// training draw and its demo staff as they were.
	if err := loadHomeSchool(ctx, st, o.Seed, t, city); err != nil {
		return sum, fmt.Errorf("demo home-school: %w", err)
	}
	return sum, nil
}

type progressSink struct {
	*store.BulkLoader
	out io.Writer
	n   int
}

func (p *progressSink) Student(s model.Student) error {
	p.n++
	if p.out != nil && p.n%20000 == 0 {
		fmt.Fprintf(p.out, "  … %d students\n", p.n)
	}
	return p.BulkLoader.Student(s)
}

// Targets are the nodes the demo accounts are bound to.
type Targets struct {
	District, School, Class, TeamClass, Agency int64
}

// FindTargets returns the demo accounts' nodes.
func FindTargets(ctx context.Context, st *store.Store) (Targets, error) {
	var t Targets
	var err error
	t.District, t.School, t.Class, t.TeamClass, t.Agency, err = st.DemoTargets(ctx)
	return t, err
}

func createAccounts(ctx context.Context, st *store.Store, params auth.Params) error {
	t, err := FindTargets(ctx, st)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(DemoPassword, params)
	if err != nil {
		return err
	}
	for _, a := range Accounts {
		var node int64
		switch a.Role {
		case authz.DistrictOfficial:
			node = t.District
		case authz.Principal, authz.SchoolAdmin, authz.PsychTeacher:
			node = t.School
		case authz.ClassTeacher:
			node = t.Class
		case authz.Teacher:
			node = t.TeamClass
		case authz.AgencyUser:
			node = t.Agency
		}
		asg := authz.At(a.Role, node)
		if _, err := st.CreateUser(ctx, store.SystemActor, store.NewUser{Username: a.Username, DisplayName: a.Name,
			PasswordHash: hash, Assignments: []authz.Assignment{asg}}); err != nil {
			return fmt.Errorf("demo account %s: %w", a.Username, err)
		}
	}
	return nil
}
