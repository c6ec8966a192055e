package screening_test

import (
	"fmt"
	"time"

	"huhang/internal/screening"
)

// A pupil of 14 answers the PHQ-A with a low total but "several days" on
// item 9: the assessment is red and critical, and the alert is due within
// two hours.
func ExampleAssess() {
	reg, err := screening.NewRegistry()
	if err != nil {
		panic(err)
	}
	phqa, _ := reg.Get("phqa")
	answers := [][]int{{1, 0, 1, 0, 0, 0, 0, 0, 1}}
	a, err := screening.Assess([]*screening.Instrument{phqa}, answers, 14, 3*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Results[0].Score, a.Results[0].Band, a.Tier, a.Critical)

	p := screening.DefaultPolicy()
	sev, _ := p.AlertFor(a)
	raised := time.Date(2026, 3, 6, 16, 0, 0, 0, p.Location)
	alert, _ := screening.Raise(sev, raised, p)
	fmt.Println(alert.Severity, alert.Level, alert.DueAt.Format("Mon 15:04"))
	// Output:
	// 3 minimal red true
	// critical school Fri 18:00
}
