package worker

// The tests run on a real store: a fresh SQLite file per test and, when
// HUHANG_TEST_DATABASE_URL names a PostgreSQL server, a fresh schema there
// too. The fixture is one school with one class of synthetic pupils, built
// through the store's exported methods; every name is made up.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/screening"
	"huhang/internal/store"
)

const pgEnv = "HUHANG_TEST_DATABASE_URL"

// epoch is a Monday afternoon in Shanghai (08:00 UTC): a school day.
var epoch = time.Date(2026, time.March, 2, 8, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func bufferLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// eachEngine runs fn as the subtests "sqlite" and "postgres" on a fresh,
// migrated store whose clock is a fake one starting at epoch.
func eachEngine(t *testing.T, fn func(t *testing.T, st *store.Store, clock *fakeClock)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			cfg := store.Config{Logger: slog.New(slog.DiscardHandler)}
			if engine == "postgres" {
				if os.Getenv(pgEnv) == "" {
					t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", pgEnv)
				}
				cfg.DatabaseURL = freshSchema(t)
			} else {
				cfg.SQLitePath = filepath.Join(t.TempDir(), "huhang.db")
			}
			master := make([]byte, 32)
			if _, err := rand.Read(master); err != nil {
				t.Fatal(err)
			}
			keys, err := privacy.NewKeyring(master, privacy.AES256GCM)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Keyring = keys
			st, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatalf("open %s store: %v", engine, err)
			}
			t.Cleanup(func() { st.Close() })
			clock := &fakeClock{t: epoch}
			st.SetClock(clock.Now)
			fn(t, st, clock)
		})
	}
}

// freshSchema creates a schema of its own on the PostgreSQL server, drops
// it when the test ends, and returns a URL whose search_path is that schema.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", pgEnv, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", pgEnv, err)
	}
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	// Registered before the store's Close, so it runs after it.
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// fixture is one district with one school and one class of pupils, a
// running campaign with every consent given, and the three users an alert
// can address: the school's psychology teacher, the district official and
// the city official.
type fixture struct {
	st                       *store.Store
	clock                    *fakeClock
	districtID, schoolID     int64
	psych, official, cityOff int64
	pupils                   []string // names, to prove they never leave
	participants             []store.Participant
	schoolName               string
	cityScope, schoolAlerts  store.AlertScope
	nextPupil                int
}

const pupilsInClass = 4

var (
	family = []rune("罗谢邓曹彭潘袁蔡")
	given  = []rune("晓雯梓萱浩宇欣怡")
)

