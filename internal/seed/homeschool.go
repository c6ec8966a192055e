package seed

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"huhang/internal/demo"
	"huhang/internal/model"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// The demo city's home–school cooperation (issue 6): the previous term
// complete and the current one up to yesterday. Every class gets a team of
// two or three subject teachers; every school holds its parent-school
// activities (most meet every quota last term, the rest miss one; this term
// most are on the way); class teachers visit families — nearly every pupil
// last term, about seven in ten so far this term — and follow key pupils
// (students.categories ≠ 0) up as often as their category's cadence asks;
// a few concerns from visits wait in the psychology teachers' inboxes;
// key-pupil categories carry a date and source; about three schools in ten
// sent an assistance list to Civil Affairs or the Youth League last term.
//
// A tenth or so of the schools (more in the counties, at least one in the
// demo district) lag clearly this term: one activity or none, a third of
// their pupils visited. The demo accounts find something to do: the class
// teacher's class has unvisited pupils and an overdue key pupil, the
// psychology teacher has open concerns, the agency has a list to answer,
// the school a draft list. Everything is drawn from the seed and today's
// date; texts are generic and name nobody.

// homeSchoolStream is the PCG stream of the home–school history ("homescho").
const homeSchoolStream = 0x686f6d657363686f

// cst is China Standard Time, for the hours of the day records carry.
var cst = time.FixedZone("CST", 8*3600)

// defaultCadence mirrors the key_cadence defaults of migration 0008: the
// most days between two follow-ups of a key pupil, per category.
var defaultCadence = map[model.Category]int{model.CatLeftBehind: 30, model.CatOrphan: 30, model.CatPoor: 60,
	model.CatSingleParent: 60, model.CatDisabled: 60, model.CatMigrant: 90}

// cityCapture passes the generated city on to the loader and keeps what
// the home–school history is drawn from: schools, classes with their class
// teacher, the staff who teach a subject and each pupil's class and
// categories (about 20 bytes a pupil).
type cityCapture struct {
	demo.Sink
	districts map[int64]model.District
	agencies  []model.Agency
	schools   []capSchool
	schoolIdx map[int64]int
	classes   []capClass
	classIdx  map[int64]int
	pupils    []capPupil
}

type capSchool struct {
	id, district int64
	typ          model.SchoolType
	county       bool
	classes      []int   // indexes into cityCapture.classes
	subject      []int64 // staff whose one post is subject teacher
	other        []int64 // other staff who also teach a subject
}

type capClass struct {
	id      int64
	school  int // index into cityCapture.schools
	grade   int
	teacher int64 // the class teacher's staff id
	pupils  []int // indexes into cityCapture.pupils
}

type capPupil struct {
	id    int64
	cats  model.CategorySet
	class int32
}

func newCityCapture(s demo.Sink) *cityCapture {
	return &cityCapture{Sink: s, districts: map[int64]model.District{}, schoolIdx: map[int64]int{}, classIdx: map[int64]int{}}
}

func (c *cityCapture) Agency(a model.Agency) error {
	if err := c.Sink.Agency(a); err != nil {
		return err
	}
	c.agencies = append(c.agencies, a)
	return nil
}

func (c *cityCapture) District(d model.District) error {
	if err := c.Sink.District(d); err != nil {
		return err
	}
	c.districts[d.ID] = d
	return nil
}

func (c *cityCapture) School(s model.School) error {
	if err := c.Sink.School(s); err != nil {
		return err
	}
	c.schoolIdx[s.ID] = len(c.schools)
	c.schools = append(c.schools, capSchool{id: s.ID, district: s.DistrictID, typ: s.Type,
		county: c.districts[s.DistrictID].Kind == model.KindCounty})
	return nil
}

func (c *cityCapture) Class(cl model.Class) error {
	if err := c.Sink.Class(cl); err != nil {
		return err
	}
	si, ok := c.schoolIdx[cl.SchoolID]
	if !ok {
		return nil
	}
	c.classIdx[cl.ID] = len(c.classes)
	c.schools[si].classes = append(c.schools[si].classes, len(c.classes))
	c.classes = append(c.classes, capClass{id: cl.ID, school: si, grade: cl.Grade})
	return nil
}

func (c *cityCapture) Staff(st model.Staff) error {
	if err := c.Sink.Staff(st); err != nil {
		return err
	}
	si, ok := c.schoolIdx[st.SchoolID]
	if !ok {
		return nil
	}
	subject := false
	for _, p := range st.Posts {
		switch p.Post {
		case model.PostClassTeacher:
			if ci, ok := c.classIdx[p.ClassID]; ok && c.classes[ci].teacher == 0 {
				c.classes[ci].teacher = st.ID
			}
		case model.PostSubjectTeacher:
			subject = true
		}
	}
	switch {
	case subject && len(st.Posts) == 1:
		c.schools[si].subject = append(c.schools[si].subject, st.ID)
	case subject:
		c.schools[si].other = append(c.schools[si].other, st.ID)
	}
	return nil
}

func (c *cityCapture) Student(st model.Student) error {
	if err := c.Sink.Student(st); err != nil {
		return err
	}
	ci, ok := c.classIdx[st.ClassID]
	if !ok {
		return nil // unplaced: not visited by a class team
	}
	c.classes[ci].pupils = append(c.classes[ci].pupils, len(c.pupils))
	c.pupils = append(c.pupils, capPupil{id: st.ID, cats: st.Categories, class: int32(ci)})
	return nil
}

// hsUsers are the demo accounts the history names as authors.
type hsUsers struct {
	classTeacher, psych, schoolAdmin, agency int64
}

// hsInput is what the history is drawn from.
type hsInput struct {
	seed    uint64
	today   time.Time // civil date, UTC
	cal     programme.Calendar
	city    *cityCapture
	targets Targets
	users   hsUsers
	teacher int64 // the teacher account's staff record (0: none)
	cadence map[model.Category]int
}

func loadHomeSchool(ctx context.Context, st *store.Store, seed uint64, t Targets, city *cityCapture) error {
	began := time.Now()
	years, err := st.SchoolYears(ctx)
	if err != nil {
		return err
	}
	cal := programme.Calendar(years)
	in := hsInput{seed: seed, today: civilDay(time.Now()), cal: cal, city: city, targets: t, cadence: defaultCadence}
	for _, u := range []struct {
		name string
		id   *int64
	}{{"classteacher", &in.users.classTeacher}, {"psych", &in.users.psych}, {"schooladmin", &in.users.schoolAdmin}, {"agency", &in.users.agency}} {
		acc, err := st.UserByUsername(ctx, u.name)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", u.name, err)
		}
		*u.id = acc.ID
	}
	if u, err := st.UserByUsername(ctx, "teacher"); err == nil {
		if in.teacher, err = st.StaffIDOf(ctx, u.ID); err != nil {
			return err
		}
	}
	h, stats := generateHomeSchool(in)
	n, err := st.LoadHomeSchoolHistory(ctx, h)
	if err != nil {
		return err
	}
	if os.Getenv("HUHANG_TRACE_SEED") != "" {
		fmt.Fprintf(os.Stderr, "seed: home-school history written after %.1fs\n", time.Since(began).Seconds())
	}
	// The training history snapshotted every target at every month end,
	// the home–school quotas included, before there was anything to count:
	// judge them again on the month ends of the two terms.
	from := cal.Period(stats.terms[0]).Start
	for _, me := range monthEnds(in.today) {
		if me.Before(from) {
			continue
		}
		_, r, err := st.EvaluateHomeSchool(ctx, me)
		if err != nil {
			return err
		}
		if err := st.ReplaceSnapshots(ctx, me, r); err != nil {
			return err
		}
	}
	if os.Getenv("HUHANG_TRACE_SEED") != "" {
		fmt.Fprintf(os.Stderr, "seed: home-school loaded after %.1fs (%d team posts, %d activities, %d evidence, %d marks, %d lists, %d concerns)\n",
			time.Since(began).Seconds(), n.TeamPosts, n.Activities, n.Evidence, n.Marks, n.AssistLists, n.Concerns)
		for i, name := range []string{"previous", "current"} {
			fmt.Fprintf(os.Stderr, "seed: home-school %s term: %d visits, %d of %d pupils visited (%.1f%%; schools other than kindergartens %.1f%%), %d lagging schools\n",
				name, stats.visits[i], stats.visited[i], stats.pupils, pct(stats.visited[i], stats.pupils),
				pct(stats.visitedSchool[i], stats.pupilsSchool), stats.lagging)
		}
		m := stats.modes
		total := m[0] + m[1] + m[2]
		fmt.Fprintf(os.Stderr, "seed: home-school modes in person %.1f%%, phone %.1f%%, wechat %.1f%%; visits with concerns %.1f%%\n",
			pct(m[0], total), pct(m[1], total), pct(m[2], total), pct(stats.withConcerns, total))
	}
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// hsStats counts the generated visits as they are streamed.
type hsStats struct {
	terms                          [2]programme.Term // previous, current
	visits, visited, visitedSchool [2]int            // in each term
	pupils, pupilsSchool           int               // on the roll; outside kindergartens
	modes                          [3]int            // in person, phone, WeChat
	withConcerns                   int
	lagging                        int
}

