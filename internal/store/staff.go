package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
)

// StaffFilter narrows ListStaff.
type StaffFilter struct {
	SchoolID int64
	Post     model.Post
	Query    string
	Offset   int
	Limit    int
}

// ListStaff returns active staff in scope (D6 read) with their posts.
func (s *Store) ListStaff(ctx context.Context, sc authz.Scope, f StaffFilter) ([]model.Staff, int, error) {
	where := []string{"t.active = 1", scopePred(sc, "t.district_id", "t.school_id", "")}
	var args []any
	if f.SchoolID != 0 {
		where, args = append(where, "t.school_id = ?"), append(args, f.SchoolID)
	}
	if f.Post != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM staff_posts p WHERE p.staff_id = t.id AND p.post = ?)"), append(args, string(f.Post))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where, args = append(where, "t.name LIKE ?"), append(args, likeArg(q))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.readRow(ctx, s.q("SELECT COUNT(*) FROM staff t WHERE "+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count staff: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.readRows(ctx, s.q("SELECT t.id, t.school_id, t.district_id, t.name, t.gender, t.phone, t.active FROM staff t WHERE "+
		cond+" ORDER BY t.school_id, t.id LIMIT ? OFFSET ?"), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list staff: %w", err)
	}
	var out []model.Staff
	var ids []string
	for rows.Next() {
		var x model.Staff
		if err := rows.Scan(&x.ID, &x.SchoolID, &x.DistrictID, &x.Name, &x.Gender, &x.Phone, &x.Active); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("store: list staff: %w", err)
		}
		out = append(out, x)
		ids = append(ids, strconv.FormatInt(x.ID, 10))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	posts, err := s.postsOf(ctx, s.read, "staff_id IN ("+strings.Join(ids, ",")+")")
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].Posts = posts[out[i].ID]
	}
	return out, total, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) postsOf(ctx context.Context, q queryer, pred string, args ...any) (map[int64][]model.StaffPost, error) {
	rows, err := q.QueryContext(ctx, s.q("SELECT staff_id, post, COALESCE(class_id, 0) FROM staff_posts WHERE "+pred+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("store: staff posts: %w", err)
	}
	defer rows.Close()
	out := map[int64][]model.StaffPost{}
	for rows.Next() {
		var id int64
		var p model.StaffPost
		if err := rows.Scan(&id, &p.Post, &p.ClassID); err != nil {
			return nil, err
		}
		out[id] = append(out[id], p)
	}
	return out, rows.Err()
}

// GetStaff returns one staff member in scope, or ErrNotFound.
func (s *Store) GetStaff(ctx context.Context, sc authz.Scope, id int64) (model.Staff, error) {
	var x model.Staff
	err := s.readRow(ctx, s.q("SELECT t.id, t.school_id, t.district_id, t.name, t.gender, t.phone, t.active FROM staff t WHERE t.id = ? AND "+
		scopePred(sc, "t.district_id", "t.school_id", "")), id).Scan(&x.ID, &x.SchoolID, &x.DistrictID, &x.Name, &x.Gender, &x.Phone, &x.Active)
	if err != nil {
		return x, mapErr(err)
	}
	posts, err := s.postsOf(ctx, s.read, "staff_id = ?", id)
	x.Posts = posts[id]
	return x, err
}

// StaffInput is what a caller may set on a staff member.
type StaffInput struct {
	SchoolID int64             `json:"school_id"`
	Name     string            `json:"name"`
	Gender   model.Gender      `json:"gender"`
	Phone    string            `json:"phone"`
	Posts    []model.StaffPost `json:"posts"`
}

func (in *StaffInput) validate() error {
	var v ValidationError
	in.Name, in.Phone = strings.TrimSpace(in.Name), strings.TrimSpace(in.Phone)
	if in.SchoolID <= 0 {
		v.Add("school_id", "err.required")
	}
	if !model.ValidPersonName(in.Name) {
		v.Add("name", "err.person_name")
	}
	if !in.Gender.Valid() {
		v.Add("gender", "err.gender")
	}
	if in.Phone != "" && !model.ValidPhone(in.Phone) {
		v.Add("phone", "err.phone")
	}
	if len(in.Posts) == 0 {
		v.Add("posts", "err.required")
	}
	if len(in.Posts) > 10 {
		v.Add("posts", "err.too_many")
	}
	for i, p := range in.Posts {
		f := "posts[" + strconv.Itoa(i) + "]"
		if !p.Post.Valid() {
			v.Add(f+".post", "err.post")
		} else if p.Post.NeedsClass() && p.ClassID == 0 {
			v.Add(f+".class_id", "err.required")
		}
	}
	return v.Err()
}

// CreateStaff adds a staff member to a school in the caller's D6 write scope.
func (s *Store) CreateStaff(ctx context.Context, a Actor, sc authz.Scope, in StaffInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var districtID int64
		err := tx.QueryRowContext(ctx, s.q("SELECT district_id FROM schools WHERE id = ? AND "+scopePred(sc, "district_id", "id", "")), in.SchoolID).Scan(&districtID)
		if err == sql.ErrNoRows {
			return &ValidationError{Fields: []FieldError{{"school_id", "err.out_of_scope"}}}
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO staff (school_id, district_id, name, gender, phone, active, created_at)
			VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id`), in.SchoolID, districtID, in.Name, string(in.Gender), in.Phone, msNow(s)).Scan(&id)
		if err != nil {
			return mapErr(err)
		}
		if err := s.setPosts(ctx, tx, id, in.SchoolID, districtID, in.Posts); err != nil {
			return err
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActStaffCreate, "staff", id, in.SchoolID, districtID))
	})
	return id, err
}

// UpdateStaff replaces a staff member's name, gender, phone and posts; the
// school stays.
func (s *Store) UpdateStaff(ctx context.Context, a Actor, sc authz.Scope, id int64, in StaffInput) error {
	cur, err := s.GetStaff(ctx, sc, id)
	if err != nil {
		return err
	}
	in.SchoolID = cur.SchoolID
	if err := in.validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("UPDATE staff SET name = ?, gender = ?, phone = ? WHERE id = ?"), in.Name, string(in.Gender), in.Phone, id); err != nil {
			return mapErr(err)
		}
		if err := s.setPosts(ctx, tx, id, cur.SchoolID, cur.DistrictID, in.Posts); err != nil {
			return err
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActStaffUpdate, "staff", id, cur.SchoolID, cur.DistrictID))
	})
}

func (s *Store) setPosts(ctx context.Context, tx *sql.Tx, staffID, schoolID, districtID int64, posts []model.StaffPost) error {
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM staff_posts WHERE staff_id = ?"), staffID); err != nil {
		return fmt.Errorf("store: clear posts: %w", err)
	}
	for i, p := range posts {
		var classID any
		if p.ClassID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM classes WHERE id = ? AND school_id = ?"), p.ClassID, schoolID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &ValidationError{Fields: []FieldError{{"posts[" + strconv.Itoa(i) + "].class_id", "err.class_other_school"}}}
			}
			classID = p.ClassID
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO staff_posts (staff_id, school_id, district_id, post, class_id) VALUES (?, ?, ?, ?, ?)"),
			staffID, schoolID, districtID, string(p.Post), classID); err != nil {
			return fmt.Errorf("store: add post: %w", mapErr(err))
		}
	}
	return nil
}
