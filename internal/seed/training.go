package seed

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"huhang/internal/model"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// The demo city's training history (issue 5), from the start of the
// 2021–2025 plan to today: the courses the training plan fixes, their
// sessions run by the city and the districts, attendance with the hours
// credited, A/B/C certificates and the principals' training, the demo
// accounts linked to their staff records, and a monthly snapshot of every
// target so that the dashboards have trends.
//
// The districts differ so that the dashboards tell a story: 东区 and 西区
// are ahead (东区 got every class teacher a C certificate by the deadline),
// 仁和区 is in the middle, 米易县 and 盐边县 are behind; a few schools
// (at least one in the demo district) lag clearly; the current school year
// is partly done, the leading districts further on. Everything is drawn
// from the seed and today's date; the staff are the generated ones, as they
// are now (nobody moved school in the history).

// trainingStream is the PCG stream of the training history ("training").
const trainingStream = 0x747261696e696e67

// planStart is when the 2021–2025 plan's history begins.
var planStart = time.Date(2021, time.September, 1, 0, 0, 0, 0, time.UTC)

// Deadlines of the plan's one-off targets (programme.Plan2021).
var (
	deadlineB    = time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)
	deadlineRest = time.Date(2025, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// pace is how far a district gets: the share of class teachers holding a C
// certificate by the deadline, of class teachers holding a B certificate by
// its deadline, of principals trained by the deadline, of subject teachers
// reaching 8 hours in a past school year; and lead, how early in the plan
// and in the school year its staff train (above 1 early, below 1 late).
type pace struct {
	c, b, principal, hours, lead float64
}

var districtPaces = map[string]pace{
	"510402": {c: 1.00, b: 0.74, principal: 1.00, hours: 0.975, lead: 2.2}, // 东区
	"510403": {c: 0.97, b: 0.67, principal: 1.00, hours: 0.96, lead: 1.7},  // 西区
	"510411": {c: 0.90, b: 0.57, principal: 0.95, hours: 0.92, lead: 1.1},  // 仁和区
	"510421": {c: 0.78, b: 0.46, principal: 0.86, hours: 0.85, lead: 0.75}, // 米易县
	"510422": {c: 0.74, b: 0.41, principal: 0.82, hours: 0.82, lead: 0.65}, // 盐边县
}

var defaultPace = pace{c: 0.85, b: 0.55, principal: 0.9, hours: 0.9, lead: 1}

// Courses: the four of the training plan, then the general topics for
// subject teachers.
const (
	courseC = iota
	courseB
	courseA
	coursePrincipal
	firstGeneral
)

var trainingCourses = []store.Course{
	courseC: {Title: "学校心理辅导员C证培训", Level: "C", Topic: "心理健康教育基础、学生心理发展特点、常见心理问题的识别与转介",
		Hours: 24, Mode: "online", Assessment: "线上课程全部完成，结业测试60分及以上"},
	courseB: {Title: "学校心理辅导员B证培训", Level: "B", Topic: "心理辅导理论与技术、团体心理辅导、心理危机识别与干预",
		Hours: 60, Mode: "mixed", Assessment: "线上学习与集中面授，闭卷考试及团体辅导方案考核合格"},
	courseA: {Title: "学校心理辅导员A证培训", Level: "A", Topic: "个别心理辅导、心理评估、个案督导与危机干预实务",
		Hours: 120, Mode: "offline", Assessment: "集中研修，完成不少于20学时个案实践，督导答辩合格"},
	coursePrincipal: {Title: "中小学校长心理健康教育专项培训", Level: "principal", Topic: "学校心理健康教育体系建设、危机事件应对、家校社协同",
		Hours: 16, Mode: "offline", Assessment: "专题研讨，提交本校心理健康教育工作方案"},
	{Title: "中小学生常见心理问题的识别与应对", Level: "general", Topic: "心理问题识别", Hours: 3, Mode: "online", Assessment: "在线测试"},
	{Title: "学科教学中的心理健康教育渗透", Level: "general", Topic: "学科渗透", Hours: 4, Mode: "online", Assessment: "提交教学设计一份"},
	{Title: "教师情绪管理与心理调适", Level: "general", Topic: "教师心理健康", Hours: 3, Mode: "online", Assessment: "在线测试"},
	{Title: "校园欺凌的预防与处置", Level: "general", Topic: "欺凌防治", Hours: 3, Mode: "online", Assessment: "在线测试"},
	{Title: "学生心理危机的识别与干预", Level: "general", Topic: "危机干预", Hours: 6, Mode: "offline", Assessment: "现场签到与案例研讨"},
	{Title: "青春期学生心理发展与辅导", Level: "general", Topic: "青春期心理", Hours: 5, Mode: "offline", Assessment: "现场签到与课后作业"},
	{Title: "家校沟通与家庭教育指导", Level: "general", Topic: "家校协同", Hours: 4, Mode: "offline", Assessment: "现场签到与案例研讨"},
	{Title: "积极心理学在班级管理中的应用", Level: "general", Topic: "积极心理", Hours: 4, Mode: "offline", Assessment: "现场签到与课例反思"},
}

// Issuers and places (synthetic, institutional; no person).
const (
	issuerCity       = "攀枝花市教育和体育局"
	issuerProvince   = "四川省教育厅"
	onlinePlatform   = "攀枝花市中小学教师研修网（线上）"
	cityCentre       = "攀枝花市教师发展中心"
	cityResearch     = "攀枝花市教育科学研究所"
	cityMentalCentre = "攀枝花市中小学心理健康教育指导中心"
)

// demoStaff are the demo school's staff records the accounts are linked to.
type demoStaff struct {
	teacher, classTeacher, psych, principal int64
}

// trainingInput is what the history is generated from.
type trainingInput struct {
	seed      uint64
	today     time.Time // civil date, UTC
	staff     []programme.Person
	schools   []programme.School
	districts map[int64]model.District
	school    int64 // the demo school
	district  int64 // the demo district
	demo      demoStaff
}

// trainingGen is one generation run.
type trainingGen struct {
	in  trainingInput
	r   *rand.Rand
	cur int // the current school year
	h   store.TrainingHistory

	sessionYear []int // per session: the school year it ended in
	trainers    []string
	lagging     map[int64]bool
	certs       []certIntent
}

type certIntent struct {
	staff  int // index into in.staff
	kind   string
	issued time.Time
	status string
}

// round is one scheduled run of a course: its session (-1 when it has not
// ended by today, so it is not in the history) and when its certificate
// is issued.
type round struct {
	sess       int
	start, end time.Time
	issue      time.Time
}

func loadTraining(ctx context.Context, st *store.Store, seed uint64, t Targets) error {
	began := time.Now()
	if _, err := st.EnsureTargets(ctx, append(programme.Plan2021(), programme.HomeSchoolQuotas()...)); err != nil {
		return err
	}
	for _, nt := range nextPlan() {
		if err := st.SaveTarget(ctx, store.SystemActor, nt); err != nil {
			return fmt.Errorf("seed: next plan: %w", err)
		}
	}
	targets, err := st.Targets(ctx)
	if err != nil {
		return err
	}
	facts, err := st.ProgrammeFacts(ctx) // the skeleton: staff, posts, schools, calendar
	if err != nil {
		return err
	}
	ds, err := st.ListDistricts(ctx, cityAll)
	if err != nil {
		return err
	}
	in := trainingInput{seed: seed, today: civilDay(time.Now()), staff: facts.Staff, schools: facts.Schools,
		districts: map[int64]model.District{}, school: t.School, district: t.District}
	for _, d := range ds {
		in.districts[d.ID] = d.District
	}
	if in.demo, err = findDemoStaff(ctx, st, t); err != nil {
		return err
	}
	h, certs := generateTraining(in)
	traceTraining(began, fmt.Sprintf("generated (%d sessions, %d attendance, %d certificates)", len(h.Sessions), len(h.Attendance), len(h.Certificates)))
	if err := st.LoadTrainingHistory(ctx, h); err != nil {
		return err
	}
	traceTraining(began, "loaded")
	if err := linkDemoAccounts(ctx, st, in.demo); err != nil {
		return err
	}
	if err := saveTrainingSnapshots(ctx, st, targets, facts, in, h, certs); err != nil {
		return err
	}
	traceTraining(began, "snapshots")
	return nil
}

func traceTraining(began time.Time, what string) {
	if os.Getenv("HUHANG_TRACE_SEED") != "" {
		fmt.Fprintf(os.Stderr, "seed: training %s after %.1fs\n", what, time.Since(began).Seconds())
	}
}

// civilDay is t's calendar date at midnight UTC.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// findDemoStaff picks the demo school's staff for the accounts: a subject
// teacher with no other post (else the class teacher of the team class),
// the class teacher of the demo class, a psychology teacher, the principal.
func findDemoStaff(ctx context.Context, st *store.Store, t Targets) (demoStaff, error) {
	var d demoStaff
	var all []model.Staff
	for offset := 0; ; offset += 500 {
		page, _, err := st.ListStaff(ctx, cityAll, store.StaffFilter{SchoolID: t.School, Limit: 500, Offset: offset})
		if err != nil {
			return d, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
	}
	var teamTeacher int64
	for _, s := range all {
		for _, p := range s.Posts {
			switch {
			case p.Post == model.PostPrincipal && d.principal == 0:
				d.principal = s.ID
			case (p.Post == model.PostPsychFullTime || p.Post == model.PostPsychPartTime) && d.psych == 0:
				d.psych = s.ID
			case p.Post == model.PostClassTeacher && p.ClassID == t.Class:
				d.classTeacher = s.ID
			case p.Post == model.PostClassTeacher && p.ClassID == t.TeamClass:
				teamTeacher = s.ID
			}
		}
		if d.teacher == 0 && len(s.Posts) == 1 && s.Posts[0].Post == model.PostSubjectTeacher {
			d.teacher = s.ID
		}
	}
	if d.teacher == 0 {
		d.teacher = teamTeacher
	}
	return d, nil
}

func linkDemoAccounts(ctx context.Context, st *store.Store, d demoStaff) error {
	for _, l := range []struct {
		user  string
		staff int64
	}{{"teacher", d.teacher}, {"classteacher", d.classTeacher}, {"psych", d.psych}, {"principal", d.principal}} {
		if l.staff == 0 {
			continue
		}
		u, err := st.UserByUsername(ctx, l.user)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", l.user, err)
		}
		if err := st.LinkUserStaff(ctx, store.SystemActor, u.ID, l.staff); err != nil {
			return fmt.Errorf("demo account %s: %w", l.user, err)
		}
	}
	return nil
}

// generateTraining draws the history; the same input gives the same
// history. It also returns the certificates as intents (index into
// in.staff) for the snapshots.
func generateTraining(in trainingInput) (store.TrainingHistory, []certIntent) {
	g := &trainingGen{in: in, r: rand.New(rand.NewPCG(in.seed, trainingStream)), cur: model.SchoolYearOf(in.today)}
	g.h.Courses = slices.Clone(trainingCourses)
	g.makeTrainers()
	g.pickLagging()
	cR, bR, aR, pR := g.certRounds()
	general := g.generalRuns()
	psychFT := g.certificates(cR, bR, aR, pR)
	g.aCertificates(psychFT, aR)
	g.generalAttendance(general)
	g.demoTeacher()
	g.submitted()
	g.numberCertificates()
	g.dropEmptySessions()
	return g.h, g.certs
}

// dropEmptySessions leaves out the sessions nobody attended (in a small
// city, most district sessions of a course).
func (g *trainingGen) dropEmptySessions() {
	used := make([]bool, len(g.h.Sessions))
	for _, a := range g.h.Attendance {
		used[a.Session] = true
	}
	index := make([]int, len(g.h.Sessions))
	kept := g.h.Sessions[:0]
	for i, x := range g.h.Sessions {
		index[i] = len(kept)
		if used[i] {
			kept = append(kept, x)
		}
	}
	g.h.Sessions = kept
	for i := range g.h.Attendance {
		g.h.Attendance[i].Session = index[g.h.Attendance[i].Session]
	}
	g.sessionYear = nil // indexed by the old sessions
}

// makeTrainers draws a pool of synthetic trainers: a surname, a given name
// and a title.
func (g *trainingGen) makeTrainers() {
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡何郭罗高林郑谢唐宋邓韩冯曾彭肖")
	given := []rune("晓文明华丽静敏建玉春红海平燕志伟芳霞婷磊涛颖雪梅军琳")
	titles := []string{"教授", "副教授", "高级教师", "心理咨询师", "正高级教师", "讲师"}
	for range 36 {
		name := string(surnames[g.r.IntN(len(surnames))]) + string(given[g.r.IntN(len(given))])
		if g.r.Float64() < 0.6 {
			name += string(given[g.r.IntN(len(given))])
		}
		g.trainers = append(g.trainers, name+"（"+titles[g.r.IntN(len(titles))]+"）")
	}
}

func (g *trainingGen) trainer() string { return g.trainers[g.r.IntN(len(g.trainers))] }

// pickLagging chooses the clearly lagging schools: about one in twelve
// outside the kindergartens, at least one in the demo district (never the
// demo school itself).
func (g *trainingGen) pickLagging() {
	g.lagging = map[int64]bool{}
	var demoDistrict []int64
	for _, s := range g.in.schools {
		if s.Type == model.Kindergarten {
			continue
		}
		if g.r.Float64() < 0.08 && s.ID != g.in.school {
			g.lagging[s.ID] = true
		}
		if s.DistrictID == g.in.district && s.ID != g.in.school {
			demoDistrict = append(demoDistrict, s.ID)
		}
	}
	found := false
	for _, id := range demoDistrict {
		found = found || g.lagging[id]
	}
	if !found && len(demoDistrict) > 0 {
		g.lagging[demoDistrict[len(demoDistrict)-1]] = true
	}
}

func (g *trainingGen) paceOf(p *programme.Person) pace {
	pc, ok := districtPaces[g.in.districts[p.DistrictID].Code]
	if !ok {
		pc = defaultPace
	}
	return pc
}

// addSession appends a session if it has ended before today and returns its
// index, or -1.
func (g *trainingGen) addSession(course int, district int64, start, end time.Time, place, provider string) int {
	if !end.Before(g.in.today) {
		return -1
	}
	g.h.Sessions = append(g.h.Sessions, store.TrainingSession{CourseID: int64(course), DistrictID: district,
		StartsOn: start.Format(time.DateOnly), EndsOn: end.Format(time.DateOnly), Place: place, Provider: provider, Trainer: g.trainer()})
	g.sessionYear = append(g.sessionYear, model.SchoolYearOf(end))
	return len(g.h.Sessions) - 1
}

// certRounds schedules the certificate courses, all run by the city: C
// online four times a school year, B (mixed, with an exam) twice a year
// from March 2022, A once a year from autumn 2022 (with a practicum), the principals' training in
// November and July. Only rounds whose certificate is issued before today
// are returned.
func (g *trainingGen) certRounds() (c, b, a, p []round) {
	add := func(out *[]round, course int, start time.Time, days, issueAfter int, place, provider string) {
		end := start.AddDate(0, 0, days-1)
		issue := end.AddDate(0, 0, issueAfter)
		if !issue.Before(g.in.today) {
			return
		}
		s := g.addSession(course, 0, start, end, place, provider)
		*out = append(*out, round{sess: s, start: start, end: end, issue: issue})
	}
	for y := 2021; y <= g.cur; y++ {
		for _, st := range []time.Time{date(y, time.October, 8), date(y, time.November, 18), date(y+1, time.March, 15), date(y+1, time.May, 10)} {
			add(&c, courseC, st, 28, 10, onlinePlatform, cityResearch)
		}
		// B and A follow the 2022 training plan.
		if y >= 2022 {
			add(&b, courseB, date(y, time.September, 20), 56, 20, cityCentre+"（面授）及线上研修", cityMentalCentre)
		}
		add(&b, courseB, date(y+1, time.March, 1), 56, 20, cityCentre+"（面授）及线上研修", cityMentalCentre)
		if y >= 2022 {
			add(&a, courseA, date(y, time.September, 1), 100, 14, cityMentalCentre+"实训基地", issuerProvince+"（委托"+cityMentalCentre+"）")
		}
		add(&p, coursePrincipal, date(y, time.November, 15), 2, 7, cityCentre, issuerCity)
		add(&p, coursePrincipal, date(y+1, time.July, 8), 2, 7, cityCentre, issuerCity)
	}
	return c, b, a, p
}

// pick chooses one of rs: lead above 1 favours the early ones, below 1
// the late ones.
func (g *trainingGen) pick(rs []round, lead float64) (round, bool) {
	if len(rs) == 0 {
		return round{}, false
	}
	i := int(math.Pow(g.r.Float64(), lead) * float64(len(rs)))
	return rs[min(i, len(rs)-1)], true
}

func issuedBy(rs []round, deadline time.Time) (before, after []round) {
	for _, r := range rs {
		if r.issue.After(deadline) {
			after = append(after, r)
		} else {
			before = append(before, r)
		}
	}
	return before, after
}

func startsBefore(rs []round, t time.Time) []round {
	var out []round
	for _, r := range rs {
		if r.issue.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// attend records one attendance of a round's session.
func (g *trainingGen) attend(sess, staff int, passed bool) {
	if sess < 0 {
		return
	}
	p := &g.in.staff[staff]
	hours := 0.0
	if passed {
		hours = trainingCourses[g.h.Sessions[sess].CourseID].Hours
	}
	g.h.Attendance = append(g.h.Attendance, store.AttendanceRecord{Session: sess, StaffID: p.ID, SchoolID: p.SchoolID,
		DistrictID: p.DistrictID, Passed: passed, Hours: hours})
}

func (g *trainingGen) cert(staff int, kind string, issued time.Time) {
	g.certs = append(g.certs, certIntent{staff: staff, kind: kind, issued: issued})
}

// certify gives staff a certificate from round r, after a failed attempt
// at an earlier round now and then (the exam courses).
func (g *trainingGen) certify(staff int, kind string, r round, all []round, failRate float64) {
	if failRate > 0 && g.r.Float64() < failRate {
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].end.Before(r.start) {
				g.attend(all[i].sess, staff, false)
				break
			}
		}
	}
	g.attend(r.sess, staff, true)
	g.cert(staff, kind, r.issue)
}

// prePlan is a C certificate issued before the plan (no attendance in the
// history).
func (g *trainingGen) prePlan() time.Time {
	return date(2018, time.March, 1).AddDate(0, 0, g.r.IntN(1200))
}

// cBefore gives staff a C certificate issued before t: before the plan
// with probability pre (or when no round fits), else from a round.
func (g *trainingGen) cBefore(staff int, cR []round, t time.Time, pre float64) {
	rs := startsBefore(cR, t)
	if len(rs) == 0 || g.r.Float64() < pre {
		g.cert(staff, "C", g.prePlan())
		return
	}
	r, _ := g.pick(rs, 0.6) // mostly shortly before
	g.certify(staff, "C", r, cR, 0.03)
}

// certificates draws everyone's A/B/C path and the principals' training,
// and returns the full-time psychology teachers holding B (A candidates).
func (g *trainingGen) certificates(cR, bR, aR, pR []round) []int {
	cBy, cAfter := issuedBy(cR, deadlineRest)
	bBy, bAfter := issuedBy(bR, deadlineB)
	pBy, pAfter := issuedBy(pR, deadlineRest)
	var psychB []int
	for i := range g.in.staff {
		p := &g.in.staff[i]
		if p.ID == g.in.demo.teacher {
			continue // the teacher's own record is set by demoTeacher
		}
		pc := g.paceOf(p)
		lag := g.lagging[p.SchoolID]
		lead := math.Sqrt(pc.lead) // over the plan's years, less marked than within a year
		if lag {
			lead *= 0.5
		}
		kg := p.SchoolType == model.Kindergarten
		has := func(post model.Post) bool { return slices.Contains(p.Posts, post) }
		key := has(model.PostPsychFullTime) || has(model.PostPsychPartTime) || has(model.PostMoralCadre) ||
			has(model.PostLeagueCadre) || has(model.PostCounsellor)
		switch {
		case kg:
			if has(model.PostClassTeacher) && g.r.Float64() < 0.15 {
				if r, ok := g.pick(cR, 1); ok {
					g.certify(i, "C", r, cR, 0)
				}
			}
		case has(model.PostClassTeacher):
			g.classTeacher(i, pc, lag, lead, cR, cBy, cAfter, bBy, bAfter)
		case key:
			base := 0.7
			switch {
			case has(model.PostPsychFullTime):
				base = 0.92
			case has(model.PostPsychPartTime):
				base = 0.55
			}
			pb := min(0.97, base*pc.b/0.6)
			if lag {
				pb *= 0.5
			}
			if r, ok := g.pick(bBy, lead); ok && g.r.Float64() < pb {
				g.cBefore(i, cR, r.start, 0.2)
				g.certify(i, "B", r, bR, 0.1)
				if has(model.PostPsychFullTime) {
					psychB = append(psychB, i)
				}
			} else if g.r.Float64() < 0.6 {
				if r, ok := g.pick(cBy, lead); ok {
					g.certify(i, "C", r, cR, 0.03)
				}
			}
		case has(model.PostSubjectTeacher):
			if g.r.Float64() < 0.06 {
				if r, ok := g.pick(cR, 1); ok {
					g.certify(i, "C", r, cR, 0.03)
				}
			}
		}
		if has(model.PostPrincipal) {
			pp := pc.principal
			if kg {
				pp = 0.5
			} else if lag && pp < 1 {
				pp -= 0.2
			}
			switch {
			case g.r.Float64() < pp:
				if r, ok := g.pick(pBy, lead); ok {
					g.certify(i, "principal_training", r, pR, 0)
				}
			case g.r.Float64() < 0.5:
				if r, ok := g.pick(pAfter, 1); ok {
					g.certify(i, "principal_training", r, pR, 0)
				}
			}
			if !kg && g.r.Float64() < 0.3 {
				g.cBefore(i, cR, deadlineRest, 0.3)
			}
		}
	}
	return psychB
}

// classTeacher draws a class teacher's C and B certificates: C by the
// deadline with the district's share (every one in a district at 100 %, the
// lagging schools in the last rounds), B by its deadline for the district's
// share of them, always after a C; a few more after the deadlines.
func (g *trainingGen) classTeacher(i int, pc pace, lag bool, lead float64, cR, cBy, cAfter, bBy, bAfter []round) {
	shareC := pc.c
	if lag && shareC < 1 {
		shareC *= 0.75
	}
	shareB := pc.b
	if lag {
		shareB *= 0.45
	}
	if g.r.Float64() >= shareC {
		if g.r.Float64() < 0.35 {
			if r, ok := g.pick(cAfter, 1); ok {
				g.certify(i, "C", r, cR, 0.03)
			}
		}
		return
	}
	if g.r.Float64() < shareB/shareC {
		r, ok := g.pick(bBy, lead)
		if ok {
			g.cBefore(i, cR, r.start, 0.12)
			g.certify(i, "B", r, bBy, 0.1)
			return
		}
	}
	if g.r.Float64() < 0.12 {
		g.cert(i, "C", g.prePlan())
	} else if r, ok := g.pick(cBy, lead); ok {
		g.certify(i, "C", r, cR, 0.03)
		if g.r.Float64() < 0.12 { // B after its deadline
			if rb, ok := g.pick(startsAfter(bAfter, r.issue), 1); ok {
				g.certify(i, "B", rb, bAfter, 0.1)
			}
		}
	}
}

func startsAfter(rs []round, t time.Time) []round {
	var out []round
	for _, r := range rs {
		if r.start.After(t) {
			out = append(out, r)
		}
	}
	return out
}

// aCertificates certifies about three in ten full-time psychology teachers
// at level A, those of the leading districts first: a cohort a year, after
// their B, some needing a second cohort; the city's 20 is missed.
func (g *trainingGen) aCertificates(psychB []int, aR []round) {
	aBy, _ := issuedBy(aR, deadlineRest)
	n := 0
	for i := range g.in.staff {
		p := &g.in.staff[i]
		if p.SchoolType != model.Kindergarten && slices.Contains(p.Posts, model.PostPsychFullTime) {
			n++
		}
	}
	want := int(math.Round(0.3 * float64(n)))
	type cand struct {
		staff int
		score float64
	}
	var cands []cand
	for _, i := range psychB {
		lead := g.paceOf(&g.in.staff[i]).lead
		if g.lagging[g.in.staff[i].SchoolID] {
			lead *= 0.5
		}
		cands = append(cands, cand{i, lead * g.r.Float64()})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	got := 0
	for _, c := range cands {
		if got >= want {
			break
		}
		var bIssued time.Time
		for _, ci := range g.certs {
			if ci.staff == c.staff && ci.kind == "B" {
				bIssued = ci.issued
			}
		}
		rs := startsAfter(aBy, bIssued)
		if len(rs) == 0 {
			continue
		}
		k := g.r.IntN(len(rs))
		if g.r.Float64() < 0.15 && k+1 < len(rs) { // failed the practicum once
			g.attend(rs[k].sess, c.staff, false)
			k++
		}
		g.attend(rs[k].sess, c.staff, true)
		g.cert(c.staff, "A", rs[k].issue)
		got++
	}
}

// run is one scheduled general session; sess is -1 if it has not ended.
type run struct {
	sess int
	end  time.Time
}

// generalRuns schedules the general topics: each school year six of the
// eight are offered; online ones by the city four times a year, offline
// ones by every district four times a year. runs[year][course][organiser]
// (organiser 0: the city, else the district ID).
func (g *trainingGen) generalRuns() map[int]map[int]map[int64][]run {
	out := map[int]map[int]map[int64][]run{}
	dids := make([]int64, 0, len(g.in.districts))
	for id := range g.in.districts {
		dids = append(dids, id)
	}
	slices.Sort(dids)
	for y := 2021; y <= g.cur; y++ {
		out[y] = map[int]map[int64][]run{}
		for c := firstGeneral; c < len(trainingCourses); c++ {
			if !offered(c, y) {
				continue
			}
			out[y][c] = map[int64][]run{}
			if trainingCourses[c].Mode == "online" {
				for _, st := range []time.Time{date(y, time.September, 14), date(y, time.November, 2), date(y+1, time.March, 9), date(y+1, time.May, 11)} {
					end := st.AddDate(0, 0, 20)
					provider := cityResearch
					if c%2 == 1 {
						provider = cityMentalCentre
					}
					out[y][c][0] = append(out[y][c][0], run{g.addSession(c, 0, st, end, onlinePlatform, provider), end})
				}
				continue
			}
			for _, id := range dids {
				name := g.in.districts[id].Name
				for k, st := range []time.Time{date(y, time.October, 17), date(y, time.November, 21), date(y+1, time.April, 17), date(y+1, time.June, 5)} {
					st = st.AddDate(0, 0, c%3)
					place := name + "教师进修学校报告厅"
					if k%2 == 1 {
						place = name + "教育局会议中心"
					}
					out[y][c][id] = append(out[y][c][id], run{g.addSession(c, id, st, st, place, name+"教师进修学校"), st})
				}
			}
		}
	}
	return out
}

// offered reports whether a general course runs in a school year (six of
// eight, rotating).
func offered(course, year int) bool { return (course+year)%4 != 0 }

// generalAttendance gives every member of staff their general sessions per
// school year: in a past year most subject teachers reach 8 hours (the
// leading districts nearly all, the lagging schools far fewer); in the
// current year they are part-way, the leading districts further on.
func (g *trainingGen) generalAttendance(runs map[int]map[int]map[int64][]run) {
	var courses []int
	for i := range g.in.staff {
		p := &g.in.staff[i]
		pc := g.paceOf(p)
		lag := g.lagging[p.SchoolID]
		lead := pc.lead
		share := pc.hours
		if lag {
			lead *= 0.5
			share -= 0.35
		}
		if p.SchoolType == model.Kindergarten {
			share, lead = 0.6, 1
		}
		for y := 2021; y <= g.cur; y++ {
			s := share - []float64{0.12, 0.06, 0.02, 0, 0.01, 0}[min(y-2021, 5)]
			if y == 2025 {
				s += 0.01
			}
			// The teacher account's own record met the target in past years.
			comply := g.r.Float64() < s || p.ID == g.in.demo.teacher
			courses = courses[:0]
			for c := range runs[y] {
				courses = append(courses, c)
			}
			slices.Sort(courses)
			g.r.Shuffle(len(courses), func(a, b int) { courses[a], courses[b] = courses[b], courses[a] })
			stop := 0 // non-compliant: how many sessions at most
			if !comply {
				stop = []int{0, 1, 1, 2}[g.r.IntN(4)]
			}
			// planned counts the hours of sessions passed or still to
			// come (this year), so a session not yet held is not replaced.
			planned, n := 0.0, 0
			extra := g.r.Float64() < 0.12
			for _, c := range courses {
				h := trainingCourses[c].Hours
				if comply {
					if planned >= 8 && !extra {
						break
					}
					if planned >= 8 {
						extra = false
					}
				} else if n >= stop || planned+h >= 8 {
					continue
				}
				org := int64(0)
				if trainingCourses[c].Mode != "online" {
					org = p.DistrictID
				}
				rs := runs[y][c][org]
				if len(rs) == 0 {
					continue
				}
				k := min(int(math.Pow(g.r.Float64(), lead)*float64(len(rs))), len(rs)-1)
				n++
				if rs[k].sess < 0 {
					planned += h // not yet held
					continue
				}
				passed := g.r.Float64() < 0.97
				g.attend(rs[k].sess, i, passed)
				if passed {
					planned += h
				}
			}
		}
	}
}

// demoTeacher keeps the teacher account's record short of 8 hours this
// school year: one 3-hour online session, and nothing else this year.
func (g *trainingGen) demoTeacher() {
	id := g.in.demo.teacher
	if id == 0 {
		return
	}
	idx := -1
	for i := range g.in.staff {
		if g.in.staff[i].ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	g.h.Attendance = slices.DeleteFunc(g.h.Attendance, func(a store.AttendanceRecord) bool {
		return a.StaffID == id && g.sessionYear[a.Session] == g.cur
	})
	for s, x := range g.h.Sessions {
		c := trainingCourses[x.CourseID]
		if g.sessionYear[s] == g.cur && c.Level == "general" && c.Hours == 3 && c.Mode == "online" {
			g.attend(s, idx, true)
			return
		}
	}
}

// submitted adds certificates awaiting the demo school's confirmation: B
// for two class teachers without one, C for a subject teacher without one.
func (g *trainingGen) submitted() {
	held := map[[2]int]bool{}
	for _, c := range g.certs {
		held[[2]int{c.staff, kindRank(c.kind)}] = true
	}
	var b, c []int
	for i := range g.in.staff {
		p := &g.in.staff[i]
		if p.SchoolID != g.in.school || p.ID == g.in.demo.teacher || p.ID == g.in.demo.classTeacher {
			continue
		}
		switch {
		case slices.Contains(p.Posts, model.PostClassTeacher) && !held[[2]int{i, 2}] && !held[[2]int{i, 3}]:
			b = append(b, i)
		case len(p.Posts) == 1 && p.Posts[0] == model.PostSubjectTeacher && !held[[2]int{i, 1}]:
			c = append(c, i)
		}
	}
	days := []int{12, 26, 41}
	k := 0
	add := func(staff int, kind string) {
		issued := g.in.today.AddDate(0, 0, -days[k%len(days)])
		k++
		g.certs = append(g.certs, certIntent{staff: staff, kind: kind, issued: issued, status: "submitted"})
	}
	for _, i := range b[:min(2, len(b))] {
		add(i, "B")
	}
	for _, i := range c[:min(1, len(c))] {
		add(i, "C")
	}
}

func kindRank(kind string) int {
	switch kind {
	case "C":
		return 1
	case "B":
		return 2
	case "A":
		return 3
	}
	return 4
}

// numberCertificates numbers the certificates per kind in order of issue
// ("C-2023-510402-00123") and puts them in the history.
func (g *trainingGen) numberCertificates() {
	slices.SortStableFunc(g.certs, func(a, b certIntent) int {
		return cmp.Or(cmp.Compare(kindRank(a.kind), kindRank(b.kind)), a.issued.Compare(b.issued),
			cmp.Compare(g.in.staff[a.staff].ID, g.in.staff[b.staff].ID))
	})
	seq := map[string]int{}
	for _, c := range g.certs {
		p := &g.in.staff[c.staff]
		seq[c.kind]++
		prefix, issuer := c.kind, issuerCity
		switch c.kind {
		case "principal_training":
			prefix = "XZ"
		case "A":
			issuer = issuerProvince
		}
		code := g.in.districts[p.DistrictID].Code
		if code == "" {
			code = "510400"
		}
		g.h.Certificates = append(g.h.Certificates, store.Certificate{StaffID: p.ID, Kind: c.kind,
			Number: fmt.Sprintf("%s-%d-%s-%05d", prefix, c.issued.Year(), code, seq[c.kind]),
			Issuer: issuer, IssuedOn: c.issued.Format(time.DateOnly), Status: c.status})
	}
}

// monthEnds are the last days of the months from September 2021 up to the
// last one ended before today.
func monthEnds(today time.Time) []time.Time {
	var out []time.Time
	for m := date(2021, time.October, 1); ; m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 0, -1)
		if !end.Before(today) {
			return out
		}
		out = append(out, end)
	}
}

// saveTrainingSnapshots judges every target at every month end as the
// generated history stood then (certificates confirmed by then, hours of
// that school year so far) and saves the rollups.
func saveTrainingSnapshots(ctx context.Context, st *store.Store, targets []programme.Target, facts programme.Facts,
	in trainingInput, h store.TrainingHistory, certs []certIntent) error {
	staff := facts.Staff // the skeleton, in the order of in.staff
	for _, c := range certs {
		if c.status != "" {
			continue // awaiting confirmation
		}
		p := &staff[c.staff]
		if c.kind == "principal_training" {
			if p.PrincipalTrained.IsZero() || c.issued.Before(p.PrincipalTrained) {
				p.PrincipalTrained = c.issued
			}
			continue
		}
		p.Certs = append(p.Certs, programme.Cert{Level: c.kind, Issued: c.issued})
	}
	idx := make(map[int64]int, len(staff))
	for i, p := range staff {
		idx[p.ID] = i
	}
	type credit struct {
		staff int
		end   time.Time
		year  int
		hours float64
	}
	var credits []credit
	for _, a := range h.Attendance {
		if !a.Passed || a.Hours == 0 {
			continue
		}
		end, _ := time.Parse(time.DateOnly, h.Sessions[a.Session].EndsOn)
		credits = append(credits, credit{idx[a.StaffID], end, model.SchoolYearOf(end), a.Hours})
	}
	slices.SortStableFunc(credits, func(a, b credit) int { return a.end.Compare(b.end) })
	cum := make([]float64, len(staff))
	maps := make([]map[int]float64, len(staff))
	for i := range staff {
		maps[i] = map[int]float64{}
		staff[i].Hours = maps[i]
	}
	year, j := -1, 0
	for _, me := range monthEnds(in.today) {
		y := model.SchoolYearOf(me)
		if y != year {
			clear(cum)
			year = y
		}
		for ; j < len(credits) && !credits[j].end.After(me); j++ {
			if credits[j].year == y {
				cum[credits[j].staff] += credits[j].hours
			}
		}
		for i := range staff {
			clear(maps[i])
			if cum[i] > 0 {
				maps[i][y] = cum[i]
			}
		}
		if err := st.SaveSnapshots(ctx, me, programme.EvaluateAll(targets, facts, me)); err != nil {
			return err
		}
	}
	return nil
}

// nextPlan is the demo's example of the next plan (2026–2030), added the
// way a bureau adds one in the UI: the same populations and conditions,
// higher goals, later deadlines. The 2021–2025 plan has ended by now, so
// only its successor can be on track or at risk.
func nextPlan() []programme.Target {
	goals := map[string]struct {
		percent  float64
		count    int
		deadline string
	}{
		"c-cert-class-teachers": {percent: 100, deadline: "2027-12-31"},
		"b-cert-key-posts":      {percent: 80, deadline: "2028-12-31"},
		"a-cert-psych-teachers": {count: 40, deadline: "2030-12-31"},
		"principal-training":    {percent: 100, deadline: "2026-12-31"},
	}
	var out []programme.Target
	for _, t := range programme.Plan2021() {
		g, ok := goals[t.Code]
		if !ok {
			continue
		}
		t.Code += "-2030"
		t.Plan = "2026–2030"
		t.Clause = "2026–2030 规划（演示示例，由市教体局在系统中录入）"
		for lang, title := range t.Title {
			t.Title[lang] = title + "（2026–2030）"
		}
		if g.count > 0 {
			t.Threshold.Count = g.count
		} else {
			t.Threshold.Percent = g.percent
		}
		t.Start = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
		t.Deadline, _ = time.Parse("2006-01-02", g.deadline)
		out = append(out, t)
	}
	return out
}