// hsTerm is one of the two terms with its windows as day numbers: visits
// fall in [visitFrom, visitTo], activities are planned over [actFrom,
// actTo] and held up to actHeld (yesterday in the current term).
type hsTerm struct {
	term               programme.Term
	start, end         int
	visitFrom, visitTo int
	actFrom, actTo     int
	actHeld            int
	label              string
}

// hsPlan is one school's pace.
type hsPlan struct {
	lag   bool       // clearly behind this term
	reach [2]float64 // share of pupils visited in each term's window
	pace  float64    // above 1: activities later in the term
}

// hsGen is one generation run.
type hsGen struct {
	in        hsInput
	r         *rand.Rand
	city      *cityCapture
	yesterday int
	terms     [2]hsTerm
	progress  float64 // how far the current term's visiting has run, 0…1
	plans     []hsPlan
	teams     [][]int64 // per class: its subject teachers
	base      int       // day number of dates[0]
	dates     []string
	pngs      [][]byte
	stats     hsStats
	buf       []store.HistoryVisit
	// demo: pupils the demo class leaves unvisited this term, and its
	// key pupil overdue for follow-up.
	demoUnvisited map[int]bool
	demoOverdue   int
}

// dayNum is a civil date (midnight UTC) as days since 1970-01-01.
func dayNum(t time.Time) int { return int(t.Unix() / 86400) }

func dayTime(d int) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func weekday(d int) time.Weekday { return time.Weekday((d + 4) % 7) }

// holiday reports the public holidays no school holds an activity on.
func holiday(d int) bool {
	_, m, day := dayTime(d).Date()
	switch m {
	case time.January:
		return day == 1
	case time.May:
		return day <= 5
	case time.October:
		return day <= 7
	case time.April:
		return day >= 4 && day <= 6
	}
	return false
}

func prevTerm(t programme.Term) programme.Term {
	if t.Semester == 2 {
		return programme.Term{Year: t.Year, Semester: 1}
	}
	return programme.Term{Year: t.Year - 1, Semester: 2}
}

// termProgress is how far the current term's visiting has run on today:
// 0 before it starts, 1 from the end of lessons (the tests size their
// expectations by it).
func termProgress(cal programme.Calendar, today time.Time) float64 {
	g := &hsGen{in: hsInput{cal: cal, today: today}, yesterday: dayNum(today) - 1}
	g.setTerms()
	return g.progress
}

// generateHomeSchool draws the history; the same input gives the same
// history, and its Visits may be ranged over more than once. The stats
// fill as the visits are ranged over.
func generateHomeSchool(in hsInput) (store.HomeSchoolHistory, *hsStats) {
	g := &hsGen{in: in, city: in.city, r: rand.New(rand.NewPCG(in.seed, homeSchoolStream)), yesterday: dayNum(in.today) - 1}
	g.setTerms()
	g.makePNGs()
	g.planSchools()
	var h store.HomeSchoolHistory
	h.TeamPosts = g.makeTeams()
	for si := range g.city.schools {
		for ti := range g.terms {
			h.Activities = append(h.Activities, g.activities(si, ti)...)
		}
	}
	g.pickDemoPupils()
	h.Marks = g.marks()
	h.AssistLists = g.assistLists()
	for _, p := range g.city.pupils {
		g.stats.pupils++
		if g.city.schools[g.city.classes[p.class].school].typ != model.Kindergarten {
			g.stats.pupilsSchool++
		}
	}
	h.Visits = g.visits
	g.stats.terms = [2]programme.Term{g.terms[0].term, g.terms[1].term}
	return h, &g.stats
}

// setTerms finds the current term (the one yesterday falls in; in the
// summer holiday the one just ended) and the one before it.
func (g *hsGen) setTerms() {
	cal := g.in.cal
	cur := cal.TermOf(dayTime(g.yesterday))
	if dayNum(cal.Period(cur).Start) > g.yesterday {
		cur = prevTerm(cur)
	}
	for i, t := range []programme.Term{prevTerm(cur), cur} {
		p := cal.Period(t)
		x := hsTerm{term: t, start: dayNum(p.Start), end: dayNum(p.End)}
		x.visitFrom, x.visitTo, x.actFrom, x.actTo = x.start, x.end, x.start+1, x.end-11
		if _, m, d := p.Start.Date(); t.Semester == 2 && m == time.February && d < 10 {
			// The Spring Festival holiday: classes resume late in February.
			x.visitFrom, x.actFrom, x.actTo = x.start+21, x.start+24, x.end-21
		}
		x.visitTo = min(x.visitTo, g.yesterday)
		x.actHeld = min(x.actTo, g.yesterday)
		x.label = fmt.Sprintf("%d–%d学年第%s学期", t.Year, t.Year+1, map[int]string{1: "一", 2: "二"}[t.Semester])
		g.terms[i] = x
	}
	cw := &g.terms[1]
	g.progress = min(1, max(0, float64(cw.visitTo-cw.visitFrom+1)/float64(cw.actTo-cw.visitFrom+1)))
	g.base = g.terms[0].start
	g.dates = make([]string, g.terms[1].end-g.base+1)
	for i := range g.dates {
		g.dates[i] = dayTime(g.base + i).Format(time.DateOnly)
	}
}

func (g *hsGen) date(d int) string { return g.dates[d-g.base] }

// at is a moment on day d at hh:mm China time, never after the start of
// today (UTC), so never in the future.
func (g *hsGen) at(d, hh, mm int) time.Time {
	y, m, day := dayTime(d).Date()
	t := time.Date(y, m, day, hh, mm, 0, 0, cst)
	if t.After(g.in.today) {
		return g.in.today
	}
	return t
}

