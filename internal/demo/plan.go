package demo

import (
	"math"
	"sort"
	"strconv"

	"huhang/internal/model"
)

// schoolPlan is one school decided before any record is emitted.
type schoolPlan struct {
	district   int // index into districts
	typ        model.SchoolType
	name, code string
	address    string
	pupils     int // pupil budget; the classes round it
	maxStreams int // classes per grade cap, 0 = none (village schools: 2)
}

// planSchools decides how many schools of each type each district gets,
// their pupil budgets and their names. The order is district, then type in
// model.SchoolTypes order, then a stable index.
func planSchools(r *rng, scale float64) []schoolPlan {
	nd := len(districts)
	alloc := make([][]int, nd) // [district][typeSpec index]
	for d := range alloc {
		alloc[d] = make([]int, len(typeSpecs))
	}
	for t, ts := range typeSpecs {
		n := int(math.Round(float64(ts.schools) * scale))
		if n == 0 && scale >= 0.05 {
			n = 1
		}
		w := make([]float64, nd)
		for d, ds := range districts {
			if ts.perDistrict {
				w[d] = 1
			} else {
				w[d] = float64(ds.pop) * (1 + ts.ruralBoost*ds.rurality)
			}
		}
		for d, k := range largestRemainder(n, w) {
			alloc[d][t] = k
		}
	}
	// Every district has at least one school: a primary if nothing else.
	for d := range alloc {
		total := 0
		for _, k := range alloc[d] {
			total += k
		}
		if total == 0 {
			alloc[d][typeIndex(model.Primary)]++
		}
	}

	nm := namer{taken: map[string]bool{}}
	var plans []schoolPlan
	seq := make([]int, nd) // school code sequence per district
	for d, ds := range districts {
		county := ds.kind == model.KindCounty
		for t, ts := range typeSpecs {
			n := alloc[d][t]
			if n == 0 {
				continue
			}
			// The type's pupils spread over the districts that have it, by population.
			popWith := 0
			for e := range districts {
				if alloc[e][t] > 0 {
					popWith += districts[e].pop
				}
			}
			budget := float64(ts.pupils) * scale * float64(ds.pop) / float64(popWith)

			// Weights within the district: in counties a third of the
			// primaries and kindergartens are town centres, the rest small
			// village schools; elsewhere schools differ by chance.
			central := 0
			if county && (ts.typ == model.Primary || ts.typ == model.Kindergarten) {
				central = min(max(1, int(math.Ceil(float64(n)*0.35))), len(ds.places))
			}
			w := make([]float64, n)
			sum := 0.0
			for i := range w {
				switch {
				case central > 0 && i < central:
					w[i] = 2.5 * (0.8 + 0.4*r.float())
				case central > 0:
					w[i] = 0.7 + 0.6*r.float()
				default:
					w[i] = 0.6 + 0.8*r.float()
				}
				sum += w[i]
			}
			off := r.intn(len(ds.places))
			for i := range n {
				p := ds.places[(off+i)%len(ds.places)]
				if ts.typ == model.Kindergarten && central == 0 {
					p = ds.places[(off+i/2)%len(ds.places)] // only every other one is named after its place
				}
				village := central > 0 && i >= central
				if central > 0 && i < central {
					p = ds.places[i] // one town centre per town
				}
				if village {
					p = ds.places[r.intn(len(ds.places))]
				}
				seq[d]++
				sp := schoolPlan{
					district: d,
					typ:      ts.typ,
					code:     ds.code + string(appendDigits(nil, uint64(seq[d]), 4)),
					address:  "四川省" + cityName + ds.name + p.full(),
					pupils:   max(1, int(math.Round(budget*w[i]/sum))),
				}
				sp.name = nm.schoolName(r, ds, d, ts.typ, p, i, central, county)
				if village && ts.typ == model.Primary {
					sp.maxStreams = 2
				}
				plans = append(plans, sp)
			}
		}
	}
	return plans
}

