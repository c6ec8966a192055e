package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
)

// assistAgencies adds one agency of each kind: civil affairs, the 12355
// service, the Women's Federation and the diagnosis centre (to which no
// list may go).
func assistAgencies(t *testing.T, s *Store) (civil, league, women, health int64) {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, 4)
	for i, a := range []model.Agency{{Kind: model.AgencyCivil, Name: "测试民政局"}, {Kind: model.Agency12355, Name: "测试12355服务台"},
		{Kind: model.AgencyWomen, Name: "测试妇联"}, {Kind: model.AgencyHealthCentre, Name: "测试诊疗中心"}} {
		id, err := s.CreateAgency(ctx, SystemActor, a)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids[0], ids[1], ids[2], ids[3]
}

func TestAssistanceListLifecycle(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		civil, league, women, health := assistAgencies(t, s)
		school, class := c.schools[0][0], c.classes[0][0][0]
		sc := schoolScope(school)
		// Pupils of the school (left-behind and poor), one without a
		// category, and a pupil of another school.
		a1 := kpPupil(t, s, class, 401, nil, model.CatLeftBehind, model.CatPoor)
		a2 := kpPupil(t, s, c.classes[0][0][1], 402, nil, model.CatSingleParent)
		plain := kpPupil(t, s, class, 403, nil)
		elsewhere := kpPupil(t, s, c.classes[0][1][0], 404, nil, model.CatPoor)

		t.Run("a list is made for a school in scope and an agency that takes lists", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				in   AssistListInput
				want []string
			}{
				{"another school", AssistListInput{SchoolID: c.schools[0][1], AgencyID: civil, Title: "名单"}, []string{"school_id=err.out_of_scope"}},
				{"the diagnosis centre", AssistListInput{SchoolID: school, AgencyID: health, Title: "名单"}, []string{"agency_id=assist.err_agency"}},
				{"no such agency, no title", AssistListInput{SchoolID: school, AgencyID: 999999, Title: "  "},
					[]string{"title=assist.err_title", "agency_id=assist.err_agency"}},
				{"a title too long", AssistListInput{SchoolID: school, AgencyID: civil, Title: strings.Repeat("长", 101)}, []string{"title=assist.err_title"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := rowCounts(t, s, "assist_lists", "audit_log")
					_, err := s.CreateAssistList(ctx, testActor, sc, tc.in)
					var got []string
					var fe *FieldError
					if errors.As(err, &fe) {
						got = []string{fe.Field + "=" + fe.Key}
					} else {
						got = keysOf(t, err)
					}
					if !slices.Equal(got, tc.want) {
						t.Errorf("errors %v, want %v", got, tc.want)
					}
					if after := rowCounts(t, s, "assist_lists", "audit_log"); after["assist_lists"] != before["assist_lists"] || after["audit_log"] != before["audit_log"] {
						t.Errorf("stored on refusal: %v → %v", before, after)
					}
				})
			}
		})

		id, err := s.CreateAssistList(ctx, testActor, sc, AssistListInput{SchoolID: school, AgencyID: civil, Title: "  2026年春季帮扶名单 "})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SendAssistList(ctx, testActor, sc, id); !errors.As(err, new(*FieldError)) {
			t.Errorf("sending an empty list: %v", err)
		}

		t.Run("pupils are added all or nothing, each refusal named", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				in   []AssistItemInput
				want []string
			}{
				{"a pupil of another school", []AssistItemInput{{StudentID: a1, Category: "poor", Help: "financial"},
					{StudentID: elsewhere, Category: "poor", Help: "financial"}}, []string{"items[1].student_id=assist.err_student"}},
				{"no such pupil", []AssistItemInput{{StudentID: 99999999, Category: "poor", Help: "study"}}, []string{"items[0].student_id=assist.err_student"}},
				{"a category the pupil does not hold", []AssistItemInput{{StudentID: plain, Category: "poor", Help: "study"}},
					[]string{"items[0].category=assist.err_category_held"}},
				{"unknown codes", []AssistItemInput{{StudentID: a1, Category: "rich", Help: "money"}},
					[]string{"items[0].category=assist.err_category", "items[0].help=assist.err_help"}},
				{"other help without a word", []AssistItemInput{{StudentID: a1, Category: "poor", Help: "other", Detail: " "}},
					[]string{"items[0].detail=assist.err_detail_needed"}},
				{"a detail too long", []AssistItemInput{{StudentID: a1, Category: "poor", Help: "study", Detail: strings.Repeat("字", 201)}},
					[]string{"items[0].detail=assist.err_detail_long"}},
				{"a pupil twice", []AssistItemInput{{StudentID: a1, Category: "poor", Help: "study"}, {StudentID: a1, Category: "left_behind", Help: "study"}},
					[]string{"items[1].student_id=assist.err_twice"}},
				{"nothing", nil, []string{"items=assist.err_no_items"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := rowCounts(t, s, "assist_items", "audit_log")
					_, err := s.AddAssistItems(ctx, testActor, sc, id, tc.in)
					if got := keysOf(t, err); !slices.Equal(got, tc.want) {
						t.Errorf("errors %v, want %v", got, tc.want)
					}
					if after := rowCounts(t, s, "assist_items", "audit_log"); after["assist_items"] != before["assist_items"] || after["audit_log"] != before["audit_log"] {
						t.Errorf("stored on refusal: %v → %v", before, after)
					}
				})
			}
			wantNotFound(t, "a list of another school", func() error {
				_, err := s.AddAssistItems(ctx, testActor, schoolScope(c.schools[0][1]), id, []AssistItemInput{{StudentID: elsewhere, Category: "poor", Help: "study"}})
				return err
			}())
		})

		t.Run("suggestions are the school's pupils in difficulty not yet listed", func(t *testing.T) {
			sg, err := s.AssistSuggestions(ctx, testActor, sc, id)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[int64][]model.Category{}
			for _, x := range sg {
				ids[x.StudentID] = x.Categories
			}
			if !slices.Equal(ids[a1], []model.Category{model.CatPoor, model.CatLeftBehind}) || !slices.Equal(ids[a2], []model.Category{model.CatSingleParent}) {
				t.Errorf("suggestions %v", ids)
			}
			if _, ok := ids[plain]; ok {
				t.Errorf("a pupil without a category is suggested")
			}
			if _, ok := ids[elsewhere]; ok {
				t.Errorf("another school's pupil is suggested")
			}
		})

		n, err := s.AddAssistItems(ctx, testActor, sc, id, []AssistItemInput{{StudentID: a1, Category: "left_behind", Help: "psychological", Detail: "父母在外务工"},
			{StudentID: a2, Category: "single_parent", Help: "financial"}})
		if err != nil || n != 2 {
			t.Fatalf("add: %d, %v", n, err)
		}
		if _, err := s.AddAssistItems(ctx, testActor, sc, id, []AssistItemInput{{StudentID: a1, Category: "poor", Help: "study"}}); !slices.Equal(keysOf(t, err),
			[]string{"items[0].student_id=assist.err_listed"}) {
			t.Errorf("a pupil already listed: %v", err)
		}
		// A list to another agency of another school (for the agency checks).
		otherList, err := s.CreateAssistList(ctx, testActor, cityScope, AssistListInput{SchoolID: c.schools[0][1], AgencyID: women, Title: "兄弟校名单"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddAssistItems(ctx, testActor, cityScope, otherList, []AssistItemInput{{StudentID: elsewhere, Category: "poor", Help: "study"}}); err != nil {
			t.Fatal(err)
		}

		t.Run("agencies see no draft", func(t *testing.T) {
			ls, err := s.AgencyAssistLists(ctx, []int64{civil})
			if err != nil || len(ls) != 0 {
				t.Errorf("civil affairs sees %v, %v before the list is sent", ls, err)
			}
			if _, _, err := s.AgencyAssistList(ctx, testActor, []int64{civil}, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("a draft opened by its agency: %v", err)
			}
		})

		if err := s.SendAssistList(ctx, testActor, sc, id); err != nil {
			t.Fatal(err)
		}
		if err := s.SendAssistList(ctx, testActor, cityScope, otherList); err != nil {
			t.Fatal(err)
		}

		t.Run("a sent list is not edited", func(t *testing.T) {
			_, err := s.AddAssistItems(ctx, testActor, sc, id, []AssistItemInput{{StudentID: a1, Category: "poor", Help: "study"}})
			for _, err := range []error{err, s.UpdateAssistList(ctx, testActor, sc, id, AssistListInput{AgencyID: league, Title: "改"}),
				s.RemoveAssistItem(ctx, testActor, sc, id, 1), s.SendAssistList(ctx, testActor, sc, id)} {
				if !errors.Is(err, ErrAssistSent) {
					t.Errorf("change of a sent list: %v", err)
				}
			}
		})

		var items []AgencyItem
		t.Run("an agency sees its lists only, with only what it needs", func(t *testing.T) {
			ls, err := s.AgencyAssistLists(ctx, []int64{civil})
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) != 1 || ls[0].ID != id || ls[0].Items != 2 || ls[0].Pending != 2 || ls[0].SchoolName != "测试第11小学" || ls[0].Title != "2026年春季帮扶名单" {
				t.Errorf("civil affairs' lists: %+v", ls)
			}
			for _, agencies := range [][]int64{{league}, {women}, nil} {
				if _, _, err := s.AgencyAssistList(ctx, testActor, agencies, id); !errors.Is(err, ErrNotFound) {
					t.Errorf("agencies %v open civil affairs' list: %v", agencies, err)
				}
			}
			before := auditCount(t, s)
			var l AssistList
			l, items, err = s.AgencyAssistList(ctx, testActor, []int64{league, civil}, id)
			if err != nil {
				t.Fatal(err)
			}
			if e := lastAudit(t, s); auditCount(t, s) != before+1 || e.Action != "assist.agency_read" || e.ObjectID != id || e.SchoolID != school {
				t.Errorf("the agency's read is not audited: %+v", e)
			}
			if l.AgencyID != civil || len(items) != 2 {
				t.Fatalf("list %+v with %d items", l, len(items))
			}
			fs := newStudent(t, 401)
			x := items[0]
			if x.Name != fs.name || x.Gender != "F" || x.SchoolName != "测试第11小学" || x.Grade != "四年级" || x.Category != "left_behind" ||
				x.Help != "psychological" || x.Detail != "父母在外务工" || x.GuardianName != fs.guardians[0].Name || x.GuardianPhone != fs.guardians[0].Phone {
				t.Errorf("agency item = %+v", x)
			}

			// What the agency reads is what left the school when the list
			// was sent, sealed: a guardian changed since is not disclosed.
			gs := []model.Guardian{{Name: "测试新监护人", Relation: fs.guardians[0].Relation, Phone: "13900001111"}}
			if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, a1, StudentInput{Guardians: &gs}); err != nil {
				t.Fatal(err)
			}
			_, again, err := s.AgencyAssistList(ctx, testActor, []int64{civil}, id)
			if err != nil {
				t.Fatal(err)
			}
			if again[0].GuardianPhone != fs.guardians[0].Phone || again[0].GuardianName != fs.guardians[0].Name {
				t.Errorf("after the roster changed the agency reads %q %q, want what was sent", again[0].GuardianName, again[0].GuardianPhone)
			}
			var packet []byte
			if err := s.read.QueryRowContext(ctx, s.q("SELECT packet FROM assist_items WHERE id = ?"), again[0].ID).Scan(&packet); err != nil {
				t.Fatal(err)
			}
			if len(packet) == 0 || strings.Contains(string(packet), fs.guardians[0].Phone) || strings.Contains(string(packet), fs.name) {
				t.Errorf("the sent packet is not sealed: %q", packet)
			}
		})

		t.Run("answers are all or nothing; a closed list takes none", func(t *testing.T) {
			var otherItem int64
			if err := s.write.QueryRowContext(ctx, s.q("SELECT id FROM assist_items WHERE list_id = ?"), otherList).Scan(&otherItem); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				in   []AssistAnswerInput
				want []string
			}{
				{"an unknown answer", []AssistAnswerInput{{ItemID: items[0].ID, Answer: "maybe"}}, []string{"answers[0].answer=assist.err_answer"}},
				{"a note too long", []AssistAnswerInput{{ItemID: items[0].ID, Answer: "received", Note: strings.Repeat("长", 501)}},
					[]string{"answers[0].note=assist.err_note_long"}},
				{"an item of another agency's list", []AssistAnswerInput{{ItemID: items[0].ID, Answer: "received"}, {ItemID: otherItem, Answer: "assisted"}},
					[]string{"answers[1].item_id=assist.err_item_unknown"}},
				{"an item twice", []AssistAnswerInput{{ItemID: items[0].ID, Answer: "received"}, {ItemID: items[0].ID, Answer: "assisted"}},
					[]string{"answers[1].item_id=assist.err_item_twice"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := auditCount(t, s)
					_, err := s.AnswerAssistItems(ctx, testActor, []int64{civil}, id, tc.in)
					if got := keysOf(t, err); !slices.Equal(got, tc.want) {
						t.Errorf("errors %v, want %v", got, tc.want)
					}
					if n := count(t, s, "assist_items", "answer <> ''"); n != 0 || auditCount(t, s) != before {
						t.Errorf("stored on refusal: %d answers", n)
					}
				})
			}
			_, err := s.AnswerAssistItems(ctx, testActor, []int64{women}, id, []AssistAnswerInput{{ItemID: items[0].ID, Answer: "received"}})
			wantNotFound(t, "another agency answers", err)
			_, err = s.AnswerAssistItems(ctx, testActor, []int64{women}, id, nil)
			wantNotFound(t, "another agency answers nothing", err)
			before := auditCount(t, s)
			answers := []AssistAnswerInput{{ItemID: items[0].ID, Answer: "assisted", Note: "已发放助学金"}, {ItemID: items[1].ID, Answer: "received"}}
			if n, err := s.AnswerAssistItems(ctx, testActor, []int64{civil}, id, answers); err != nil || n != 2 {
				t.Fatalf("answers: %d, %v", n, err)
			}
			if got := auditCount(t, s) - before; got != 2 {
				t.Errorf("%d audit entries for two answers", got)
			}
			// The same answers again change nothing and are not audited.
			if n, err := s.AnswerAssistItems(ctx, testActor, []int64{civil}, id, answers); err != nil || n != 0 || auditCount(t, s)-before != 2 {
				t.Errorf("answers given again: %d changed, %v, %d entries", n, err, auditCount(t, s)-before)
			}
			l, its, err := s.GetAssistList(ctx, testActor, sc, id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Assisted != 1 || l.Received != 1 || l.Pending != 0 || l.Channel != "system" {
				t.Errorf("figures %+v", l)
			}
			for _, x := range its {
				if x.StudentID == a1 && (x.Answer != "assisted" || x.AnswerNote != "已发放助学金" || x.AnsweredAt.IsZero() || x.Name != newStudent(t, 401).name) {
					t.Errorf("the school sees %+v", x)
				}
			}
			if _, _, err := s.GetAssistList(ctx, testActor, schoolScope(c.schools[0][1]), id); !errors.Is(err, ErrNotFound) {
				t.Errorf("another school reads the list: %v", err)
			}
		})

		t.Run("answers come back from the workbook, named by item", func(t *testing.T) {
			var otherItem int64
			if err := s.write.QueryRowContext(ctx, s.q("SELECT id FROM assist_items WHERE list_id = ?"), otherList).Scan(&otherItem); err != nil {
				t.Fatal(err)
			}
			// Another list of a school in the caller's scope is named as
			// such; for the school alone, the sibling's list is unknown.
			for _, tc := range []struct {
				sc   authz.Scope
				want string
			}{{districtScope(c.districts[0]), "assist.err_item_other_list"}, {sc, "assist.err_item_unknown"}} {
				_, err := s.ImportAssistAnswers(ctx, testActor, tc.sc, id,
					[]AssistAnswerInput{{ItemID: items[0].ID, Answer: "declined"}, {ItemID: otherItem, Answer: "declined"}})
				if got := keysOf(t, err); !slices.Equal(got, []string{"answers[1].item_id=" + tc.want}) {
					t.Errorf("errors %v, want %s", got, tc.want)
				}
			}
			if _, err := s.ImportAssistAnswers(ctx, testActor, sc, id, []AssistAnswerInput{{ItemID: 88888888, Answer: "declined"}}); !slices.Equal(keysOf(t, err),
				[]string{"answers[0].item_id=assist.err_item_unknown"}) {
				t.Errorf("unknown item: %v", err)
			}
			n, err := s.ImportAssistAnswers(ctx, testActor, sc, id, []AssistAnswerInput{{ItemID: items[1].ID, Answer: "declined", Note: "不符合条件"}})
			if err != nil || n != 1 {
				t.Fatalf("import: %d %v", n, err)
			}
			l, _, _ := s.GetAssistList(ctx, testActor, sc, id)
			if l.Channel != "excel" || l.Declined != 1 || l.Assisted != 1 {
				t.Errorf("after the import: %+v", l)
			}
			if err := s.CloseAssistList(ctx, testActor, sc, id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AnswerAssistItems(ctx, testActor, []int64{civil}, id, []AssistAnswerInput{{ItemID: items[0].ID, Answer: "declined"}}); !errors.Is(err, ErrAssistClosed) {
				t.Errorf("answer to a closed list: %v", err)
			}
			if _, err := s.ImportAssistAnswers(ctx, testActor, sc, id, []AssistAnswerInput{{ItemID: items[0].ID, Answer: "declined"}}); !errors.Is(err, ErrAssistClosed) {
				t.Errorf("import into a closed list: %v", err)
			}
			if ls, _ := s.AgencyAssistLists(ctx, []int64{civil}); len(ls) != 1 || ls[0].State != "closed" {
				t.Errorf("a closed list stays in its agency's inbox: %+v", ls)
			}
			// …as counts only: its pupils are no longer the agency's to read.
			if _, got, err := s.AgencyAssistList(ctx, testActor, []int64{civil}, id); !errors.Is(err, ErrNotFound) || len(got) != 0 {
				t.Errorf("the agency still reads a closed list's pupils: %d items, %v", len(got), err)
			}
		})

		t.Run("figures per school for the lists sent in a period", func(t *testing.T) {
			from, to := testEpoch.Add(-time.Hour), testEpoch.Add(time.Hour)
			st, err := s.AssistStats(ctx, districtScope(c.districts[0]), from, to)
			if err != nil {
				t.Fatal(err)
			}
			if got := st[school]; got != (AssistStat{Listed: 2, Assisted: 1, Declined: 1}) {
				t.Errorf("school: %+v", got)
			}
			if got := st[c.schools[0][1]]; got != (AssistStat{Listed: 1, Pending: 1}) {
				t.Errorf("sibling school: %+v", got)
			}
			st, _ = s.AssistStats(ctx, districtScope(c.districts[1]), from, to)
			if len(st) != 0 {
				t.Errorf("another district's figures: %v", st)
			}
			st, _ = s.AssistStats(ctx, cityScope, to, to.Add(time.Hour))
			if len(st) != 0 {
				t.Errorf("lists sent before the period are counted: %v", st)
			}
		})
	})
}