func (g *hsGen) uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// planSchools picks the lagging schools and every school's pace.
func (g *hsGen) planSchools() {
	c := g.city
	g.plans = make([]hsPlan, len(c.schools))
	lastInDemoDistrict := -1
	for i, s := range c.schools {
		p := &g.plans[i]
		lagRate := 0.07
		if s.county {
			lagRate = 0.2
		}
		p.lag = s.id != g.in.targets.School && g.r.Float64() < lagRate
		if s.district == g.in.targets.District && s.id != g.in.targets.School && (lastInDemoDistrict < 0 || s.typ != model.Kindergarten) {
			lastInDemoDistrict = i
		}
		kg := s.typ == model.Kindergarten
		county := 0.0
		if s.county {
			county = 1
		}
		p.reach[0] = g.uniform(g.r, 0.89, 0.985) - 0.02*county
		if kg {
			p.reach[0] = g.uniform(g.r, 0.72, 0.92)
		}
		// This term: the share a school reaches by the end of its window,
		// times how far the window has run (front-loaded: schools visit
		// most families in the first weeks).
		switch {
		case p.lag:
			p.reach[1] = g.uniform(g.r, 0.34, 0.48)
		case s.county:
			p.reach[1] = g.uniform(g.r, 0.78, 0.94)
		default:
			p.reach[1] = g.uniform(g.r, 0.84, 0.98)
		}
		if kg && !p.lag {
			p.reach[1] *= 0.9
		}
		p.reach[1] *= math.Sqrt(g.progress)
		p.pace = g.uniform(g.r, 0.85, 1.2) + 0.1*county
	}
	found := false
	for i, s := range c.schools {
		found = found || (g.plans[i].lag && s.district == g.in.targets.District)
	}
	if !found && lastInDemoDistrict >= 0 {
		p := &g.plans[lastInDemoDistrict]
		p.lag, p.reach[1] = true, g.uniform(g.r, 0.34, 0.48)*math.Sqrt(g.progress)
	}
	for _, p := range g.plans {
		if p.lag {
			g.stats.lagging++
		}
	}
}

// makeTeams gives every class two or three subject teachers of its school,
// taken in turn from those whose one post is subject teacher (then from
// other staff who teach a subject), so each teaches about three classes;
// the teacher account joins its own class and the class teacher's.
func (g *hsGen) makeTeams() []store.HistoryTeamPost {
	c := g.city
	g.teams = make([][]int64, len(c.classes))
	var posts []store.HistoryTeamPost
	for _, s := range c.schools {
		pool := slices.Clone(s.subject)
		g.r.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		if len(pool) < 3 {
			pool = append(pool, s.other...)
		}
		if len(pool) == 0 {
			continue
		}
		k := 0
		for _, ci := range s.classes {
			cl := &c.classes[ci]
			want := 2 + g.r.IntN(2)
			var team []int64
			for tries := 0; len(team) < want && tries < len(pool); tries++ {
				id := pool[k%len(pool)]
				k++
				if id != cl.teacher && !slices.Contains(team, id) {
					team = append(team, id)
				}
			}
			g.teams[ci] = team
		}
	}
	if id := g.in.teacher; id != 0 {
		for _, classID := range []int64{g.in.targets.TeamClass, g.in.targets.Class} {
			ci, ok := c.classIdx[classID]
			if !ok || c.classes[ci].teacher == id || slices.Contains(g.teams[ci], id) {
				continue
			}
			if len(g.teams[ci]) >= 3 {
				g.teams[ci][len(g.teams[ci])-1] = id
			} else {
				g.teams[ci] = append(g.teams[ci], id)
			}
		}
	}
	for ci, team := range g.teams {
		cl := &c.classes[ci]
		s := &c.schools[cl.school]
		for _, id := range team {
			posts = append(posts, store.HistoryTeamPost{StaffID: id, SchoolID: s.id, DistrictID: s.district, ClassID: cl.id})
		}
	}
	return posts
}

// ---- parent-school activities ------------------------------------------

// hsTopic is an activity topic, the grades it is for ("" the whole
// school, "teen" grades 5 and up, "entry" the first grade of each stage,
// "exam" the last grade of each stage, "some" one or two grades) and where
// it is offered ("school", "kg" for kindergartens, "all", "county" for any
// school in the counties).
type hsTopic struct {
	text, grades, where string
}

var hsTopics = map[string][]hsTopic{
	programme.ActGuidance: {
		{"青春期亲子沟通的方法与技巧", "teen", "school"},
		{"网络使用与家庭教育", "", "school"},
		{"如何培养孩子良好的学习习惯", "some", "school"},
		{"家长如何识别孩子的情绪变化", "", "school"},
		{"陪伴孩子顺利度过入学适应期", "entry", "school"},
		{"《家庭教育促进法》解读与家长责任", "", "all"},
		{"培养孩子的抗挫折能力", "", "school"},
		{"睡眠、运动与孩子的心理健康", "", "school"},
		{"正确看待孩子的考试成绩", "some", "school"},
		{"隔代教养的误区与改进", "", "county"},
		{"留守儿童家庭的亲情陪伴", "", "county"},
		{"幼小衔接中的家庭准备", "exam", "kg"},
		{"幼儿入园分离焦虑的应对", "entry", "kg"},
		{"幼儿良好生活习惯的培养", "", "kg"},
		{"科学育儿：读懂孩子的情绪", "", "kg"},
	},
	programme.ActPractice: {
		{"“家校共育·亲子共读”读书分享会", "some", "all"},
		{"家长进课堂职业体验活动", "some", "school"},
		{"家庭劳动教育实践周", "", "school"},
		{"家长志愿者护学岗活动", "", "school"},
		{"“我为家庭做件事”劳动实践", "some", "school"},
		{"好家风好家训分享会", "", "all"},
	},
	programme.ActParentChild: {
		{"亲子运动会", "some", "all"},
		{"亲子户外研学活动", "some", "all"},
		{"亲子手工制作", "some", "all"},
		{"亲子阅读分享", "some", "all"},
		{"亲子种植体验", "some", "all"},
		{"亲子趣味游戏日", "some", "kg"},
		{"亲子环保小卫士行动", "some", "all"},
		{"亲子徒步活动", "some", "school"},
	},
	programme.ActMHMeeting: {
		{"关注孩子心理健康，做智慧型家长", "", "school"},
		{"考前心理调适与家庭支持", "exam", "school"},
		{"识别孩子的心理危机信号", "", "school"},
		{"校园欺凌的预防与家庭应对", "", "school"},
		{"手机依赖与孩子的心理健康", "teen", "school"},
		{"新学期心理适应与家庭支持", "entry", "school"},
		{"青春期心理特点与家庭应对", "teen", "school"},
		{"学业压力下的亲子关系", "some", "school"},
		{"幼儿心理健康与家园共育", "", "kg"},
	},
	programme.ActOpenDay: {
		{"家长开放日：走进课堂", "some", "school"},
		{"家长开放日：心理健康课观摩", "some", "school"},
		{"家长开放日：半日活动观摩", "some", "kg"},
		{"家长开放日：食堂与校园安全", "", "all"},
	},
	programme.ActExpertLecture: {
		{"儿童青少年常见心理问题与家庭干预", "", "school"},
		{"如何与青春期孩子有效沟通", "teen", "school"},
		{"家庭教育中的积极心理学", "", "all"},
		{"儿童注意力发展与家庭训练", "some", "all"},
		{"心理健康从家庭开始", "", "all"},
	},
	programme.ActWomenFederation: {
		{"家庭教育进校园：做孩子成长的引路人", "", "all"},
		{"好家风润童心", "", "all"},
		{"《家庭教育促进法》宣讲", "", "all"},
		{"父母是孩子的第一任老师", "", "all"},
		{"儿童权益保护与家庭责任", "", "all"},
	},
}