func newFixture(t *testing.T, st *store.Store, clock *fakeClock) *fixture {
	t.Helper()
	ctx := context.Background()
	st.SetNotifyChannels([]string{"webhook", "sms"})
	city := authz.Scope{City: true}
	f := &fixture{st: st, clock: clock, schoolName: "青岚路试验小学"}
	var err error
	f.districtID, err = st.CreateDistrict(ctx, store.SystemActor, city, store.DistrictInput{Code: "510499", Name: "青岚试验区", Kind: model.KindDistrict})
	if err != nil {
		t.Fatalf("CreateDistrict: %v", err)
	}
	f.schoolID, err = st.CreateSchool(ctx, store.SystemActor, city, store.SchoolInput{
		DistrictID: f.districtID, Code: "S91-TEST", Name: f.schoolName, Type: model.Primary})
	if err != nil {
		t.Fatalf("CreateSchool: %v", err)
	}
	classID, err := st.CreateClass(ctx, store.SystemActor, city, store.ClassInput{
		SchoolID: f.schoolID, StartYear: model.SchoolYearOf(clock.Now()), Grade: 4, Number: 1})
	if err != nil {
		t.Fatalf("CreateClass: %v", err)
	}
	for i := range pupilsInClass {
		name := string(family[i]) + string(given[2*i]) + string(given[2*i+1])
		birth := fmt.Sprintf("2016-%02d-%02d", 3+i, 10+i)
		no := "L510402" + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%04d", 700+i)
		g := model.Female
		_, err := st.CreateStudent(ctx, store.SystemActor, city, city, store.StudentInput{
			ClassID: &classID, StudentNo: &no, Name: &name, Gender: &g, BirthDate: &birth})
		if err != nil {
			t.Fatalf("CreateStudent: %v", err)
		}
		f.pupils = append(f.pupils, name)
	}
	user := func(username string, asg authz.Assignment) int64 {
		id, err := st.CreateUser(ctx, store.SystemActor, store.NewUser{Username: username, DisplayName: username, PasswordHash: "x",
			Assignments: []authz.Assignment{asg}})
		if err != nil {
			t.Fatalf("CreateUser %s: %v", username, err)
		}
		return id
	}
	f.psych = user("psych9", authz.At(authz.PsychTeacher, f.schoolID))
	f.official = user("district9", authz.At(authz.DistrictOfficial, f.districtID))
	f.cityOff = user("city9", authz.At(authz.CityOfficial, 0))

	campaign, err := st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{
		Name: "心理普查（测试）", Instruments: []string{"phq9"},
		OpensAt: clock.Now().Add(-time.Hour), ClosesAt: clock.Now().Add(14 * 24 * time.Hour), SchoolIDs: []int64{f.schoolID},
	}, func(code string) bool { return code == "phq9" })
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	roster, err := st.CampaignClassRoster(ctx, store.SystemActor, city, campaign, classID, true)
	if err != nil || len(roster) != pupilsInClass {
		t.Fatalf("roster: %d rows, %v", len(roster), err)
	}
	var consent []store.ConsentInput
	for _, r := range roster {
		consent = append(consent, store.ConsentInput{ParticipantID: r.ParticipantID, Status: store.ConsentGiven, Method: "paper"})
	}
	if _, err := st.SetConsent(ctx, store.SystemActor, city, campaign, consent); err != nil {
		t.Fatalf("SetConsent: %v", err)
	}
	for _, r := range roster {
		p, err := st.ParticipantByCode(ctx, r.Code)
		if err != nil {
			t.Fatalf("ParticipantByCode: %v", err)
		}
		f.participants = append(f.participants, p)
	}
	f.cityScope = store.AlertScope{Direct: city}
	f.schoolAlerts = store.AlertScope{Direct: authz.Scope{Schools: []int64{f.schoolID}}}
	return f
}

// raise submits the next pupil's answers with a critical item, raising an
// alert due by the default policy, or at due when it is not zero.
func (f *fixture) raise(t *testing.T, due time.Time) int64 {
	t.Helper()
	if f.nextPupil == len(f.participants) {
		t.Fatal("fixture has no pupil left to raise an alert for")
	}
	p := f.participants[f.nextPupil]
	f.nextPupil++
	if due.IsZero() {
		due = screening.DefaultPolicy().DueAt(screening.SevCritical, f.clock.Now())
	}
	res, err := f.st.Submit(context.Background(), &store.Submission{
		Participant: p, Detail: []byte(`{"answers":{"phq9":[1,1,1,1,1,1,1,1,2]}}`), Tier: 3, Critical: true,
		Reasons: []string{"critical_item:phq9:9"}, Duration: 4 * time.Minute, IP: "192.0.2.9", RequestID: "req-worker",
		Alert: &store.AlertSpec{Severity: string(screening.SevCritical), Reason: "critical_item:phq9:9", DueAt: due},
	})
	if err != nil || res.AlertID == 0 {
		t.Fatalf("Submit: alert %d, %v", res.AlertID, err)
	}
	return res.AlertID
}

func (f *fixture) alert(t *testing.T, id int64) store.Alert {
	t.Helper()
	a, _, err := f.st.GetAlert(context.Background(), f.cityScope, id, false)
	if err != nil {
		t.Fatalf("GetAlert %d: %v", id, err)
	}
	return a
}

func (f *fixture) counts(t *testing.T) map[string]int {
	t.Helper()
	c, err := f.st.NotificationCounts(context.Background())
	if err != nil {
		t.Fatalf("NotificationCounts: %v", err)
	}
	return c
}

// wantNoPersonalData fails when text holds a pupil's name (or any single
// character of one) or the school's name.
func (f *fixture) wantNoPersonalData(t *testing.T, what, text string) {
	t.Helper()
	for _, name := range f.pupils {
		if strings.ContainsAny(text, name) {
			t.Errorf("%s holds a character of the pupil name %q: %s", what, name, text)
		}
	}
	if strings.Contains(text, f.schoolName) {
		t.Errorf("%s names the school: %s", what, text)
	}
}