// typeIndex returns the index of t in typeSpecs.
func typeIndex(t model.SchoolType) int {
	for i, ts := range typeSpecs {
		if ts.typ == t {
			return i
		}
	}
	panic("demo: unknown school type " + string(t))
}

// largestRemainder splits n into integer parts proportional to w (Hamilton's
// method; ties go to the earlier index).
func largestRemainder(n int, w []float64) []int {
	out := make([]int, len(w))
	total := 0.0
	for _, x := range w {
		total += x
	}
	if n <= 0 || total <= 0 {
		return out
	}
	rem := make([]float64, len(w))
	given := 0
	for i, x := range w {
		q := float64(n) * x / total
		out[i] = int(q)
		rem[i] = q - float64(out[i])
		given += out[i]
	}
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rem[idx[a]] > rem[idx[b]] })
	for k := 0; given < n; k++ {
		out[idx[k%len(idx)]]++
		given++
	}
	return out
}

// namer hands out unique school names.
type namer struct {
	taken    map[string]bool
	vocation int // city-level vocational schools named so far
}

// unique returns stem+suffix, or stem+"第N"+suffix with the smallest N ≥ 2
// whose name is free. With ordinal set the name always carries an ordinal,
// starting from 第一.
func (nm *namer) unique(stem, suffix string, ordinal bool) string {
	for k := 1; ; k++ {
		name := stem + suffix
		if k > 1 || ordinal {
			name = stem + "第" + cnNumber(k) + suffix
		}
		if !nm.taken[name] {
			nm.taken[name] = true
			return name
		}
	}
}

// fresh returns stem+word+suffix for the first word of list, starting at a
// random one, whose name is still free; if every one is taken it falls back
// to an ordinal on a random word.
func (nm *namer) fresh(r *rng, stem string, list []string, suffix string) string {
	off := r.intn(len(list))
	for i := range list {
		name := stem + list[(off+i)%len(list)] + suffix
		if !nm.taken[name] {
			nm.taken[name] = true
			return name
		}
	}
	return nm.unique(stem+list[off], suffix, false)
}

// schoolName names the i-th school of type t in district ds at place p.
func (nm *namer) schoolName(r *rng, ds districtSpec, d int, t model.SchoolType, p place, i, central int, county bool) string {
	switch t {
	case model.Kindergarten:
		switch {
		case central > 0 && i < central:
			return nm.unique(ds.name+p.full(), "中心幼儿园", false)
		case county || i%2 == 1:
			return nm.fresh(r, ds.name, kindergartenNames, "幼儿园")
		default:
			return nm.unique(ds.name+p.base, "幼儿园", false)
		}
	case model.Primary:
		switch {
		case central > 0 && i < central:
			return nm.unique(ds.name+p.full(), "中心小学", false)
		case central > 0:
			return nm.fresh(r, ds.name+p.full(), villages, "村小学")
		default:
			return nm.unique(cityName+ds.name+p.base, "小学", false)
		}
	case model.Junior:
		return nm.unique(ds.name+p.base, "中学", false)
	case model.Senior:
		if county {
			return nm.unique(ds.name, "高级中学", true)
		}
		return nm.unique(cityName, "高级中学", true)
	case model.NineYear:
		return nm.unique(ds.name+p.full(), "九年制学校", false)
	case model.TwelveYear:
		if county {
			return nm.unique(ds.name+p.base, "实验学校", false)
		}
		return nm.unique(cityName+p.base, "实验学校", false)
	case model.Special:
		if d == 0 {
			return nm.unique(cityName, "特殊教育学校", false)
		}
		return nm.unique(ds.name, "特殊教育学校", false)
	case model.Vocational:
		if county {
			return nm.unique(ds.name, "职业技术学校", false)
		}
		theme := vocationalThemes[nm.vocation%len(vocationalThemes)]
		nm.vocation++
		return nm.unique(cityName+theme, "职业技术学校", false)
	}
	return nm.unique(ds.name+p.base+strconv.Itoa(i), "学校", false)
}