// hsSpeakers are who speaks or runs an activity: roles and titles, never
// a person's name.
var hsSpeakers = map[string][]string{
	programme.ActGuidance:        {"本校心理健康教育教师", "德育处主任", "校长", "特邀家庭教育指导师", "班主任代表", "区县教师进修学校家庭教育教研员"},
	programme.ActPractice:        {"德育处", "家长委员会", "少先队大队部", "年级组"},
	programme.ActParentChild:     {"年级组", "班主任团队", "家长委员会", "少先队大队部"},
	programme.ActMHMeeting:       {"本校心理健康教育教师", "心理健康教育专职教师", "德育处主任", "攀枝花市中小学心理健康教育指导中心教师"},
	programme.ActOpenDay:         {"教务处", "德育处", "校长办公室"},
	programme.ActExpertLecture:   {"攀枝花市儿童青少年心理诊疗中心医师", "高校心理学教师（特邀）", "国家二级心理咨询师（特邀）"},
	programme.ActWomenFederation: {"区县妇联家庭教育讲师团讲师", "攀枝花市妇联家庭教育讲师团讲师"},
}

var kgSpeakers = map[string][]string{
	programme.ActGuidance:    {"园长", "保教主任", "特邀家庭教育指导师", "本园骨干教师"},
	programme.ActPractice:    {"保教主任", "家长委员会"},
	programme.ActParentChild: {"保教主任", "年级组", "家长委员会"},
	programme.ActMHMeeting:   {"保教主任", "园长"},
	programme.ActOpenDay:     {"保教主任", "园长"},
}

// hsItem is an activity a school plans in a term: its kind and how far
// into the term it falls.
type hsItem struct {
	kind string
	frac float64
}

// activities draws one school's activities of one term: the quotas its
// type asks for (last term one of them missed in about one school in
// seven), a few others, dated by the school's pace; in the current term
// only those held by yesterday, and at most one at a lagging school.
func (g *hsGen) activities(si, ti int) []store.HistoryActivity {
	s := &g.city.schools[si]
	p := &g.plans[si]
	term := &g.terms[ti]
	r := g.r
	if term.actTo < term.actFrom {
		return nil
	}
	kg := s.typ == model.Kindergarten
	var req, extra []hsItem
	if kg {
		req = []hsItem{{programme.ActGuidance, g.uniform(r, 0.03, 0.35)}, {programme.ActParentChild, g.uniform(r, 0.15, 0.5)},
			{programme.ActParentChild, g.uniform(r, 0.55, 0.95)}}
		for _, x := range []struct {
			kind   string
			chance float64
		}{{programme.ActOpenDay, 0.4}, {programme.ActPractice, 0.15}, {programme.ActExpertLecture, 0.1}, {programme.ActWomenFederation, 0.1}} {
			if r.Float64() < x.chance {
				extra = append(extra, hsItem{x.kind, r.Float64()})
			}
		}
	} else {
		practice := programme.ActPractice
		if r.Float64() < 0.4 {
			practice = programme.ActParentChild
		}
		req = []hsItem{{programme.ActGuidance, g.uniform(r, 0.02, 0.25)}, {programme.ActMHMeeting, g.uniform(r, 0.2, 0.6)},
			{practice, g.uniform(r, 0.3, 0.9)}, {programme.ActGuidance, g.uniform(r, 0.55, 0.95)}}
		women := 0.12
		if s.county {
			women = 0.22
		}
		for _, x := range []struct {
			kind   string
			chance float64
		}{{programme.ActOpenDay, 0.35}, {programme.ActExpertLecture, 0.25}, {programme.ActWomenFederation, women}, {programme.ActGuidance, 0.15}} {
			if r.Float64() < x.chance {
				extra = append(extra, hsItem{x.kind, r.Float64()})
			}
		}
	}
	for i := range req {
		req[i].frac = min(0.98, req[i].frac*p.pace)
	}
	if ti == 0 {
		miss := 0.11
		if s.county {
			miss = 0.22
		}
		if r.Float64() < miss {
			// One quota missed: its only item, or one of two.
			i := r.IntN(len(req))
			req = slices.Delete(req, i, i+1)
		}
	}
	items := append(req, extra...)
	if ti == 1 && p.lag {
		items = nil
		if r.Float64() < 0.5 {
			items = []hsItem{req[0]}
			items[0].frac = g.uniform(r, 0.02, 0.3)
		}
	}
	used := map[string]bool{}
	var out []store.HistoryActivity
	for _, it := range items {
		d := g.activityDay(r, term, it)
		if d > term.actHeld {
			continue
		}
		topic := g.topic(r, s, it.kind, used)
		key := it.kind + "|" + topic.text + "|" + strconv.Itoa(d)
		if used[key] {
			continue
		}
		used[key] = true
		grades, pupils := g.grades(r, s, topic.grades)
		speakers := hsSpeakers[it.kind]
		if kg && kgSpeakers[it.kind] != nil {
			speakers = kgSpeakers[it.kind]
		}
		a := store.HistoryActivity{SchoolID: s.id, DistrictID: s.district, Kind: it.kind, HeldOn: g.date(d),
			TermYear: term.term.Year, TermSem: term.term.Semester, Topic: topic.text, Speaker: speakers[r.IntN(len(speakers))],
			Grades: grades, Parents: g.parents(r, it.kind, pupils), CreatedAt: g.at(min(d+1+r.IntN(3), g.yesterday), 16+r.IntN(3), r.IntN(60))}
		if s.id == g.in.targets.School {
			a.CreatedBy = g.in.users.schoolAdmin
		}
		if s.id == g.in.targets.School || r.Float64() < 0.25 {
			a.Evidence = g.evidence(r, a)
		}
		out = append(out, a)
	}
	return out
}

// activityDay dates an item: a school day (parent–child activities, open
// days and practice now and then on a Saturday), inside the term's window.
func (g *hsGen) activityDay(r *rand.Rand, term *hsTerm, it hsItem) int {
	d := term.actFrom + int(it.frac*float64(term.actTo-term.actFrom))
	saturday := (it.kind == programme.ActParentChild || it.kind == programme.ActOpenDay || it.kind == programme.ActPractice) && r.Float64() < 0.3
	ok := func(d int) bool {
		wd := weekday(d)
		return !holiday(d) && (wd >= time.Monday && wd <= time.Friday || saturday && wd == time.Saturday)
	}
	for x := d; x <= term.actTo; x++ {
		if ok(x) {
			return x
		}
	}
	for x := d - 1; x >= term.actFrom; x-- {
		if ok(x) {
			return x
		}
	}
	return min(max(d, term.actFrom), term.actTo)
}

func (g *hsGen) topic(r *rand.Rand, s *capSchool, kind string, used map[string]bool) hsTopic {
	var fit []hsTopic
	kg := s.typ == model.Kindergarten
	for _, t := range hsTopics[kind] {
		if t.where == "all" || t.where == "county" && s.county || t.where == "kg" && kg || t.where == "school" && !kg {
			fit = append(fit, t)
		}
	}
	if len(fit) == 0 {
		fit = hsTopics[kind]
	}
	start := r.IntN(len(fit))
	for i := range fit {
		t := fit[(start+i)%len(fit)]
		if !used["topic|"+t.text] {
			used["topic|"+t.text] = true
			return t
		}
	}
	return fit[start]
}