func TestEscalatorClimbsOneLevelPerDeadline(t *testing.T) {
	eachEngine(t, func(t *testing.T, st *store.Store, clock *fakeClock) {
		ctx := context.Background()
		f := newFixture(t, st, clock)
		e := &Escalator{Store: st, Policy: screening.DefaultPolicy(), Now: clock.Now}
		ignored := f.raise(t, time.Time{})
		handled := f.raise(t, time.Time{})
		ack := func(cur store.AlertCore) (store.AlertCore, error) {
			next, err := screening.Apply(toScreening(cur), screening.ActAcknowledge, clock.Now(), "", e.Policy)
			return fromScreening(cur, next), err
		}
		if _, err := st.ActOnAlert(ctx, store.Actor{UserID: f.psych, Role: string(authz.PsychTeacher)}, f.schoolAlerts, handled,
			"acknowledged", "", ack); err != nil {
			t.Fatalf("acknowledge: %v", err)
		}

		steps := []struct {
			name      string
			advance   time.Duration
			escalated int
			level     int
		}{
			{"nothing escalates before the deadline", 2*time.Hour - time.Minute, 0, store.LevelSchool},
			{"a critical alert reaches the district after 2 hours", time.Minute, 1, store.LevelDistrict},
			{"the district gets 2 hours of its own", 2*time.Hour - time.Minute, 0, store.LevelDistrict},
			{"and then the city", time.Minute, 1, store.LevelCity},
			{"nothing is above the city", 48 * time.Hour, 0, store.LevelCity},
		}
		for _, s := range steps {
			clock.Advance(s.advance)
			n, err := e.RunOnce(ctx)
			if err != nil || n != s.escalated {
				t.Fatalf("%s: escalated %d (%v), want %d", s.name, n, err, s.escalated)
			}
			if a := f.alert(t, ignored); a.Level != s.level || a.State == "acknowledged" {
				t.Fatalf("%s: alert at level %d state %s, want level %d", s.name, a.Level, a.State, s.level)
			}
			if a := f.alert(t, handled); a.Level != store.LevelSchool || a.State != "acknowledged" {
				t.Fatalf("%s: acknowledged alert at level %d state %s; it must stay at the school", s.name, a.Level, a.State)
			}
		}
		t.Run("the district and the city are told, each time on every channel", func(t *testing.T) {
			c := f.counts(t)
			// Two raised (one message each), two escalations (one each).
			if c["webhook/pending"] != 4 {
				t.Errorf("webhook messages %d, want 4 (%v)", c["webhook/pending"], c)
			}
			// The psychology teacher twice (two alerts), the district and
			// the city official once each.
			if c["sms/pending"] != 4 {
				t.Errorf("text messages %d, want 4 (%v)", c["sms/pending"], c)
			}
		})
	})
}

// receiver is a webhook endpoint that records what it gets and answers 500
// to the first failFirst requests, 204 after.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	failures atomic.Int32
}

