package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/importer"
	"huhang/internal/model"
)

// StaffPlan is what committing a staff list would do.
type StaffPlan struct {
	ImportCounts
	Problems []importer.Problem
	actions  []staffAction
}

type staffAction struct {
	row      importer.StaffRow
	existing int64
	same     bool
	in       StaffInput
	district int64
}

// planStaff matches rows to staff of the school by name (and phone, when
// two share a name) and reports rows that cannot be imported.
func (s *Store) planStaff(ctx context.Context, tx *sql.Tx, sc authz.Scope, schoolID int64, rows []importer.StaffRow) (*StaffPlan, error) {
	p, def, err := s.newPlanner(ctx, tx, sc, sc, schoolID)
	if err != nil {
		return nil, err
	}
	plan := &StaffPlan{}
	plan.Total = len(rows)
	for _, r := range rows {
		school, ok := p.rowSchool(def, r.SchoolCode)
		if !ok {
			plan.Problems = append(plan.Problems, problem(r.Row, "学校代码", "imp.school_out_of_scope", r.SchoolCode))
			continue
		}
		in := StaffInput{SchoolID: school.id, Name: r.Name, Gender: r.Gender, Phone: r.Phone}
		var classID int64
		if r.HasClass {
			if classID = p.classOf(school.id, r.ClassGrade, r.ClassNo); classID == 0 {
				plan.Problems = append(plan.Problems, problem(r.Row, "班级", "imp.unknown_class", model.ClassName(r.ClassGrade, r.ClassNo)))
				continue
			}
		}
		bad := false
		for _, post := range r.Posts {
			sp := model.StaffPost{Post: post}
			if post.NeedsClass() {
				if classID == 0 {
					plan.Problems = append(plan.Problems, problem(r.Row, "班级", "imp.class_teacher_needs_class"))
					bad = true
					break
				}
				sp.ClassID = classID
			}
			in.Posts = append(in.Posts, sp)
		}
		if bad {
			continue
		}
		if len(in.Posts) == 0 {
			plan.Problems = append(plan.Problems, problem(r.Row, "岗位", "imp.no_post"))
			continue
		}
		matches, err := s.staffByName(ctx, tx, school.id, r.Name, r.Phone)
		if err != nil {
			return nil, err
		}
		switch len(matches) {
		case 0:
			plan.New++
			plan.actions = append(plan.actions, staffAction{row: r, in: in, district: school.district})
		case 1:
			cur := matches[0]
			same := string(cur.Gender) == string(r.Gender) && (r.Phone == "" || cur.Phone == r.Phone) && samePosts(cur.Posts, in.Posts)
			if r.Phone == "" {
				in.Phone = cur.Phone
			}
			if same {
				plan.Unchanged++
			} else {
				plan.Updated++
			}
			plan.actions = append(plan.actions, staffAction{row: r, existing: cur.ID, same: same, in: in, district: school.district})
		default:
			plan.Problems = append(plan.Problems, problem(r.Row, "姓名", "imp.staff_ambiguous"))
		}
	}
	plan.Errors = len(plan.Problems)
	return plan, nil
}

// staffByName finds active staff of a school by name, narrowed by phone
// when one is given and several share the name.
func (s *Store) staffByName(ctx context.Context, tx *sql.Tx, schoolID int64, name, phone string) ([]model.Staff, error) {
	rows, err := tx.QueryContext(ctx, s.q("SELECT id, gender, phone FROM staff WHERE school_id = ? AND name = ? AND active = 1"), schoolID, name)
	if err != nil {
		return nil, fmt.Errorf("store: find staff: %w", err)
	}
	var out []model.Staff
	for rows.Next() {
		var x model.Staff
		if err := rows.Scan(&x.ID, &x.Gender, &x.Phone); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
	}
	rows.Close()
	if len(out) > 1 && phone != "" {
		var narrowed []model.Staff
		for _, x := range out {
			if x.Phone == phone {
				narrowed = append(narrowed, x)
			}
		}
		out = narrowed
	}
	for i := range out {
		posts, err := s.postsOf(ctx, tx, "staff_id = ?", out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Posts = posts[out[i].ID]
	}
	return out, nil
}

func samePosts(a, b []model.StaffPost) bool {
	key := func(ps []model.StaffPost) []string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s/%d", p.Post, p.ClassID))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// PlanStaffImport previews a staff list; nothing is written.
func (s *Store) PlanStaffImport(ctx context.Context, sc authz.Scope, schoolID int64, rows []importer.StaffRow) (*StaffPlan, error) {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return s.planStaff(ctx, tx, sc, schoolID, rows)
}

// CommitStaffImport applies a staff list in one transaction, all or
// nothing, like CommitStudentImport.
func (s *Store) CommitStaffImport(ctx context.Context, a Actor, sc authz.Scope, importID, schoolID int64, rows []importer.StaffRow, progress func(int)) (*StaffPlan, error) {
	var plan *StaffPlan
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.importOpen(ctx, tx, importID); err != nil {
			return err
		}
		var err error
		if plan, err = s.planStaff(ctx, tx, sc, schoolID, rows); err != nil {
			return err
		}
		if len(plan.Problems) > 0 {
			return errImportHasProblems
		}
		for i, act := range plan.actions {
			if act.same {
				continue
			}
			if err := act.in.validate(); err != nil {
				return rowError(act.row.Row, err)
			}
			id, action := act.existing, audit.ActStaffUpdate
			if id == 0 {
				action = audit.ActStaffCreate
				if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO staff (school_id, district_id, name, gender, phone, active, created_at)
					VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id`), act.in.SchoolID, act.district, act.in.Name, string(act.in.Gender), act.in.Phone, msNow(s)).Scan(&id); err != nil {
					return rowError(act.row.Row, mapErr(err))
				}
			} else if _, err := tx.ExecContext(ctx, s.q("UPDATE staff SET gender = ?, phone = ? WHERE id = ?"), string(act.in.Gender), act.in.Phone, id); err != nil {
				return rowError(act.row.Row, mapErr(err))
			}
			if err := s.setPosts(ctx, tx, id, act.in.SchoolID, act.district, act.in.Posts); err != nil {
				return rowError(act.row.Row, err)
			}
			if err := s.appendAudit(ctx, tx, a.entry(action, "staff", id, act.in.SchoolID, act.district)); err != nil {
				return err
			}
			if progress != nil && i%500 == 0 {
				progress(i)
			}
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		return s.closeImport(ctx, tx, a, importID, schoolID, "staff", plan.ImportCounts)
	})
	if errors.Is(err, errImportHasProblems) {
		return plan, nil
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}