// grades resolves a topic's grades at a school: the list stored and the
// pupils in those grades.
func (g *hsGen) grades(r *rand.Rand, s *capSchool, sel string) (string, int) {
	all := s.typ.Grades()
	var pick []int
	switch sel {
	case "teen":
		for _, x := range all {
			if x >= 5 {
				pick = append(pick, x)
			}
		}
	case "entry":
		for _, x := range all {
			if x == -2 || x == 1 || x == 7 || x == 10 {
				pick = append(pick, x)
			}
		}
	case "exam":
		for _, x := range all {
			if x == 0 || x == 6 || x == 9 || x == 12 {
				pick = append(pick, x)
			}
		}
	case "some":
		if len(all) > 1 && r.Float64() < 0.7 {
			i := r.IntN(len(all))
			pick = append(pick, all[i])
			if i+1 < len(all) && r.Float64() < 0.5 {
				pick = append(pick, all[i+1])
			}
		}
	}
	count := func(in func(int) bool) int {
		n := 0
		for _, ci := range s.classes {
			if in(g.city.classes[ci].grade) {
				n += len(g.city.classes[ci].pupils)
			}
		}
		return n
	}
	if len(pick) == 0 || len(pick) == len(all) {
		return "", count(func(int) bool { return true })
	}
	parts := make([]string, len(pick))
	for i, x := range pick {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ","), count(func(x int) bool { return slices.Contains(pick, x) })
}

// parents is how many parents came: a share of the pupils concerned by
// kind, a lecture hall's worth at most.
func (g *hsGen) parents(r *rand.Rand, kind string, pupils int) int {
	lo, hi, limit := 0.55, 0.85, 0
	switch kind {
	case programme.ActMHMeeting:
		lo, hi = 0.6, 0.9
	case programme.ActParentChild:
		lo, hi = 0.25, 0.5
	case programme.ActPractice:
		lo, hi = 0.2, 0.45
	case programme.ActOpenDay:
		lo, hi = 0.3, 0.6
	case programme.ActExpertLecture:
		lo, hi, limit = 0.15, 0.35, 400
	case programme.ActWomenFederation:
		lo, hi, limit = 0.15, 0.35, 300
	}
	n := int(math.Round(float64(pupils) * g.uniform(r, lo, hi)))
	if limit > 0 {
		n = min(n, limit)
	}
	return max(n, min(pupils, 8))
}