func newReceiver(t *testing.T, failFirst int32) *receiver {
	r := &receiver{}
	r.failures.Store(failFirst)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		if r.failures.Add(-1) >= 0 {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() ([][]byte, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), append([]http.Header(nil), r.headers...)
}

func TestDispatcherDeliversWithoutPersonalData(t *testing.T) {
	eachEngine(t, func(t *testing.T, st *store.Store, clock *fakeClock) {
		ctx := context.Background()
		f := newFixture(t, st, clock)
		secret := []byte("a shared secret for the test")
		signed, plain := newReceiver(t, 0), newReceiver(t, 0)
		smsLog, smsBuf := bufferLogger()
		d := &Dispatcher{Store: st, Logger: slog.New(slog.DiscardHandler), Channels: []Channel{
			Webhook{URL: signed.srv.URL, Client: signed.srv.Client(), Secret: secret},
			SMS{Gateway: LogSMS{Logger: smsLog}},
		}}
		id := f.raise(t, time.Time{})
		sent, failed, err := d.RunOnce(ctx)
		if err != nil || sent != 2 || failed != 0 {
			t.Fatalf("RunOnce: sent %d failed %d (%v), want one webhook and one text to the psychology teacher", sent, failed, err)
		}
		if c := f.counts(t); c["webhook/sent"] != 1 || c["sms/sent"] != 1 || c["webhook/pending"]+c["sms/pending"] != 0 {
			t.Errorf("outbox after delivery: %v", c)
		}
		bodies, headers := signed.requests()
		if len(bodies) != 1 {
			t.Fatalf("webhook received %d requests", len(bodies))
		}
		t.Run("the webhook body names the alert by id and link only", func(t *testing.T) {
			var m Message
			if err := json.Unmarshal(bodies[0], &m); err != nil {
				t.Fatalf("body %s: %v", bodies[0], err)
			}
			want := Message{NotificationID: m.NotificationID, AlertID: id, Severity: "critical", Level: "school",
				SchoolID: f.schoolID, DistrictID: f.districtID, Link: "/alerts/" + strconv.FormatInt(id, 10)}
			if m != want || m.NotificationID == 0 {
				t.Errorf("message %+v, want %+v", m, want)
			}
			f.wantNoPersonalData(t, "webhook body", string(bodies[0]))
			var fields map[string]any
			_ = json.Unmarshal(bodies[0], &fields)
			for k := range fields {
				switch k {
				case "notification_id", "alert_id", "severity", "level", "school_id", "district_id", "link":
				default:
					t.Errorf("webhook body has an unexpected field %q", k)
				}
			}
		})
		t.Run("a webhook with a secret is signed", func(t *testing.T) {
			got := headers[0].Get(SignatureHeader)
			if got != Sign(secret, bodies[0]) || !strings.HasPrefix(got, "sha256=") {
				t.Errorf("%s = %q, want %q", SignatureHeader, got, Sign(secret, bodies[0]))
			}
			if ct := headers[0].Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
		t.Run("a webhook without a secret is not", func(t *testing.T) {
			w := Webhook{URL: plain.srv.URL, Client: plain.srv.Client()}
			if err := w.Send(ctx, Message{AlertID: id, Link: "/alerts/1"}); err != nil {
				t.Fatal(err)
			}
			_, hs := plain.requests()
			if v, ok := hs[0][SignatureHeader]; ok {
				t.Errorf("unsigned webhook sent %s: %v", SignatureHeader, v)
			}
		})
		t.Run("the text goes to the user by id and says only that an alert waits", func(t *testing.T) {
			out := smsBuf.String()
			if !strings.Contains(out, "user_id="+strconv.FormatInt(f.psych, 10)) {
				t.Errorf("SMS log lacks the recipient's user id: %s", out)
			}
			if !strings.Contains(out, "编号 "+strconv.FormatInt(id, 10)) || !strings.Contains(out, "【护航】") {
				t.Errorf("SMS text lacks the alert number: %s", out)
			}
			f.wantNoPersonalData(t, "SMS log", out)
		})
		t.Run("a delivered message is not sent again", func(t *testing.T) {
			if sent, failed, err := d.RunOnce(ctx); sent != 0 || failed != 0 || err != nil {
				t.Errorf("second round: sent %d failed %d (%v)", sent, failed, err)
			}
		})
	})
}

func TestDispatcherRetriesThenGivesUp(t *testing.T) {
	eachEngine(t, func(t *testing.T, st *store.Store, clock *fakeClock) {
		ctx := context.Background()
		f := newFixture(t, st, clock)
		logger, logs := bufferLogger()

		t.Run("a receiver that recovers gets the message on a later round", func(t *testing.T) {
			r := newReceiver(t, 2)
			d := &Dispatcher{Store: st, MaxAttempts: 5, Logger: logger, Channels: []Channel{
				Webhook{URL: r.srv.URL, Client: r.srv.Client()}, SMS{Gateway: LogSMS{Logger: slog.New(slog.DiscardHandler)}}}}
			f.raise(t, time.Time{})
			for round, want := range []struct{ sent, failed int }{{1, 1}, {0, 1}, {1, 0}, {0, 0}} {
				sent, failed, err := d.RunOnce(ctx)
				if err != nil || sent != want.sent || failed != want.failed {
					t.Fatalf("round %d: sent %d failed %d (%v), want %d and %d", round+1, sent, failed, err, want.sent, want.failed)
				}
			}
			if c := f.counts(t); c["webhook/sent"] != 1 || c["sms/sent"] != 1 {
				t.Errorf("outbox %v", c)
			}
		})

		t.Run("a receiver that keeps failing: failed after MaxAttempts", func(t *testing.T) {
			r := newReceiver(t, 1000)
			// Only the webhook is configured: the texts have nowhere to go.
			d := &Dispatcher{Store: st, MaxAttempts: 3, Logger: logger, Channels: []Channel{Webhook{URL: r.srv.URL, Client: r.srv.Client()}}}
			f.raise(t, time.Time{})
			f.raise(t, time.Time{})
			sent, failed, err := d.RunOnce(ctx)
			// One webhook attempt (the second waits once the first
			// failed) and both texts refused outright.
			if err != nil || sent != 0 || failed != 3 {
				t.Fatalf("round 1: sent %d failed %d (%v)", sent, failed, err)
			}
			if c := f.counts(t); c["sms/failed"] != 2 || c["webhook/pending"] != 2 {
				t.Errorf("after round 1: %v; a channel that is not configured fails at once", c)
			}
			if !strings.Contains(logs.String(), `channel \"sms\" is not configured`) {
				t.Errorf("log does not say why the texts failed: %s", logs)
			}
			for round := 2; round <= 6; round++ {
				if _, _, err := d.RunOnce(ctx); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if c := f.counts(t); c["webhook/failed"] != 2 || c["webhook/pending"] != 0 {
				t.Errorf("after the attempts ran out: %v", c)
			}
			if bodies, _ := r.requests(); len(bodies) != 2*3 {
				t.Errorf("receiver saw %d requests, want 3 attempts for each of 2 messages", len(bodies))
			}
			if sent, failed, err := d.RunOnce(ctx); sent+failed != 0 || err != nil {
				t.Errorf("a failed message was tried again: sent %d failed %d (%v)", sent, failed, err)
			}
		})
		f.wantNoPersonalData(t, "dispatcher log", logs.String())
		if strings.Contains(logs.String(), "127.0.0.1") {
			t.Errorf("dispatcher log names the webhook address: %s", logs)
		}
	})
}

func TestWebhookErrorsDoNotCarryItsURL(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	addr := srv.URL
	srv.Close() // nothing listens any more
	err := Webhook{URL: addr + "/hook?token=s3cret"}.Send(context.Background(), Message{AlertID: 1})
	if err == nil {
		t.Fatal("a webhook to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error carries the URL's token: %v", err)
	}
}

func TestStartRunsBothJobsUntilStopped(t *testing.T) {
	eachEngine(t, func(t *testing.T, st *store.Store, clock *fakeClock) {
		f := newFixture(t, st, clock)
		r := newReceiver(t, 0)
		// Overdue from the start: the escalator has work at once.
		id := f.raise(t, clock.Now().Add(-time.Minute))
		logger, logs := bufferLogger()
		stop := Start(context.Background(),
			&Escalator{Store: st, Interval: 10 * time.Millisecond, Now: clock.Now, Logger: logger},
			&Dispatcher{Store: st, Interval: 10 * time.Millisecond, Logger: logger, Channels: []Channel{
				Webhook{URL: r.srv.URL, Client: r.srv.Client()}, SMS{Gateway: LogSMS{Logger: logger}}}})
		deadline := time.Now().Add(20 * time.Second)
		for {
			// Raised at the school, escalated to the district: two posts.
			if bodies, _ := r.requests(); len(bodies) >= 2 {
				break
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("background jobs delivered nothing in time; log: %s", logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		stop() // a second stop is harmless
		if a := f.alert(t, id); a.Level != store.LevelDistrict {
			t.Errorf("alert at level %d, want the district", a.Level)
		}
		out := logs.String()
		for _, want := range []string{"alerts escalated", "count=1", "notifications dispatched", "user_id=" + strconv.FormatInt(f.official, 10)} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q: %s", want, out)
			}
		}
		f.wantNoPersonalData(t, "worker log", out)
	})
}
