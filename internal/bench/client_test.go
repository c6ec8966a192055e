package bench

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    map[Kind]int
		wantErr bool
	}{
		{"district=1,school=2,class=2", map[Kind]int{District: 1, School: 2, Class: 2}, false},
		{" class = 3 ", map[Kind]int{Class: 3}, false},
		{"district=0,school=1", map[Kind]int{District: 0, School: 1}, false},
		{"visits=1", map[Kind]int{Visits: 1}, false},
		{"student=1", nil, true},
		{"school=-1", nil, true},
		{"school", nil, true},
		{"district=0", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMix(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMix(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !maps.Equal(got, tt.want) {
				t.Errorf("ParseMix(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoginWaitsOutTheRateLimit(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/login" || r.PostFormValue("username") != "city" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "huhang_session", Value: "tok"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	defer srv.Close()
	s, err := Login(context.Background(), NewClient(5*time.Second), srv.URL, "city", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if s.Cookie != "huhang_session=tok" || calls.Load() != 2 {
		t.Errorf("got cookie %q after %d attempts, want huhang_session=tok after 2", s.Cookie, calls.Load())
	}
}

func TestLoginRejectsAWrongPassword(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	if _, err := Login(context.Background(), NewClient(5*time.Second), srv.URL, "city", "wrong"); err == nil {
		t.Error("a 401 answer gave a session")
	}
}