// makePNGs draws a few tiny pictures standing in for activity photos.
func (g *hsGen) makePNGs() {
	for v := range 6 {
		img := image.NewRGBA(image.Rect(0, 0, 48, 32))
		for y := range 32 {
			for x := range 48 {
				c := color.RGBA{uint8(90 + 25*v + 2*y), uint8(140 + 3*x), uint8(200 - 20*v + y), 255}
				if (x/8+y/8+v)%3 == 0 {
					c = color.RGBA{250, 240, 220, 255}
				}
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			panic(err) // encoding an in-memory image does not fail
		}
		g.pngs = append(g.pngs, b.Bytes())
	}
}

// evidence draws an activity's files: a photo or two (which may show
// children's faces at activities children attend), sometimes the sign-in
// sheet or the plan.
func (g *hsGen) evidence(r *rand.Rand, a store.HistoryActivity) []store.HistoryEvidence {
	children := a.Kind == programme.ActParentChild || a.Kind == programme.ActOpenDay || a.Kind == programme.ActPractice
	var out []store.HistoryEvidence
	for i := range 1 + r.IntN(2) {
		out = append(out, store.HistoryEvidence{Kind: "photo", Name: fmt.Sprintf("活动照片%d.png", i+1), MIME: "image/png",
			Body: g.pngs[r.IntN(len(g.pngs))], Faces: children && r.Float64() < 0.7})
	}
	switch x := r.Float64(); {
	case x < 0.3:
		out = append(out, store.HistoryEvidence{Kind: "signin", Name: "签到表.png", MIME: "image/png", Body: g.pngs[r.IntN(len(g.pngs))]})
	case x < 0.5:
		body := fmt.Sprintf("活动主题：%s\n活动日期：%s\n参加家长：%d人\n（演示数据，系统生成）\n", a.Topic, a.HeldOn, a.Parents)
		out = append(out, store.HistoryEvidence{Kind: "file", Name: "活动方案.txt", MIME: "text/plain; charset=utf-8", Body: []byte(body)})
	}
	return out
}

// ---- key-pupil marks -----------------------------------------------------

// markSources are where each category is noted from, with weights.
var markSources = map[model.Category][]struct {
	source string
	w      float64
}{
	model.CatPoor:         {{"civil_affairs", 0.35}, {"roster", 0.4}, {"school", 0.25}},
	model.CatLeftBehind:   {{"roster", 0.45}, {"class_teacher", 0.3}, {"guardian", 0.15}, {"youth_league", 0.1}},
	model.CatSingleParent: {{"roster", 0.4}, {"class_teacher", 0.3}, {"guardian", 0.2}, {"womens_federation", 0.1}},
	model.CatMigrant:      {{"roster", 0.8}, {"school", 0.2}},
	model.CatOrphan:       {{"civil_affairs", 0.6}, {"roster", 0.4}},
	model.CatDisabled:     {{"roster", 0.7}, {"guardian", 0.3}},
}

// marks dates and sources most key pupils' categories: those from the
// roster since the start of a school year, the others noted during the
// last two terms or (agencies) in the last two years. A category without a
// mark counts from the day the pupil joined the roster (the day of the
// load), so the demo class's overdue pupil is marked whatever the draw.
func (g *hsGen) marks() []store.HistoryMark {
	var out []store.HistoryMark
	cur := g.terms[1].term.Year
	for pi, p := range g.city.pupils {
		if p.cats == 0 {
			continue
		}
		cl := &g.city.classes[p.class]
		s := &g.city.schools[cl.school]
		for _, c := range p.cats.List() {
			if pi == g.demoOverdue {
				// Known since last school year, so the register counts
				// the missed follow-up.
				out = append(out, store.HistoryMark{StudentID: p.id, SchoolID: s.id, DistrictID: s.district, Category: string(c),
					Since: date(cur-1, time.September, 1).Format(time.DateOnly), Source: "roster", NotedAt: g.at(dayNum(date(cur-1, time.September, 2)), 10, 0)})
				continue
			}
			if g.r.Float64() >= 0.6 {
				continue
			}
			src := markSources[c]
			x, source := g.r.Float64(), src[len(src)-1].source
			for _, o := range src {
				if x < o.w {
					source = o.source
					break
				}
				x -= o.w
			}
			var since int
			switch source {
			case "roster":
				since = dayNum(date(cur-g.r.IntN(4), time.September, 1))
			case "civil_affairs", "womens_federation", "youth_league":
				since = g.yesterday - 30 - g.r.IntN(700)
			default:
				since = g.terms[0].visitFrom + g.r.IntN(max(1, g.yesterday-g.terms[0].visitFrom))
			}
			since = min(since, g.yesterday)
			out = append(out, store.HistoryMark{StudentID: p.id, SchoolID: s.id, DistrictID: s.district, Category: string(c),
				Since: dayTime(since).Format(time.DateOnly), Source: source, NotedAt: g.at(min(since+1, g.yesterday), 10, g.r.IntN(60))})
		}
	}
	return out
}

// ---- assistance lists ----------------------------------------------------

var (
	assistDetails = map[string][]string{
		"financial":     {"家庭经济困难，申请学习生活补助", "家庭收入低，申请助学金", "家中有重病成员，经济负担重"},
		"study":         {"课后无人辅导，希望安排学业帮扶", "学习基础薄弱，希望志愿者结对辅导"},
		"psychological": {"亲情陪伴不足，情绪较低落，希望提供心理支持", "近期家庭变故，需要心理关爱"},
		"parenting":     {"祖辈监护，家庭教育指导需求强", "单亲家庭，家长希望获得家庭教育指导"},
		"health":        {"需定期康复训练，希望链接康复资源", "身体状况欠佳，希望协助就医"},
		"other":         {"希望协助办理相关救助手续"},
	}
	assistAnswers = map[string][]string{
		"assisted": {"已纳入困难儿童生活补助，按月发放", "已安排志愿者结对帮扶，每周一次课业辅导", "已发放助学金", "已链接社工开展心理支持服务",
			"已纳入“童伴之家”关爱活动", "已协调辖区街道（乡镇）落实临时救助"},
		"received": {"已收到，正在核实家庭情况", "已转辖区街道（乡镇）跟进"},
		"declined": {"经核实不符合救助条件，建议申请其他帮扶项目", "家长表示暂不需要帮扶"},
	}
)

// assistHelp is the help a list asks for a pupil, by category.
func assistHelp(r *rand.Rand, cats model.CategorySet) (model.Category, string) {
	switch {
	case cats.Has(model.CatOrphan):
		return model.CatOrphan, []string{"financial", "psychological"}[r.IntN(2)]
	case cats.Has(model.CatPoor):
		return model.CatPoor, []string{"financial", "financial", "study"}[r.IntN(3)]
	case cats.Has(model.CatLeftBehind):
		return model.CatLeftBehind, []string{"study", "psychological", "parenting"}[r.IntN(3)]
	}
	return "", ""
}

// assistable reports whether a pupil's family may go on an assistance
// list: poor, orphaned or left behind.
func assistable(cats model.CategorySet) bool {
	return cats.Has(model.CatPoor) || cats.Has(model.CatOrphan) || cats.Has(model.CatLeftBehind)
}

// assistLists draws the lists: about three schools in ten sent one last
// term (most answered), a few schools one this term (not yet answered, the
// first of them to the agency account's agency); the demo school sent one
// to that agency last term and has a draft this term. Civil Affairs has no
// accounts in the demo, so the answers to its lists came back in the
// workbook (channel excel).
func (g *hsGen) assistLists() []store.HistoryAssistList {
	c := g.city
	demoAgency := g.in.targets.Agency
	civil, league := demoAgency, demoAgency
	for _, a := range c.agencies {
		switch a.Kind {
		case model.AgencyCivil:
			civil = a.ID
		case model.Agency12355:
			league = a.ID
		}
	}
	var out []store.HistoryAssistList
	pending := false // a list this term awaits the agency account
	for si, s := range c.schools {
		var cands []int
		for _, ci := range s.classes {
			for _, pi := range c.classes[ci].pupils {
				if assistable(c.pupils[pi].cats) {
					cands = append(cands, pi)
				}
			}
		}
		if len(cands) < 3 {
			continue
		}
		demoSchool := s.id == g.in.targets.School
		switch {
		case demoSchool:
			out = append(out, g.assistList(si, cands, 0, demoAgency, true))
		case g.r.Float64() < 0.3:
			agency := league
			if g.r.Float64() < 0.55 {
				agency = civil
			}
			out = append(out, g.assistList(si, cands, 0, agency, true))
		}
		switch {
		case demoSchool:
			l := g.assistList(si, cands, 1, civil, false)
			l.State, l.SentBy, l.SentAt = "draft", 0, time.Time{}
			out = append(out, l)
		case g.plans[si].lag:
		case !pending:
			pending = true
			out = append(out, g.assistList(si, cands, 1, demoAgency, false))
		case g.r.Float64() < 0.06:
			agency := league
			if g.r.Float64() < 0.5 {
				agency = civil
			}
			out = append(out, g.assistList(si, cands, 1, agency, false))
		}
	}
	return out
}

// assistList draws one school's list in term ti from its candidates.
func (g *hsGen) assistList(si int, cands []int, ti int, agency int64, answered bool) store.HistoryAssistList {
	r := g.r
	c := g.city
	s := &c.schools[si]
	term := &g.terms[ti]
	n := min(len(cands), 3+r.IntN(13))
	pick := slices.Clone(cands)
	r.Shuffle(len(pick), func(a, b int) { pick[a], pick[b] = pick[b], pick[a] })
	pick = pick[:n]
	slices.Sort(pick)
	name, excel := "共青团12355", false
	for _, a := range c.agencies {
		if a.ID == agency && a.Kind == model.AgencyCivil {
			// Without accounts, its answers came back in the workbook.
			name, excel = "民政", answered && agency != g.in.targets.Agency
		}
	}
	created := term.visitFrom + 15 + r.IntN(max(1, min(60, term.visitTo-term.visitFrom-20)))
	created = min(created, g.yesterday-3)
	sent := min(created+1+r.IntN(3), g.yesterday)
	l := store.HistoryAssistList{DistrictID: s.district, SchoolID: s.id, AgencyID: agency,
		Title: term.label + "家庭困难学生帮扶名单（" + name + "）", State: "sent", CreatedAt: g.at(created, 10, r.IntN(60)), SentAt: g.at(sent, 15, r.IntN(60))}
	if excel {
		l.Channel = "excel"
	}
	if s.id == g.in.targets.School {
		l.CreatedBy, l.SentBy = g.in.users.schoolAdmin, g.in.users.schoolAdmin
	}
	all := true
	for _, pi := range pick {
		p := c.pupils[pi]
		cat, help := assistHelp(r, p.cats)
		ds := assistDetails[help]
		it := store.HistoryAssistItem{StudentID: p.id, SchoolID: s.id, DistrictID: s.district, Category: string(cat), Help: help,
			Detail: ds[r.IntN(len(ds))]}
		if answered && r.Float64() < 0.85 {
			switch x := r.Float64(); {
			case x < 0.6:
				it.Answer = "assisted"
			case x < 0.85:
				it.Answer = "received"
			default:
				it.Answer = "declined"
			}
			notes := assistAnswers[it.Answer]
			it.AnswerNote = notes[r.IntN(len(notes))]
			it.AnsweredAt = g.at(min(sent+5+r.IntN(30), g.yesterday), 11, r.IntN(60))
			if agency == g.in.targets.Agency {
				it.AnsweredBy = g.in.users.agency
			}
		} else {
			all = false
		}
		l.Items = append(l.Items, it)
	}
	if answered && all && r.Float64() < 0.6 {
		l.State = "closed"
	}
	return l
}

// ---- home visits ---------------------------------------------------------

// pickDemoPupils chooses, in the class teacher account's class, the pupils
// left unvisited this term (four without categories, from the end of the
// roll) and the key pupil overdue for follow-up (the one with the
// shortest cadence).
func (g *hsGen) pickDemoPupils() {
	g.demoUnvisited, g.demoOverdue = map[int]bool{}, -1
	ci, ok := g.city.classIdx[g.in.targets.Class]
	if !ok {
		return
	}
	ps := g.city.classes[ci].pupils
	best := math.MaxInt
	for _, pi := range ps {
		if c := g.cadenceOf(g.city.pupils[pi].cats); c > 0 && c < best {
			best, g.demoOverdue = c, pi
		}
	}
	for i := len(ps) - 1; i >= 0 && len(g.demoUnvisited) < 4; i-- {
		if g.city.pupils[ps[i]].cats == 0 {
			g.demoUnvisited[ps[i]] = true
		}
	}
	for i := len(ps) - 1; i >= 0 && len(g.demoUnvisited) < 3; i-- {
		if ps[i] != g.demoOverdue {
			g.demoUnvisited[ps[i]] = true
		}
	}
}

// cadenceOf is the shortest cadence of a pupil's categories (0: none).
func (g *hsGen) cadenceOf(cats model.CategorySet) int {
	best := 0
	for _, c := range cats.List() {
		if d, ok := g.in.cadence[c]; ok && (best == 0 || d < best) {
			best = d
		}
	}
	if cats != 0 && best == 0 {
		best = 60
	}
	return best
}

// visits streams the visits school by school, each school drawn from its
// own stream so that ranging again yields the same visits.
func (g *hsGen) visits(yield func(store.HistoryVisit) bool) {
	g.stats.visits, g.stats.visited, g.stats.visitedSchool = [2]int{}, [2]int{}, [2]int{}
	g.stats.modes, g.stats.withConcerns = [3]int{}, 0
	for si := range g.city.schools {
		g.schoolVisits(si)
		for i := range g.buf {
			if !yield(g.buf[i]) {
				return
			}
		}
	}
}

const (
	famStable = iota
	famStrained
	famDifficult
)

var famCodes = [3]string{"stable", "strained", "difficult"}

var (
	concernNotes = []string{
		"孩子近期情绪低落，不愿与人交流，已建议家长多陪伴，并与学校心理教师沟通。",
		"家长反映孩子睡眠不好、容易发脾气，约定两周后再次电话回访。",
		"孩子提到在校外受到同伴排挤，已告知家长加强关注，学校将跟进了解。",
		"孩子沉迷手机游戏，与家长冲突较多，建议家长调整沟通方式。",
		"孩子身体不适多日，已提醒家长及时就医并反馈情况。",
	}
	familyNotes = []string{
		"家庭经济较困难，孩子生活由祖辈照料，需持续关注学习和情绪状况。",
		"父母长期在外务工，孩子与祖辈沟通较少，建议家长每周与孩子视频通话。",
		"家长工作繁忙，亲子沟通较少，已交流陪伴方式。",
		"家庭近期发生变故，孩子情绪有所波动，班主任将增加联系频次。",
	}
	plainNotes = []string{
		"家庭氛围和谐，家长重视孩子学习，积极配合学校工作。",
		"与家长交流了孩子在校表现，家长表示将督促孩子按时完成作业。",
		"家长关心孩子的视力和体育锻炼，已介绍学校课后服务安排。",
		"孩子在家能主动承担家务，家长对学校工作表示满意。",
	}
	concernMessages = []string{
		"家访中发现孩子近期情绪低落、不愿上学，请心理教师进一步了解。",
		"家长反映孩子有自伤的言语表达，请心理教师尽快评估。",
		"孩子近期与家人冲突频繁，情绪波动大，建议心理教师约谈。",
		"孩子自述睡眠差、注意力难以集中，请心理教师关注。",
	}
)

// schoolVisits draws one school's visits of both terms into g.buf, pupil by
// pupil, then makes sure the demo school has open concerns.
func (g *hsGen) schoolVisits(si int) {
	c := g.city
	s := &c.schools[si]
	plan := &g.plans[si]
	r := rand.New(rand.NewPCG(g.in.seed^homeSchoolStream, uint64(s.id)))
	g.buf = g.buf[:0]
	for _, ci := range s.classes {
		cl := &c.classes[ci]
		var recorder int64
		if cl.id == g.in.targets.Class {
			recorder = g.in.users.classTeacher
		}
		for _, pi := range cl.pupils {
			g.pupilVisits(r, s, plan, ci, pi, recorder)
		}
	}
	if s.id == g.in.targets.School {
		g.demoConcerns(r)
	}
	for i := range g.buf {
		v := &g.buf[i]
		switch v.Mode {
		case "in_person":
			g.stats.modes[0]++
		case "phone":
			g.stats.modes[1]++
		default:
			g.stats.modes[2]++
		}
		if v.Concerns != "" {
			g.stats.withConcerns++
		}
	}
}

// pupilVisits draws one pupil's visits: a visit or two for most pupils,
// follow-ups at the category's cadence for key pupils (some of whom fall
// behind this term), findings that hang together from visit to visit.
func (g *hsGen) pupilVisits(r *rand.Rand, s *capSchool, plan *hsPlan, ci, pi int, recorder int64) {
	p := g.city.pupils[pi]
	cl := &g.city.classes[ci]
	key := p.cats != 0
	cad := g.cadenceOf(p.cats)
	living := drawLiving(r, p.cats)
	fam := drawFamily(r, p.cats)
	ever := false
	for ti := range g.terms {
		term := &g.terms[ti]
		if term.visitTo < term.visitFrom {
			continue
		}
		reach := plan.reach[ti]
		if key {
			reach = min(0.995, reach+0.12)
		}
		visited := r.Float64() < reach
		if ti == 1 && g.demoUnvisited[pi] {
			visited = false
		}
		if ti == 1 && pi == g.demoOverdue {
			visited = true
		}
		if !visited {
			continue
		}
		lateRate := 0.08
		if plan.lag {
			lateRate = 0.25
		}
		overdue := ti == 1 && key && (pi == g.demoOverdue || r.Float64() < lateRate)
		var days [4]int
		n := g.visitDays(r, term, key, cad, overdue, days[:])
		if n == 0 {
			continue
		}
		g.stats.visits[ti] += n
		g.stats.visited[ti]++
		if s.typ != model.Kindergarten {
			g.stats.visitedSchool[ti]++
		}
		help := drawHelp(r, p.cats, fam)
		for k := range n {
			d := days[k]
			v := store.HistoryVisit{StudentID: p.id, SchoolID: s.id, DistrictID: s.district, ClassID: cl.id, VisitedOn: g.date(d),
				TermYear: term.term.Year, TermSem: term.term.Semester, Mode: drawMode(r, s.county, k == 0), Living: living,
				RecordedBy: recorder}
			since := "none"
			switch old := fam; {
			case !ever:
				since = "first"
			case r.Float64() < 0.08:
				if r.Float64() < 0.5 && fam > famStable {
					fam--
				} else if fam < famDifficult {
					fam++
				}
				switch {
				case fam < old:
					since = "improved"
				case fam > old:
					since = "worsened"
				}
			case r.Float64() < 0.012+0.018*b2f(key):
				since = "major_event"
				fam = min(famDifficult, fam+1)
			}
			v.Family, v.SinceLast = famCodes[fam], since
			ever = true
			chance := 0.011
			if key {
				chance = 0.033
			}
			chance += []float64{0, 0.015, 0.035}[fam]
			if r.Float64() < chance {
				v.Concerns = drawConcerns(r)
			}
			if k == 0 || r.Float64() < 0.5 {
				v.Help = help
			}
			switch {
			case v.Concerns != "":
				v.Note = concernNotes[r.IntN(len(concernNotes))]
			case fam == famDifficult && r.Float64() < 0.4, since == "major_event":
				v.Note = familyNotes[r.IntN(len(familyNotes))]
			case r.Float64() < 0.025:
				v.Note = plainNotes[r.IntN(len(plainNotes))]
			}
			v.Visitors = g.visitors(r, ci, v.Mode)
			v.RecordedAt = g.at(d, 18+r.IntN(4), r.IntN(60))
			if ti == 1 && (strings.Contains(v.Concerns, "mood") || strings.Contains(v.Concerns, "safety")) && r.Float64() < 1.0/3 {
				v.Concern = g.concern(r, s, d, v)
			}
			g.buf = append(g.buf, v)
		}
	}
}

// visitDays dates a pupil's visits in a term into days and returns how
// many: early in the term for most; key pupils from the first weeks on at
// about their cadence, two to four times; an overdue key pupil's visits
// stop more than a cadence before today.
func (g *hsGen) visitDays(r *rand.Rand, term *hsTerm, key bool, cad int, overdue bool, days []int) int {
	from, to := term.visitFrom, term.visitTo
	span := float64(to - from + 1)
	n := 0
	if !key {
		d1 := min(to, from+int(math.Pow(r.Float64(), 1.4)*span))
		days[n] = d1
		n++
		again := 0.2 // this term: a phone call or a message after the visit
		if to < g.yesterday {
			again = 0.08
		}
		if r.Float64() < again && d1+7 <= to {
			days[n] = d1 + 7 + r.IntN(min(54, to-d1-7)+1)
			n++
		}
		return n
	}
	d := min(to, from+int(r.Float64()*r.Float64()*0.45*span))
	for n < len(days) && d <= to {
		days[n] = d
		n++
		step := float64(cad) * g.uniform(r, 0.55, 0.95)
		if to < g.yesterday { // a finished term: spread over all of it
			step = max(step, span/2.0)
		}
		d += max(7, int(step))
	}
	if n == 1 && to-days[0] >= 14 {
		days[n] = days[0] + 14 + r.IntN(to-days[0]-14+1)
		n++
	}
	if overdue {
		cutoff := g.yesterday - cad - 1 - r.IntN(20)
		k := 0
		for _, x := range days[:n] {
			if x <= cutoff {
				days[k] = x
				k++
			}
		}
		n = k
	}
	return n
}

// visitors are the class teacher, with a subject teacher of the class team
// on some visits (more often in person).
func (g *hsGen) visitors(r *rand.Rand, ci int, mode string) []int64 {
	cl := &g.city.classes[ci]
	team := g.teams[ci]
	out := make([]int64, 0, 2)
	if cl.teacher != 0 {
		out = append(out, cl.teacher)
	}
	chance := 0.08
	if mode == "in_person" {
		chance = 0.4
	}
	if len(team) > 0 && (len(out) == 0 || r.Float64() < chance) {
		out = append(out, team[r.IntN(len(team))])
	}
	return out
}

// concern is the concern a visit on day d passes on: open when recent,
// taken up or closed with an outcome when older.
func (g *hsGen) concern(r *rand.Rand, s *capSchool, d int, v store.HistoryVisit) *store.HistoryConcern {
	c := &store.HistoryConcern{Kinds: v.Concerns, Message: concernMessages[r.IntN(len(concernMessages))], State: "open",
		RaisedBy: v.RecordedBy, RaisedAt: v.RecordedAt}
	age := g.yesterday + 1 - d
	x := r.Float64()
	switch {
	case age <= 7:
	case age <= 21 && x < 0.25:
	case age <= 21 && x < 0.7, age > 21 && x < 0.25:
		c.State = "taken"
	default:
		c.State = "closed"
		c.Outcome = []string{"talked", "talked", "counselling", "counselling", "referred", "no_action"}[r.IntN(6)]
	}
	if c.State != "open" {
		c.HandledAt = g.at(min(d+1+r.IntN(4), g.yesterday), 9+r.IntN(8), r.IntN(60))
		if c.HandledAt.Before(c.RaisedAt) {
			c.HandledAt = c.RaisedAt.Add(time.Hour)
		}
		if s.id == g.in.targets.School {
			c.HandledBy = g.in.users.psych
		}
	}
	return c
}

// demoConcerns makes sure the psychology teacher account finds at least
// two open concerns: the latest visits of this term at the demo school
// raise them if the draw did not.
func (g *hsGen) demoConcerns(r *rand.Rand) {
	open := 0
	for _, v := range g.buf {
		if v.Concern != nil && v.Concern.State == "open" {
			open++
		}
	}
	cur := g.terms[1].term
	idx := make([]int, 0, len(g.buf))
	for i, v := range g.buf {
		if v.TermYear == cur.Year && v.TermSem == cur.Semester && v.Concern == nil {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(g.buf[b].VisitedOn, g.buf[a].VisitedOn) })
	for _, i := range idx {
		if open >= 2 {
			return
		}
		v := &g.buf[i]
		if !strings.Contains(v.Concerns, "mood") {
			v.Concerns = strings.TrimPrefix(v.Concerns+",mood", ",")
		}
		v.Note = concernNotes[0]
		v.Concern = &store.HistoryConcern{Kinds: v.Concerns, Message: concernMessages[r.IntN(len(concernMessages))], State: "open",
			RaisedBy: v.RecordedBy, RaisedAt: v.RecordedAt}
		open++
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func drawLiving(r *rand.Rand, cats model.CategorySet) string {
	x := r.Float64()
	switch {
	case cats.Has(model.CatOrphan):
		return pickCode(x, []string{"grandparents", "relatives", "other"}, 0.45, 0.45)
	case cats.Has(model.CatLeftBehind):
		return pickCode(x, []string{"grandparents", "relatives", "one_parent", "other"}, 0.72, 0.2, 0.05)
	case cats.Has(model.CatSingleParent):
		return pickCode(x, []string{"one_parent", "grandparents"}, 0.9)
	}
	return pickCode(x, []string{"both_parents", "one_parent", "grandparents", "other"}, 0.95, 0.02, 0.02)
}

// pickCode returns codes[i] for the first i whose cumulative weight passes
// x; the last code takes what remains.
func pickCode(x float64, codes []string, weights ...float64) string {
	for i, w := range weights {
		if x < w {
			return codes[i]
		}
		x -= w
	}
	return codes[len(codes)-1]
}

func drawFamily(r *rand.Rand, cats model.CategorySet) int {
	x := r.Float64()
	var w [2]float64
	switch {
	case cats.Has(model.CatPoor) || cats.Has(model.CatOrphan):
		w = [2]float64{0.35, 0.35}
	case cats != 0:
		w = [2]float64{0.65, 0.28}
	default:
		w = [2]float64{0.93, 0.06}
	}
	switch {
	case x < w[0]:
		return famStable
	case x < w[0]+w[1]:
		return famStrained
	}
	return famDifficult
}

func drawMode(r *rand.Rand, county, first bool) string {
	x := r.Float64()
	switch {
	case first && county:
		return pickCode(x, []string{"in_person", "phone", "wechat"}, 0.58, 0.3)
	case first:
		return pickCode(x, []string{"in_person", "phone", "wechat"}, 0.5, 0.31)
	case county:
		return pickCode(x, []string{"in_person", "phone", "wechat"}, 0.36, 0.46)
	}
	return pickCode(x, []string{"in_person", "phone", "wechat"}, 0.28, 0.42)
}

func drawConcerns(r *rand.Rand) string {
	codes := []string{"mood", "behaviour", "health", "safety"}
	weights := []float64{0.45, 0.25, 0.18}
	a := pickCode(r.Float64(), codes, weights...)
	if r.Float64() < 0.15 {
		b := pickCode(r.Float64(), codes, weights...)
		if b != a {
			// Canonical order, so the same pair reads the same.
			if slices.Index(codes, b) < slices.Index(codes, a) {
				a, b = b, a
			}
			return a + "," + b
		}
	}
	return a
}

// drawHelp is the help a family asks for in a term, by its categories.
func drawHelp(r *rand.Rand, cats model.CategorySet, fam int) string {
	var h []string
	add := func(code string, chance float64) {
		if r.Float64() < chance && !slices.Contains(h, code) {
			h = append(h, code)
		}
	}
	if cats.Has(model.CatPoor) || cats.Has(model.CatOrphan) {
		add("financial", 0.75)
	}
	if cats.Has(model.CatLeftBehind) || cats.Has(model.CatMigrant) {
		add("study", 0.35)
	}
	if cats.Has(model.CatLeftBehind) || cats.Has(model.CatOrphan) || cats.Has(model.CatSingleParent) {
		add("psychological", 0.25)
	}
	if cats.Has(model.CatLeftBehind) || cats.Has(model.CatSingleParent) {
		add("parenting", 0.25)
	}
	if cats.Has(model.CatDisabled) {
		add("health", 0.7)
	}
	if cats == 0 {
		add([]string{"study", "parenting"}[r.IntN(2)], 0.02+0.1*float64(fam))
	}
	// Canonical order.
	order := []string{"financial", "study", "psychological", "parenting", "health"}
	slices.SortFunc(h, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return strings.Join(h, ",")
}
